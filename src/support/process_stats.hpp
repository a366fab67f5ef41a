#pragma once
// The standard process_* metrics of Prometheus client libraries, read from /proc (Linux).

#include <cstdint>

namespace mcproxy::support {

struct ProcessStats {
  double cpu_seconds = 0;          // user + system
  std::uint64_t resident_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;
  double start_time_seconds = 0;   // since the Unix epoch
  std::uint64_t threads = 0;
};

// Fields that cannot be read stay 0.
ProcessStats read_process_stats();

}  // namespace mcproxy::support
