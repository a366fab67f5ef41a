#pragma once
// What GET /health says: every backend's state (shared ones, and how many per-client instances
// run), sessions, uptime, and the configuration's generation and last reload error. Secrets in
// backend URLs and commands are redacted by Backend::health().

#include "config/config.hpp"
#include "proxy/session_manager.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace mcproxy::proxy {

// What /health says about the configuration (hot reload).
struct ConfigStatus {
  std::uint64_t generation = 1;
  std::string loaded_at;    // ISO time of the last successful load
  std::string last_error;   // of the last failed reload, if the latest attempt failed
};

struct HealthReport {
  boost::json::object body;
  bool serving = true;  // false when every configured backend is down (HTTP 503)
};

HealthReport health_report(const SessionManager& sessions, const config::Config& config,
                           const ConfigStatus* config_status, std::chrono::steady_clock::time_point started);

}  // namespace mcproxy::proxy
