#!/usr/bin/env bash
# Builds everything and runs every test: doctest unit tests and the interop tests that drive
# the proxy with the official MCP TypeScript SDK against the real reference servers.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_build_deps
apt_install nginx-light openssl  # the HTTPS front of the TLS interop test
ensure_test_node_modules
build
log "running the tests"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 "$@"
