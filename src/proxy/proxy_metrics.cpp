#include "proxy/proxy_metrics.hpp"

#include "mcp/error.hpp"

namespace mcproxy::proxy {

std::string_view to_string(Outcome o) noexcept {
  switch (o) {
    case Outcome::ok: return "ok";
    case Outcome::tool_error: return "tool_error";
    case Outcome::error: return "error";
    case Outcome::timeout: return "timeout";
    case Outcome::unavailable: return "unavailable";
    case Outcome::cancelled: return "cancelled";
  }
  return "error";
}

Outcome outcome_of(const std::exception* e, bool cancelled) noexcept {
  if (cancelled) return Outcome::cancelled;
  if (!e) return Outcome::ok;
  if (auto* m = dynamic_cast<const mcp::McpError*>(e)) {
    if (m->code() == mcp::error_code::kRequestTimeout) return Outcome::timeout;
    if (m->code() == mcp::error_code::kBackendUnavailable) return Outcome::unavailable;
    if (m->code() == mcp::error_code::kProxyStopping) return Outcome::cancelled;
  }
  return Outcome::error;
}

std::string_view method_label(mcp::Method m) noexcept {
  auto* info = mcp::info(m);
  return info && m != mcp::Method::unknown ? info->name : std::string_view("other");
}

std::string_view to_string(SessionTransport t) noexcept {
  switch (t) {
    case SessionTransport::streamable_http: return "streamable-http";
    case SessionTransport::sse: return "sse";
    case SessionTransport::stdio: return "stdio";
    case SessionTransport::dashboard: return "dashboard";
  }
  return "streamable-http";
}

std::uint64_t ToolStats::total() const noexcept {
  std::uint64_t n = 0;
  for (auto& c : calls) n += c.value();
  return n;
}

std::uint64_t ToolStats::failed() const noexcept {
  return total() - calls[static_cast<std::size_t>(Outcome::ok)].value();
}

ToolStats& BackendStats::add_tool(std::string_view name, bool known) {
  std::string key = known && tools_.size() < kMaxTools ? std::string(name) : std::string("_other");
  auto& slot = tools_[key];
  if (!slot) slot = std::make_unique<ToolStats>();
  return *slot;
}

std::uint64_t BackendStats::total_requests() const noexcept {
  std::uint64_t n = 0;
  for (auto& method : requests)
    for (auto& c : method) n += c.value();
  return n;
}

std::uint64_t BackendStats::failed_requests() const noexcept {
  std::uint64_t n = 0;
  for (auto& method : requests)
    for (std::size_t o = 0; o < kOutcomes; ++o)
      if (o != static_cast<std::size_t>(Outcome::ok) && o != static_cast<std::size_t>(Outcome::tool_error))
        n += method[o].value();
  return n;
}

double BackendStats::latency_quantile(double q) const noexcept {
  support::Histogram::Counts all{};  // every method's buckets added up (the bounds are shared)
  for (auto& h : latency) {
    auto counts = h.counts();
    for (std::size_t b = 0; b < all.size(); ++b) all[b] += counts[b];
  }
  return support::quantile_of(all, q);
}

const std::shared_ptr<BackendStats>& ProxyMetrics::backend(const std::string& name) {
  auto& slot = backends_[name];
  if (!slot) slot = std::make_shared<BackendStats>();
  return slot;
}

}  // namespace mcproxy::proxy
