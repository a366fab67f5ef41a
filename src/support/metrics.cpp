#include "support/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace mcproxy::support {

void Histogram::observe(std::chrono::nanoseconds elapsed) noexcept {
  double seconds = std::chrono::duration<double>(elapsed).count();
  auto at = std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin();
  buckets_[static_cast<std::size_t>(at)].add();
  count_.add();
  sum_ns_.add(static_cast<std::uint64_t>(std::max<std::int64_t>(elapsed.count(), 0)));
}

std::uint64_t Histogram::cumulative(std::size_t i) const noexcept {
  std::uint64_t total = 0;
  for (std::size_t b = 0; b <= i && b < buckets_.size(); ++b) total += buckets_[b].value();
  return total;
}

Histogram::Counts Histogram::counts() const noexcept {
  Counts out{};
  for (std::size_t b = 0; b < out.size(); ++b) out[b] = buckets_[b].value();
  return out;
}

double Histogram::quantile(double q) const noexcept { return quantile_of(counts(), q); }

double quantile_of(const Histogram::Counts& counts, double q) noexcept {
  std::uint64_t total = 0;
  for (auto c : counts) total += c;
  if (total == 0) return -1;
  constexpr auto& bounds = Histogram::kBounds;
  double rank = q * static_cast<double>(total);
  std::uint64_t below = 0;
  for (std::size_t b = 0; b < counts.size(); ++b) {
    if (counts[b] > 0 && static_cast<double>(below + counts[b]) >= rank) {
      if (b == bounds.size()) return bounds.back();  // in +Inf: the highest finite bound
      double lower = b == 0 ? 0.0 : bounds[b - 1];
      double fraction = (rank - static_cast<double>(below)) / static_cast<double>(counts[b]);
      return lower + (bounds[b] - lower) * std::clamp(fraction, 0.0, 1.0);
    }
    below += counts[b];
  }
  return bounds.back();
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

namespace {

std::string_view type_name(Exposition::Type t) {
  switch (t) {
    case Exposition::Type::counter: return "counter";
    case Exposition::Type::gauge: return "gauge";
    case Exposition::Type::histogram: return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and newline (not quotes).
std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);  // shortest form that reads back the same
}

}  // namespace

void Exposition::family(std::string_view name, std::string_view help, Type type) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name,
                 type_name(type));
}

void Exposition::labels(Labels labels, std::string_view extra_name, std::string_view extra_value) {
  if (labels.size() == 0 && extra_name.empty()) return;
  out_.push_back('{');
  bool first = true;
  auto one = [&](std::string_view k, std::string_view v) {
    if (!first) out_.push_back(',');
    first = false;
    out_.append(k).append("=\"").append(escape_label_value(v)).push_back('"');
  };
  for (auto& [k, v] : labels) one(k, v);
  if (!extra_name.empty()) one(extra_name, extra_value);
  out_.push_back('}');
}

void Exposition::sample(std::string_view name, Labels l, double value) {
  out_.append(name);
  labels(l);
  out_.push_back(' ');
  out_.append(number(value)).push_back('\n');
}

void Exposition::sample(std::string_view name, Labels l, std::uint64_t value) {
  out_.append(name);
  labels(l);
  fmt::format_to(std::back_inserter(out_), " {}\n", value);
}

void Exposition::sample(std::string_view name, Labels l, std::int64_t value) {
  out_.append(name);
  labels(l);
  fmt::format_to(std::back_inserter(out_), " {}\n", value);
}

void Exposition::sample_dynamic(std::string_view name, const std::vector<std::pair<std::string, std::string>>& l,
                                std::uint64_t value) {
  out_.append(name);
  if (!l.empty()) {
    out_.push_back('{');
    for (std::size_t i = 0; i < l.size(); ++i) {
      if (i) out_.push_back(',');
      out_.append(l[i].first).append("=\"").append(escape_label_value(l[i].second)).push_back('"');
    }
    out_.push_back('}');
  }
  fmt::format_to(std::back_inserter(out_), " {}\n", value);
}

void Exposition::histogram(std::string_view name, Labels l, const Histogram& h) {
  std::string bucket = fmt::format("{}_bucket", name);
  for (std::size_t i = 0; i <= Histogram::kBounds.size(); ++i) {
    std::string le = i == Histogram::kBounds.size() ? "+Inf" : number(Histogram::kBounds[i]);
    out_.append(bucket);
    labels(l, "le", le);
    fmt::format_to(std::back_inserter(out_), " {}\n", h.cumulative(i));
  }
  out_.append(name).append("_sum");
  labels(l);
  out_.push_back(' ');
  out_.append(number(h.sum_seconds())).push_back('\n');
  out_.append(name).append("_count");
  labels(l);  // the +Inf bucket, so the two agree even while another thread observes
  fmt::format_to(std::back_inserter(out_), " {}\n", h.cumulative(Histogram::kBounds.size()));
}

}  // namespace mcproxy::support
