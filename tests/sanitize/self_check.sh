#!/usr/bin/env bash
# self_check.sh MCPROXY DIR CHECKER [asan|tsan]: the sanitizer pass can fail. For each deliberate fault of
# src/support/test_hooks.cpp (built with MCPROXY_TEST_HOOKS), the sanitized mcproxy must die
# or exit non-zero, leave a report naming the fault in DIR, and CHECKER (the script the final
# sanitizer.reports test runs) must fail on DIR. DIR is private: the real report folder stays
# clean.
set -uo pipefail
bin="${1:?usage: self_check.sh MCPROXY DIR CHECKER}"
dir="${2:?}"
checker="${3:?}"
kind="${4:-asan}"
failed=0

check_fault() {
  local fault="$1" tool="$2" expect="$3"
  local sub="$dir/$fault"
  rm -rf "$sub" && mkdir -p "$sub"
  # The environment's options come after the built-in defaults and win; only log_path changes.
  MCPROXY_TEST_FAULT="$fault" \
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$sub/report" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:log_path=$sub/report" \
    TSAN_OPTIONS="${TSAN_OPTIONS:-}:log_path=$sub/report" \
    "$bin" --version >"$sub.out" 2>&1
  local status=$?
  local ok=1
  if [ "$status" -eq 0 ]; then
    echo "FAIL $fault: mcproxy exited 0"
    ok=0
  fi
  if ! grep -qs -- "$expect" "$sub"/*; then
    echo "FAIL $fault: no report ($tool) containing \"$expect\" in $sub"
    ls -l "$sub"
    cat "$sub.out"
    ok=0
  fi
  if bash "$checker" "$sub" >/dev/null; then
    echo "FAIL $fault: $checker passed on a folder that holds a report"
    ok=0
  fi
  if [ "$ok" -eq 1 ]; then
    echo "ok   $fault: exit status $status, $(ls "$sub" | tr '\n' ' ')reported, and the checker fails on it"
  else
    failed=1
  fi
}

if [ "$kind" = tsan ]; then
  check_fault data-race tsan "WARNING: ThreadSanitizer: data race"
else
  check_fault heap-use-after-free asan "ERROR: AddressSanitizer: heap-use-after-free"
  check_fault signed-integer-overflow ubsan "signed integer overflow"
  check_fault leak asan "ERROR: LeakSanitizer: detected memory leaks"
fi

# And the checker passes on an empty folder (else the final test would always fail).
rm -rf "$dir/empty" && mkdir -p "$dir/empty"
if ! bash "$checker" "$dir/empty" >/dev/null; then
  echo "FAIL the checker fails on an empty folder"
  failed=1
fi
exit $failed
