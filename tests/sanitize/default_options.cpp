// Linked into the sanitizer tree's mcproxy only (CMake: MCPROXY_SANITIZER_PASS). The sanitizer
// runtimes read these before the environment, so every sanitized proxy a test starts writes
// its reports under <build>/sanitizer-reports/ even when the test gives it a bare environment
// (the MCP SDK's StdioClientTransport passes only HOME, PATH and a few others). ASAN_OPTIONS /
// UBSAN_OPTIONS still override any of them (tests/sanitize/self_check.sh does). Both use one
// log_path: with ASan and UBSan in one runtime the last one parsed (UBSan's) sets it for both.

#ifndef MCPROXY_SANITIZER_REPORT_DIR
#error "MCPROXY_SANITIZER_REPORT_DIR must be defined"
#endif

extern "C" {

const char* __asan_default_options() {
  return "log_path=" MCPROXY_SANITIZER_REPORT_DIR "/report:halt_on_error=1:detect_leaks=1:"
         "print_stacktrace=1";
}

const char* __ubsan_default_options() {
  return "log_path=" MCPROXY_SANITIZER_REPORT_DIR "/report:halt_on_error=1:print_stacktrace=1";
}

// ThreadSanitizer (the tsan preset): halt at the first race, so a report fails its test too;
// the suppressions of tests/sanitize/tsan.supp (each with its reason there).
const char* __tsan_default_options() {
  return "log_path=" MCPROXY_SANITIZER_REPORT_DIR "/report:halt_on_error=1:second_deadlock_stack=1:"
         "suppressions=" MCPROXY_TSAN_SUPPRESSIONS;
}

}  // extern "C"
