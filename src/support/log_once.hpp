#pragma once
// Logs a repeated refusal once per cause, not once per event: the first occurrence is logged
// at once, later ones are counted and summed up at most once a minute. A flood of bad
// connections or an upstream that keeps overflowing a buffer must not flood the log too.
// Thread-safe (connections on different threads share one).

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace mcproxy::support {

class LogOncePerCause {
 public:
  explicit LogOncePerCause(std::chrono::seconds interval = std::chrono::seconds(60))
      : interval_(interval) {}

  // `cause` is a short stable key ("maxConnections"); `message` is what a user reads.
  void warn(const std::string& cause, std::string_view message) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    auto& entry = causes_[cause];
    if (entry.count == 0 && entry.logged_at == std::chrono::steady_clock::time_point{}) {
      spdlog::warn("{}", message);
      entry.logged_at = now;
      return;
    }
    ++entry.count;
    if (now - entry.logged_at >= interval_) {
      spdlog::warn("{} ({} more times in the last {} s)", message, entry.count,
                   std::chrono::duration_cast<std::chrono::seconds>(now - entry.logged_at).count());
      entry.count = 0;
      entry.logged_at = now;
    }
  }

 private:
  struct Entry {
    std::uint64_t count = 0;  // since the last line logged
    std::chrono::steady_clock::time_point logged_at{};
  };
  std::chrono::seconds interval_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> causes_;
};

}  // namespace mcproxy::support
