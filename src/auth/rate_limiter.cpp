#include "auth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace mcproxy::auth {

namespace {

double refill(double tokens, const RateSpec& spec, std::chrono::steady_clock::duration elapsed) {
  double per_ms = spec.rate / static_cast<double>(std::max<std::int64_t>(1, spec.per.count()));
  double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  return std::min(std::max(1.0, spec.burst), tokens + ms * per_ms);
}

std::chrono::milliseconds time_to_one(double tokens, const RateSpec& spec) {
  if (tokens >= 1.0) return std::chrono::milliseconds(0);
  if (spec.rate <= 0) return std::chrono::hours(24);
  double per_ms = spec.rate / static_cast<double>(std::max<std::int64_t>(1, spec.per.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil((1.0 - tokens) / per_ms)));
}

}  // namespace

std::optional<RateLimiter::Refusal> RateLimiter::try_take(const std::vector<Take>& takes, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  forget_idle(now);
  std::vector<Bucket*> held;
  held.reserve(takes.size());
  std::optional<Refusal> refusal;
  for (auto& take : takes) {
    auto capacity = std::max(1.0, take.spec.burst);
    auto [it, added] = buckets_.try_emplace(take.key, Bucket{capacity, now});
    Bucket& b = it->second;
    if (!added) {
      b.tokens = refill(b.tokens, take.spec, now - b.updated);
      b.updated = now;
    }
    if (take.spec.rate > 0) {
      auto full_after = std::chrono::milliseconds(
          static_cast<std::int64_t>(std::ceil(capacity * static_cast<double>(take.spec.per.count()) / take.spec.rate)));
      longest_refill_ = std::max(longest_refill_, full_after);
    }
    if (b.tokens < 1.0) {
      auto wait = time_to_one(b.tokens, take.spec);
      if (!refusal || wait > refusal->retry_after) refusal = Refusal{wait, take.key};
    }
    held.push_back(&b);
  }
  if (refusal) return refusal;
  for (auto* b : held) b->tokens -= 1.0;
  return std::nullopt;
}

void RateLimiter::forget_idle(Clock::time_point now) {
  // At most once per refill period: a bucket untouched that long is full, as a new one.
  auto period = std::max(longest_refill_, std::chrono::milliseconds(1000));
  if (now - last_sweep_ < period) return;
  last_sweep_ = now;
  std::erase_if(buckets_, [&](auto& entry) { return now - entry.second.updated > period; });
}

bool RateLimiter::enter(const std::string& key, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto& n = running_[key];
  if (n >= limit) {
    if (n == 0) running_.erase(key);
    return false;
  }
  ++n;
  return true;
}

void RateLimiter::leave(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = running_.find(key);
  if (it == running_.end()) return;
  if (--it->second == 0) running_.erase(it);
}

std::size_t RateLimiter::buckets() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace mcproxy::auth
