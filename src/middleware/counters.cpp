#include "middleware/counters.hpp"

#include <algorithm>

namespace mcproxy::middleware {

CounterRegistry& CounterRegistry::instance() {
  static CounterRegistry registry;
  return registry;
}

std::atomic<std::uint64_t>& CounterRegistry::counter(const std::string& name, const std::string& help, Labels labels) {
  std::lock_guard lock(mutex_);
  for (auto& s : series_)
    if (s.name == name && s.labels == labels) return s.value;
  auto& s = series_.emplace_back();
  s.name = name;
  s.help = help;
  s.labels = std::move(labels);
  return s.value;
}

void CounterRegistry::visit(const std::function<void(const Sample&)>& fn) const {
  std::lock_guard lock(mutex_);
  std::vector<const std::string*> names;
  for (auto& s : series_)
    if (std::find_if(names.begin(), names.end(), [&](auto* n) { return *n == s.name; }) == names.end())
      names.push_back(&s.name);
  for (auto* name : names)
    for (auto& s : series_)
      if (s.name == *name) fn(Sample{s.name, s.help, s.labels, s.value.load(std::memory_order_relaxed)});
}

}  // namespace mcproxy::middleware
