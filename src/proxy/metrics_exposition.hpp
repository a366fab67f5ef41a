#pragma once
// GET /metrics: every counter of ProxyMetrics, the state of each backend, the sessions by
// transport, the configuration's generation and the standard process_* metrics, in the
// Prometheus text format. Written on the core (it reads backends and sessions). Every metric
// is listed in docs/OBSERVABILITY.md.

#include "proxy/health.hpp"
#include "proxy/proxy_metrics.hpp"
#include "proxy/session_manager.hpp"

#include <string>

namespace mcproxy::proxy {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_metrics(const ProxyMetrics& metrics, const SessionManager& sessions, const config::Config& config,
                           const ConfigStatus* config_status);

}  // namespace mcproxy::proxy
