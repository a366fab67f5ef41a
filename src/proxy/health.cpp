#include "proxy/health.hpp"

#include "proxy/aggregator.hpp"
#include "proxy/backend.hpp"

#include <boost/json.hpp>

namespace mcproxy::proxy {

namespace json = boost::json;

HealthReport health_report(const SessionManager& sessions_, const config::Config& config_,
                           const ConfigStatus* config_status_, std::chrono::steady_clock::time_point started_) {
  json::array backends;
  std::size_t active = 0, up = 0;
  for (auto& b : *sessions_.shared()->backends()) {
    backends.push_back(b->health());
    if (b->state() == BackendState::disabled) continue;
    ++active;
    if (b->up()) ++up;
  }
  // Servers in per-client mode run one instance per session: report how many are up.
  for (auto& server : config_.servers) {
    if (server.session_mode != config::SessionMode::per_client || server.disabled) continue;
    json::object h;
    h["name"] = server.name;
    h["state"] = "per-client";
    h["transport"] = config::to_string(server.transport);
    h["sessionMode"] = "per-client";
    h["instances"] = sessions_.per_client_instances(server.name);
    backends.push_back(std::move(h));
  }
  json::object body;
  body["status"] = up == active ? "ok" : (up > 0 ? "degraded" : "down");
  body["version"] = MCPROXY_VERSION;
  body["uptimeSeconds"] =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  body["sessions"] = sessions_.size();
  if (config_status_) {
    json::object c{{"file", config_.source}, {"generation", config_status_->generation},
                   {"loadedAt", config_status_->loaded_at}};
    c["lastReloadError"] = config_status_->last_error.empty() ? json::value(nullptr)
                                                              : json::value(config_status_->last_error);
    body["config"] = std::move(c);
  }
  body["backends"] = std::move(backends);
  return HealthReport{std::move(body), up > 0 || active == 0};
}

}  // namespace mcproxy::proxy
