# The sanitizer pass, included by tests/CMakeLists.txt when MCPROXY_SANITIZER_PASS is ON (the
# "sanitize" preset: ASan, UBSan, LSan) or MCPROXY_TSAN_PASS is ON (the "tsan" preset:
# ThreadSanitizer). See docs/RELIABILITY.md.
#
#   sanitizer.clear-reports  first: empties sanitizer-reports/ (a fixture every test requires)
#   every other test         runs with ASAN_OPTIONS / UBSAN_OPTIONS writing reports there; the
#                            interop tests start the sanitized mcproxy through MCPROXY_BIN
#   sanitizer.self-check     a deliberate fault of each kind must produce a report, and the
#                            checker below must fail on it
#   sanitizer.reports        last: fails and prints every report when the folder is not empty

set(report_dir ${MCPROXY_SANITIZER_REPORT_DIR})
set(sanitize_dir ${CMAKE_CURRENT_SOURCE_DIR}/sanitize)
file(MAKE_DIRECTORY ${report_dir})  # mcproxy run by hand before ctest has a place to write

find_program(MCPROXY_LLVM_SYMBOLIZER NAMES llvm-symbolizer-14 llvm-symbolizer
             HINTS /usr/lib/llvm-14/bin)
if(NOT MCPROXY_LLVM_SYMBOLIZER)
  message(WARNING "llvm-symbolizer not found (Debian package llvm-14): reports will show addresses only")
endif()

# One suppression per line, each with its reason, in these files (tsan.supp holds the only one).
# One log_path for both: ASan and UBSan share a runtime, where UBSan's setting wins for all
# reports; each process writes report.<pid>.
set(common_options "log_path=${report_dir}/report:halt_on_error=1:print_stacktrace=1")
set(asan_options "${common_options}:detect_leaks=1")
set(ubsan_options "${common_options}")
set(lsan_options "")
if(EXISTS ${sanitize_dir}/lsan.supp)
  set(lsan_options "suppressions=${sanitize_dir}/lsan.supp")
endif()
if(EXISTS ${sanitize_dir}/ubsan.supp)
  string(APPEND ubsan_options ":suppressions=${sanitize_dir}/ubsan.supp")
endif()
set(tsan_options "${common_options}:second_deadlock_stack=1")
if(EXISTS ${sanitize_dir}/tsan.supp)
  string(APPEND tsan_options ":suppressions=${sanitize_dir}/tsan.supp")
endif()
set(sanitizer_env
  "ASAN_OPTIONS=${asan_options}"
  "UBSAN_OPTIONS=${ubsan_options}"
  "LSAN_OPTIONS=${lsan_options}"
  "TSAN_OPTIONS=${tsan_options}")
set(self_check_kind asan)
if(MCPROXY_TSAN_PASS)
  set(self_check_kind tsan)
endif()
if(MCPROXY_LLVM_SYMBOLIZER)
  list(APPEND sanitizer_env "ASAN_SYMBOLIZER_PATH=${MCPROXY_LLVM_SYMBOLIZER}")
endif()

# Every test registered so far (unit, interop, fuzz) runs with these options and after the
# folder was emptied.
get_property(sanitized_tests DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} PROPERTY TESTS)
set(fuzz_tests "")
if(MCPROXY_BUILD_FUZZERS)
  get_property(fuzz_tests DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/fuzz PROPERTY TESTS)
endif()
foreach(t ${sanitized_tests})
  set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT ${sanitizer_env})
  set_property(TEST ${t} APPEND PROPERTY FIXTURES_REQUIRED sanitizer_reports)
endforeach()
# The fuzzers report on their own stderr (libFuzzer prints the crashing input next to it) and
# fail their test; they only need to come before the final check.

add_test(NAME sanitizer.clear-reports
         COMMAND ${CMAKE_COMMAND} -DDIR=${report_dir} -P ${sanitize_dir}/clear_reports.cmake)
set_tests_properties(sanitizer.clear-reports PROPERTIES
  FIXTURES_SETUP sanitizer_reports
  LABELS sanitizer)

add_test(NAME sanitizer.self-check
         COMMAND bash ${sanitize_dir}/self_check.sh $<TARGET_FILE:mcproxy>
                 ${CMAKE_BINARY_DIR}/sanitizer-self-check ${sanitize_dir}/check_reports.sh ${self_check_kind})
set_tests_properties(sanitizer.self-check PROPERTIES
  ENVIRONMENT "${sanitizer_env}"
  TIMEOUT 120
  LABELS sanitizer)

add_test(NAME sanitizer.reports COMMAND bash ${sanitize_dir}/check_reports.sh ${report_dir})
set_tests_properties(sanitizer.reports PROPERTIES
  FIXTURES_CLEANUP sanitizer_reports
  DEPENDS "${sanitized_tests};${fuzz_tests};sanitizer.self-check"
  LABELS sanitizer)
