#include "support/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace mcproxy::support {

namespace {

// Seconds since the epoch at which the machine booted (/proc/stat "btime").
double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats s;
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  // The command name (field 2) is in parentheses and may hold spaces: fields count from the last ')'.
  auto close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(line.substr(close + 2));
    std::string f;
    // Field 3 is the first here; we want 14 utime, 15 stime, 20 num_threads, 22 starttime,
    // 23 vsize, 24 rss (pages).
    double utime = 0, stime = 0, start = 0;
    std::uint64_t vsize = 0, rss = 0, threads = 0;
    for (int field = 3; fields >> f; ++field) {
      if (field == 14) utime = std::stod(f);
      else if (field == 15) stime = std::stod(f);
      else if (field == 20) threads = std::stoull(f);
      else if (field == 22) start = std::stod(f);
      else if (field == 23) vsize = std::stoull(f);
      else if (field == 24) {
        rss = std::stoull(f);
        break;
      }
    }
    double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    long page = ::sysconf(_SC_PAGESIZE);
    if (ticks > 0) {
      s.cpu_seconds = (utime + stime) / ticks;
      s.start_time_seconds = boot_time() + start / ticks;
    }
    s.virtual_bytes = vsize;
    s.resident_bytes = rss * static_cast<std::uint64_t>(page > 0 ? page : 4096);
    s.threads = threads;
  }
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (auto* entry = ::readdir(dir))
      if (entry->d_name[0] != '.') ++s.open_fds;
    ::closedir(dir);
    if (s.open_fds > 0) --s.open_fds;  // the directory's own descriptor
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) s.max_fds = limit.rlim_cur;
  return s;
}

}  // namespace mcproxy::support
