#pragma once
// What the proxy counts, for GET /metrics (Prometheus), the dashboard and `mcproxy status`.
// Every label value is bounded: a server is a configured name, a method comes from the method
// table ("other" for any name outside it), an outcome from the enum below, a tool from the
// backend's own tool list (a name the catalogue never listed is counted as "_other"), a
// transport from the four the proxy serves.
//
// Threads: the per-backend and per-method counters are written on the core strand; the edge
// counters (auth failures) on connection strands. All are relaxed atomics (support/metrics),
// so an update takes no lock and a scrape from any thread reads them safely. The maps (servers,
// tools) change only on the core, and the exposition is written on the core too.

#include "mcp/methods.hpp"
#include "support/metrics.hpp"

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace mcproxy::proxy {

enum class Outcome : std::uint8_t { ok, tool_error, error, timeout, unavailable, cancelled };
inline constexpr std::size_t kOutcomes = 6;
std::string_view to_string(Outcome o) noexcept;
// How a request ended, from the exception it ended with (null: answered).
Outcome outcome_of(const std::exception* e, bool cancelled) noexcept;

inline constexpr std::size_t kMethods = static_cast<std::size_t>(mcp::Method::unknown) + 1;
// "tools/call", or "other" for a method outside the table.
std::string_view method_label(mcp::Method m) noexcept;

enum class SessionTransport : std::uint8_t { streamable_http, sse, stdio, dashboard };
inline constexpr std::size_t kSessionTransports = 4;
std::string_view to_string(SessionTransport t) noexcept;

struct ToolStats {
  std::array<support::Counter, kOutcomes> calls;
  std::uint64_t total() const noexcept;
  std::uint64_t failed() const noexcept;  // everything but ok
};

// One configured server, across its reconnects and the reloads that keep its name.
struct BackendStats {
  std::array<std::array<support::Counter, kOutcomes>, kMethods> requests;
  std::array<support::Histogram, kMethods> latency;
  support::Gauge in_flight;
  support::Counter reconnects;  // connections re-established after it had been up
  support::Counter restarts;    // its process spawned again (stdio), or connection re-opened
  support::Counter bytes_in, bytes_out;
  std::chrono::steady_clock::time_point up_since{};  // while up

  // The tool's counters. `known(name)` is asked for a name not seen yet: only a tool the
  // server lists gets a series of its own (at most kMaxTools per server); the rest share
  // "_other".
  template <class Known>
  ToolStats& tool(std::string_view name, Known&& known) {
    if (auto it = tools_.find(name); it != tools_.end()) return *it->second;
    return add_tool(name, known(name));
  }
  const std::map<std::string, std::unique_ptr<ToolStats>, std::less<>>& tools() const noexcept { return tools_; }
  std::uint64_t total_requests() const noexcept;
  std::uint64_t failed_requests() const noexcept;
  // Latency quantile over every method, in seconds; < 0 when nothing was measured.
  double latency_quantile(double q) const noexcept;

  static constexpr std::size_t kMaxTools = 10000;

 private:
  ToolStats& add_tool(std::string_view name, bool known);
  std::map<std::string, std::unique_ptr<ToolStats>, std::less<>> tools_;
};

class ProxyMetrics {
 public:
  // Core only. Created on first use and kept for the life of the process (a reload that keeps
  // a server keeps its counts).
  const std::shared_ptr<BackendStats>& backend(const std::string& name);
  const std::map<std::string, std::shared_ptr<BackendStats>, std::less<>>& backends() const noexcept {
    return backends_;
  }

  // Requests from clients, by method and outcome, and their latency (whole proxy).
  std::array<std::array<support::Counter, kOutcomes>, kMethods> client_requests;
  std::array<support::Histogram, kMethods> client_latency;
  std::array<support::Counter, kSessionTransports> sessions_created;
  support::Counter list_cache_hits, list_cache_misses;
  support::Counter auth_failures;                 // edge: a missing or bad credential (401)
  support::Counter denied, rate_limited;          // refused by a profile or a limit
  support::Counter reloads_ok, reloads_failed;
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();

 private:
  std::map<std::string, std::shared_ptr<BackendStats>, std::less<>> backends_;
};

}  // namespace mcproxy::proxy
