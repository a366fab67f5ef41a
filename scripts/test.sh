#!/usr/bin/env bash
# Builds everything and runs every test, in two trees:
#   build/           gcc, RelWithDebInfo: doctest unit tests and the interop tests that drive
#                    the proxy with the official MCP TypeScript SDK against the real reference
#                    servers
#   build-sanitize/  clang-14 with ASan + UBSan + LeakSanitizer: the same tests against the
#                    sanitized proxy, a check that no sanitizer report was written, and the
#                    libFuzzer harnesses (seed corpus replay + a deterministic bounded run)
#   build-tsan/      clang-14 with ThreadSanitizer: the unit tests and the multi-threaded
#                    interop subset, the proxy on 4 threads, and the same report check
# Arguments go to every ctest run (e.g. -R interop.http). MCPROXY_SKIP_SANITIZE=1 runs the
# first tree only. See docs/RELIABILITY.md.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_build_deps
apt_install nginx-light openssl  # the HTTPS front of the TLS interop test
ensure_observability_test_deps    # Prometheus and Chromium
apt_install python3               # the Python example module (modules/examples/pii-redactor)
ensure_translate_deps             # Apertium English-Spanish (translate)
[ "${MCPROXY_SKIP_SANITIZE:-0}" = 1 ] || apt_install "${SANITIZER_APT_PACKAGES[@]}"
ensure_test_node_modules
build

# The interop tests of the first tree mostly wait on servers and clients: the two sanitizer
# trees build meanwhile, in the background at the lowest priority (nice 19), so the tests
# keep the CPU they ask for and the builds take what is left. Their output goes to a log,
# shown if they fail.
sanitizer_builds_pid=""
sanitizer_build_log="$BUILD_DIR/sanitizer-trees-build.log"
if [ "${MCPROXY_SKIP_SANITIZE:-0}" != 1 ]; then
  log "building the sanitizer trees in the background (log: $sanitizer_build_log)"
  (
    set -e
    renice -n 19 -p "$BASHPID" >/dev/null 2>&1 || true  # before any compiler starts
    build_sanitize
    build_tsan
  ) > "$sanitizer_build_log" 2>&1 &
  sanitizer_builds_pid=$!
fi

log "running the tests ($BUILD_DIR)"
status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 600 "$@" || status=$?
[ "${MCPROXY_SKIP_SANITIZE:-0}" = 1 ] && exit $status
if [ $status -ne 0 ]; then
  log "the tests of $BUILD_DIR failed (above); the sanitizer trees run anyway"
fi

log "waiting for the sanitizer trees to finish building"
if ! wait "$sanitizer_builds_pid"; then
  tail -n 60 "$sanitizer_build_log" >&2
  log "building a sanitizer tree failed (above; the whole log: $sanitizer_build_log)"
  exit 1
fi

log "running the tests under the sanitizers ($SANITIZE_BUILD_DIR)"
sanitize_status=0
ctest --test-dir "$SANITIZE_BUILD_DIR" --output-on-failure --timeout 600 "$@" || sanitize_status=$?

log "running the tests under ThreadSanitizer ($TSAN_BUILD_DIR)"
tsan_status=0
ctest --test-dir "$TSAN_BUILD_DIR" --output-on-failure --timeout 600 "$@" || tsan_status=$?
[ $status -ne 0 ] && exit $status
[ $sanitize_status -ne 0 ] && exit $sanitize_status
exit $tsan_status
