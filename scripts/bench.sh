#!/usr/bin/env bash
# Builds MCProxy and the bench programs, then measures the proxy against direct connections to
# the same backends (see docs/PERFORMANCE.md). Prints a table; writes build/bench-results.json.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_build_deps
# The allocator trial preloads Debian's mimalloc and jemalloc (they are not linked in).
apt_install libmimalloc2.0 libjemalloc2 util-linux
ensure_test_node_modules  # server-everything for the "real server" pair
# The public gateways run side by side (bench/package-lock.json pins them).
(cd "$REPO_ROOT/bench" && npm ci --no-audit --no-fund --loglevel=error)
build mcproxy echo_server mcp_load tool_search_bench
BUILD_DIR="$BUILD_DIR" node "$REPO_ROOT/bench/run-bench.mjs"
"$BUILD_DIR/bench/tool_search_bench"
