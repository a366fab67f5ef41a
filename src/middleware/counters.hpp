#pragma once
// Counters a middleware publishes on /metrics (Prometheus) without knowing the proxy: it asks
// for each series once, when it is built (a name, a help text, its labels), and keeps the
// returned counter; counting is then one relaxed atomic add, from any thread. The proxy writes
// every series out with its own metrics (proxy/metrics_exposition.cpp). A series asked for
// twice (two instances at the same site, or after a reload) is the same counter.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mcproxy::middleware {

class CounterRegistry {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  static CounterRegistry& instance();

  // `name` should end in _total and start with mcproxy_; label values must be bounded (config
  // names, a fixed set), never taken from a client's input.
  std::atomic<std::uint64_t>& counter(const std::string& name, const std::string& help, Labels labels);

  struct Sample {
    const std::string& name;
    const std::string& help;
    const Labels& labels;
    std::uint64_t value;
  };
  // Every series, grouped by name in the order the names were first asked for.
  void visit(const std::function<void(const Sample&)>& fn) const;

 private:
  struct Series {
    std::string name, help;
    Labels labels;
    std::atomic<std::uint64_t> value{0};
  };
  mutable std::mutex mutex_;
  std::deque<Series> series_;  // never moved: counters handed out stay valid
};

}  // namespace mcproxy::middleware
