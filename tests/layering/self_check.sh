#!/usr/bin/env bash
# The layering check must fail on a broken rule, not only pass on the real tree: copy the
# table and a few real files into a scratch tree, plant one include per kind of violation, and
# expect the checker to name each.
set -euo pipefail
repo="${1:?usage: self_check.sh REPO_ROOT}"
check="$repo/tests/layering/check_layers.cmake"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/docs" "$scratch/src/middleware/client" "$scratch/src/mcp" "$scratch/src/proxy" "$scratch/src/transport" "$scratch/src/elsewhere"
cp "$repo/docs/ARCHITECTURE.md" "$scratch/docs/"
cp "$repo/src/middleware/service.hpp" "$repo/src/middleware/context.hpp" "$scratch/src/middleware/"
cp "$repo/src/mcp/methods.hpp" "$repo/src/mcp/message_transport.hpp" "$scratch/src/mcp/"
touch "$scratch/src/proxy/backend.hpp" "$scratch/src/transport/stdio_child.hpp"

# The clean copy passes.
cmake -DSOURCE_DIR="$scratch" -P "$check" >/dev/null

printf '#include "proxy/backend.hpp"\n' > "$scratch/src/middleware/bad_core.cpp"
printf '#include "transport/stdio_child.hpp"\n' > "$scratch/src/mcp/bad_mcp.cpp"
printf '#include "proxy/backend.hpp"\n' > "$scratch/src/middleware/client/bad_builtin.cpp"
printf 'int x;\n' > "$scratch/src/elsewhere/orphan.cpp"
if out=$(cmake -DSOURCE_DIR="$scratch" -P "$check" 2>&1); then
  echo "FAIL: the checker accepted a tree with four violations" >&2
  exit 1
fi
status=0
for expect in "src/middleware/bad_core.cpp (layer middleware) includes \"proxy/backend.hpp\"" \
              "src/mcp/bad_mcp.cpp (layer mcp) includes \"transport/stdio_child.hpp\"" \
              "src/middleware/client/bad_builtin.cpp (layer builtins) includes \"proxy/backend.hpp\"" \
              "src/elsewhere/orphan.cpp: in no layer" \
              "4 problem(s) break the layering"; do
  if ! grep -qF "$expect" <<<"$out"; then
    echo "FAIL: expected the checker to report: $expect" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "the layering check reports every planted violation"
printf '%s\n' "$out" | grep -E "includes|no layer|break" >&2 || true
exit $status
