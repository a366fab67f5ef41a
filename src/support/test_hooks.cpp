#include "support/test_hooks.hpp"

#ifdef MCPROXY_TEST_HOOKS

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace mcproxy::support {

namespace {
// Volatile so the optimizer can neither fold the faults away nor prove them unreachable.
volatile int sink;
int* volatile leaked;
}  // namespace

void inject_test_fault_from_env() {
  const char* fault = std::getenv("MCPROXY_TEST_FAULT");
  if (!fault || !*fault) return;
  std::fprintf(stderr, "mcproxy: MCPROXY_TEST_FAULT=%s: committing a deliberate fault\n", fault);
  if (std::strcmp(fault, "heap-use-after-free") == 0) {
    int* p = new int[4]{1, 2, 3, 4};
    int* volatile dangling = p;
    delete[] p;
    sink = dangling[1];
  } else if (std::strcmp(fault, "signed-integer-overflow") == 0) {
    volatile int big = INT_MAX;
    sink = big + 1;
  } else if (std::strcmp(fault, "leak") == 0) {
    leaked = new int[16];
    leaked = nullptr;
  } else if (std::strcmp(fault, "data-race") == 0) {
    // Two threads write one plain int with nothing ordering them (ThreadSanitizer).
    static int counter = 0;
    std::thread other([] { counter = counter + 1; });
    counter = counter + 2;
    other.join();
    sink = counter;
  } else {
    std::fprintf(stderr, "mcproxy: unknown MCPROXY_TEST_FAULT (heap-use-after-free, "
                         "signed-integer-overflow, leak, data-race)\n");
    std::exit(2);
  }
}

}  // namespace mcproxy::support

#else

namespace mcproxy::support {
void inject_test_fault_from_env() {}
}  // namespace mcproxy::support

#endif
