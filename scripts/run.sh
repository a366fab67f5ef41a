#!/usr/bin/env bash
# Builds MCProxy and runs it on example-config.json: three real MCP servers from npm behind
# http://127.0.0.1:8080/mcp. Extra arguments go to mcproxy (e.g. --port 9000 --log-level debug).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_build_deps
ensure_node
ensure_translate_deps  # so that examples/translate-config.json runs too
build mcproxy

# The filesystem and memory servers work inside this folder.
export MCPROXY_DATA="${MCPROXY_DATA:-$REPO_ROOT/.demo-data}"
mkdir -p "$MCPROXY_DATA"
[ -f "$MCPROXY_DATA/hello.txt" ] || echo "Hello from MCProxy's demo folder." > "$MCPROXY_DATA/hello.txt"

# Fetch the pinned example servers into npm's cache once, so the first start is not a download.
for pkg in $(grep -o '@modelcontextprotocol/server-[a-z]*@[0-9.]*' "$REPO_ROOT/example-config.json" | sort -u); do
  npm exec --yes --package="$pkg" -- true >/dev/null 2>&1 || log "could not pre-fetch $pkg (npx will try again)"
done

log "starting MCProxy on example-config.json (Ctrl-C stops it and its servers)"
cd "$REPO_ROOT"
exec "$BUILD_DIR/mcproxy" --config example-config.json "$@"
