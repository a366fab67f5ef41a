#pragma once
// Token buckets keyed by name ("identity:alice", "tool:alice:everything__echo", "global"), and
// a cap on concurrent calls per key. A call takes one token from every bucket that applies, all
// or none, under one lock: two threads can never both spend the last token, and a call refused
// by one bucket costs nothing in the others. Nothing waits: a refusal says when to retry.
// Buckets idle long enough to be full again are forgotten, so the map stays bounded by the
// keys active in the last refill period.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace mcproxy::auth {

struct RateSpec {
  double rate = 0;                     // tokens added per `per`
  std::chrono::milliseconds per{1000};
  double burst = 0;                    // bucket size (at least 1)
  bool operator==(const RateSpec&) const = default;
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  struct Take {
    std::string key;
    RateSpec spec;
  };
  // Takes one token from each bucket, or none. nullopt: allowed; otherwise how long until
  // every bucket has a token again (the longest wait), and which key refused.
  struct Refusal {
    std::chrono::milliseconds retry_after;
    std::string key;
  };
  std::optional<Refusal> try_take(const std::vector<Take>& takes, Clock::time_point now = Clock::now());

  // Concurrent calls under `key`: false (and nothing held) when `limit` are already running.
  bool enter(const std::string& key, std::size_t limit);
  void leave(const std::string& key);

  std::size_t buckets() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  void forget_idle(Clock::time_point now);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::unordered_map<std::string, std::size_t> running_;
  Clock::time_point last_sweep_{};
  std::chrono::milliseconds longest_refill_{0};
};

}  // namespace mcproxy::auth
