#pragma once
// Metric primitives and the Prometheus text exposition format (version 0.0.4), written by hand
// rather than with prometheus-cpp: its families look a child up by a label map under a mutex
// on every update, where the proxy knows its label values in advance (a server, a method from
// the method table, an outcome) and keeps a plain counter per combination. An update is one
// relaxed atomic add on a counter that only one thread writes (the core strand, or the edge
// for the few counters the connections touch), so threads never contend on a lock.
//
// Exposition writes families in order: family() once, then its samples. Label values are
// escaped as the format says (backslash, double quote, newline).

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcproxy::support {

class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void add(std::int64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  void sub(std::int64_t n = 1) noexcept { value_.fetch_sub(n, std::memory_order_relaxed); }
  void set(std::int64_t n) noexcept { value_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Latency in seconds, in fixed buckets from 0.5 ms to 60 s (an MCP call is a tool run: from a
// memory lookup to a long computation).
class Histogram {
 public:
  static constexpr std::array<double, 15> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                  0.25,   0.5,   1,      2.5,   5,     10,    60};
  void observe(std::chrono::nanoseconds elapsed) noexcept;
  std::uint64_t count() const noexcept { return count_.value(); }
  double sum_seconds() const noexcept { return static_cast<double>(sum_ns_.value()) / 1e9; }
  using Counts = std::array<std::uint64_t, kBounds.size() + 1>;  // per bucket; the last is +Inf
  Counts counts() const noexcept;
  // Cumulative count of observations <= kBounds[i]; i == kBounds.size() is +Inf.
  std::uint64_t cumulative(std::size_t i) const noexcept;
  // An estimate of the q-quantile (0..1) in seconds: quantile_of(counts(), q).
  double quantile(double q) const noexcept;

 private:
  std::array<Counter, kBounds.size() + 1> buckets_;  // not cumulative; the last is +Inf
  Counter count_;
  Counter sum_ns_;
};

// The q-quantile of observations counted per bucket, interpolated inside its bucket as
// Prometheus's histogram_quantile does; -1 when there is none. Counts of several histograms
// may be added up first (the bounds are the same).
double quantile_of(const Histogram::Counts& counts, double q) noexcept;

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class Exposition {
 public:
  enum class Type { counter, gauge, histogram };
  void family(std::string_view name, std::string_view help, Type type);
  void sample(std::string_view name, Labels labels, double value);
  void sample(std::string_view name, Labels labels, std::uint64_t value);
  void sample(std::string_view name, Labels labels, std::int64_t value);
  void sample(std::string_view name, Labels labels, int value) { sample(name, labels, std::int64_t{value}); }
  // Labels known only at run time (counters that middleware publishes).
  void sample_dynamic(std::string_view name, const std::vector<std::pair<std::string, std::string>>& labels,
                      std::uint64_t value);
  // name_bucket{...,le="..."}, name_sum, name_count.
  void histogram(std::string_view name, Labels labels, const Histogram& h);

  const std::string& text() const noexcept { return out_; }
  std::string take() noexcept { return std::move(out_); }

 private:
  void labels(Labels labels, std::string_view extra_name = {}, std::string_view extra_value = {});
  std::string out_;
};

// A label value with the three characters the format escapes escaped.
std::string escape_label_value(std::string_view value);

}  // namespace mcproxy::support
