#pragma once
// Deliberate faults that prove the sanitizer pass can fail (tests/sanitize/self_check.sh).
// Compiled in only when CMake's MCPROXY_TEST_HOOKS is ON (the sanitizer tree); elsewhere the
// call does nothing.

namespace mcproxy::support {

// Reads MCPROXY_TEST_FAULT and commits that fault: heap-use-after-free (ASan),
// signed-integer-overflow (UBSan) or leak (LeakSanitizer, reported at exit). Unset: nothing.
void inject_test_fault_from_env();

}  // namespace mcproxy::support
