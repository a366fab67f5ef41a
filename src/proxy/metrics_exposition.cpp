#include "proxy/metrics_exposition.hpp"

#include "proxy/aggregator.hpp"
#include "middleware/counters.hpp"
#include "proxy/backend.hpp"
#include "support/process_stats.hpp"

namespace mcproxy::proxy {

using support::Exposition;
using Type = support::Exposition::Type;

namespace {

void backend_metrics(Exposition& out, const ProxyMetrics& metrics, const SessionManager& sessions,
                     const config::Config& config) {
  out.family("mcproxy_backend_up", "Whether the server is connected and initialized (1) or not (0)", Type::gauge);
  for (auto& b : *sessions.shared()->backends()) out.sample("mcproxy_backend_up", {{"server", b->name()}}, b->up() ? 1 : 0);
  out.family("mcproxy_backend_instances", "Running instances of a server in per-client session mode", Type::gauge);
  for (auto& s : config.servers)
    if (s.session_mode == config::SessionMode::per_client && !s.disabled)
      out.sample("mcproxy_backend_instances", {{"server", s.name}},
                 static_cast<std::uint64_t>(sessions.per_client_instances(s.name)));

  auto& servers = metrics.backends();
  out.family("mcproxy_backend_requests_total", "Requests sent to a server, by method and outcome", Type::counter);
  for (auto& [name, stats] : servers)
    for (std::size_t m = 0; m < kMethods; ++m)
      for (std::size_t o = 0; o < kOutcomes; ++o)
        if (auto n = stats->requests[m][o].value())
          out.sample("mcproxy_backend_requests_total",
                     {{"server", name}, {"method", method_label(static_cast<mcp::Method>(m))},
                      {"outcome", to_string(static_cast<Outcome>(o))}},
                     n);
  out.family("mcproxy_backend_request_duration_seconds", "Time a server took to answer, by method (through its client middleware)",
             Type::histogram);
  for (auto& [name, stats] : servers)
    for (std::size_t m = 0; m < kMethods; ++m)
      if (stats->latency[m].count())
        out.histogram("mcproxy_backend_request_duration_seconds",
                      {{"server", name}, {"method", method_label(static_cast<mcp::Method>(m))}}, stats->latency[m]);
  out.family("mcproxy_backend_in_flight_requests", "Requests to a server waiting for its answer", Type::gauge);
  for (auto& [name, stats] : servers) out.sample("mcproxy_backend_in_flight_requests", {{"server", name}}, stats->in_flight.value());
  out.family("mcproxy_backend_reconnects_total", "Connections to a server re-established after it had been up", Type::counter);
  for (auto& [name, stats] : servers) out.sample("mcproxy_backend_reconnects_total", {{"server", name}}, stats->reconnects.value());
  out.family("mcproxy_backend_restarts_total", "Times a server's process was started again (or its connection opened again)",
             Type::counter);
  for (auto& [name, stats] : servers) out.sample("mcproxy_backend_restarts_total", {{"server", name}}, stats->restarts.value());
  out.family("mcproxy_backend_received_bytes_total", "Bytes of JSON-RPC messages received from a server", Type::counter);
  for (auto& [name, stats] : servers) out.sample("mcproxy_backend_received_bytes_total", {{"server", name}}, stats->bytes_in.value());
  out.family("mcproxy_backend_sent_bytes_total", "Bytes of JSON-RPC messages sent to a server", Type::counter);
  for (auto& [name, stats] : servers) out.sample("mcproxy_backend_sent_bytes_total", {{"server", name}}, stats->bytes_out.value());

  out.family("mcproxy_tool_calls_total", "tools/call by server, tool (the server's unprefixed name) and outcome", Type::counter);
  for (auto& [name, stats] : servers)
    for (auto& [tool, counts] : stats->tools())
      for (std::size_t o = 0; o < kOutcomes; ++o)
        if (auto n = counts->calls[o].value())
          out.sample("mcproxy_tool_calls_total",
                     {{"server", name}, {"tool", tool}, {"outcome", to_string(static_cast<Outcome>(o))}}, n);
}

void client_metrics(Exposition& out, const ProxyMetrics& metrics, const SessionManager& sessions) {
  out.family("mcproxy_requests_total", "Requests from clients, by method and outcome", Type::counter);
  for (std::size_t m = 0; m < kMethods; ++m)
    for (std::size_t o = 0; o < kOutcomes; ++o)
      if (auto n = metrics.client_requests[m][o].value())
        out.sample("mcproxy_requests_total",
                   {{"method", method_label(static_cast<mcp::Method>(m))}, {"outcome", to_string(static_cast<Outcome>(o))}},
                   n);
  out.family("mcproxy_request_duration_seconds", "Time from a client's request to the proxy's answer, by method",
             Type::histogram);
  for (std::size_t m = 0; m < kMethods; ++m)
    if (metrics.client_latency[m].count())
      out.histogram("mcproxy_request_duration_seconds", {{"method", method_label(static_cast<mcp::Method>(m))}},
                    metrics.client_latency[m]);

  std::array<std::uint64_t, kSessionTransports> open{};
  for (auto& [id, s] : sessions.all()) ++open[static_cast<std::size_t>(s->transport)];
  out.family("mcproxy_sessions", "Client sessions open, by transport", Type::gauge);
  for (std::size_t t = 0; t < kSessionTransports; ++t)
    out.sample("mcproxy_sessions", {{"transport", to_string(static_cast<SessionTransport>(t))}}, open[t]);
  out.family("mcproxy_sessions_created_total", "Client sessions created, by transport", Type::counter);
  for (std::size_t t = 0; t < kSessionTransports; ++t)
    out.sample("mcproxy_sessions_created_total", {{"transport", to_string(static_cast<SessionTransport>(t))}},
               metrics.sessions_created[t].value());

  out.family("mcproxy_list_cache_hits_total", "List requests answered from the serialized list cache", Type::counter);
  out.sample("mcproxy_list_cache_hits_total", {}, metrics.list_cache_hits.value());
  out.family("mcproxy_list_cache_misses_total", "Cacheable list requests that had to be computed", Type::counter);
  out.sample("mcproxy_list_cache_misses_total", {}, metrics.list_cache_misses.value());
  out.family("mcproxy_auth_failures_total", "HTTP requests refused for a missing or bad credential (401)", Type::counter);
  out.sample("mcproxy_auth_failures_total", {}, metrics.auth_failures.value());
  out.family("mcproxy_calls_refused_total", "Requests refused by a profile (denied) or a rate limit (rate-limited)",
             Type::counter);
  out.sample("mcproxy_calls_refused_total", {{"reason", "denied"}}, metrics.denied.value());
  out.sample("mcproxy_calls_refused_total", {{"reason", "rate-limited"}}, metrics.rate_limited.value());
}

void process_metrics(Exposition& out) {
  auto p = support::read_process_stats();
  out.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds", Type::counter);
  out.sample("process_cpu_seconds_total", {}, p.cpu_seconds);
  out.family("process_resident_memory_bytes", "Resident memory size in bytes", Type::gauge);
  out.sample("process_resident_memory_bytes", {}, p.resident_bytes);
  out.family("process_virtual_memory_bytes", "Virtual memory size in bytes", Type::gauge);
  out.sample("process_virtual_memory_bytes", {}, p.virtual_bytes);
  out.family("process_open_fds", "Number of open file descriptors", Type::gauge);
  out.sample("process_open_fds", {}, p.open_fds);
  out.family("process_max_fds", "Maximum number of open file descriptors", Type::gauge);
  out.sample("process_max_fds", {}, p.max_fds);
  out.family("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds", Type::gauge);
  out.sample("process_start_time_seconds", {}, p.start_time_seconds);
  out.family("process_threads", "Number of OS threads in the process", Type::gauge);
  out.sample("process_threads", {}, p.threads);
}

}  // namespace

std::string render_metrics(const ProxyMetrics& metrics, const SessionManager& sessions, const config::Config& config,
                           const ConfigStatus* config_status) {
  Exposition out;
  out.family("mcproxy_build_info", "MCProxy's version (always 1)", Type::gauge);
  out.sample("mcproxy_build_info", {{"version", MCPROXY_VERSION}}, 1);
  backend_metrics(out, metrics, sessions, config);
  client_metrics(out, metrics, sessions);
  out.family("mcproxy_config_reloads_total", "Configuration reloads, by result", Type::counter);
  out.sample("mcproxy_config_reloads_total", {{"result", "ok"}}, metrics.reloads_ok.value());
  out.sample("mcproxy_config_reloads_total", {{"result", "error"}}, metrics.reloads_failed.value());
  if (config_status) {
    out.family("mcproxy_config_generation", "Generation of the configuration in use (1 at start, +1 per reload)",
               Type::gauge);
    out.sample("mcproxy_config_generation", {}, config_status->generation);
    out.family("mcproxy_config_last_reload_failed", "Whether the latest reload attempt failed (1) or not (0)",
               Type::gauge);
    out.sample("mcproxy_config_last_reload_failed", {}, config_status->last_error.empty() ? 0 : 1);
  }
  // What middleware counts (content_filter's redactions...), one family per name.
  std::string family;
  middleware::CounterRegistry::instance().visit([&](const middleware::CounterRegistry::Sample& s) {
    if (s.name != family) {
      family = s.name;
      out.family(s.name, s.help, Type::counter);
    }
    out.sample_dynamic(s.name, s.labels, s.value);
  });
  process_metrics(out);
  return out.take();
}

}  // namespace mcproxy::proxy
