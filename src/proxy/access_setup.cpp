#include "proxy/access_setup.hpp"

#include "proxy/audit_trail.hpp"
#include "proxy/profile_guard.hpp"
#include "proxy/rate_guard.hpp"

#include <boost/asio/ip/address.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <stdexcept>

namespace mcproxy::proxy {

namespace {

bool loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code err;
  auto address = boost::asio::ip::make_address(host, err);
  return !err && address.is_loopback();
}

}  // namespace

void update_access_state(AccessState& state, const config::Config& config) {
  auto policy = compile_access_policy(config);
  auto authenticator = std::make_shared<Authenticator>(config);
  std::shared_ptr<auth::AuditLog> audit = state.audit;
  if (!config.audit.enabled) audit.reset();
  else if (!audit || !(state.audit_config == config.audit))
    audit = std::make_shared<auth::AuditLog>(config.audit.file, config.audit.max_bytes, config.audit.max_files);
  state.policy = std::move(policy);
  state.authenticator = std::move(authenticator);
  state.audit = std::move(audit);
  state.audit_config = config.audit;
}

std::vector<middleware::Maker> proxy_chain(const AccessState& state, const config::Config& config,
                                           const std::vector<middleware::Maker>& configured) {
  std::vector<middleware::Maker> chain;
  if (state.audit) {
    auto log = state.audit;
    bool include = config.audit.include_arguments;
    chain.emplace_back([log, include](const middleware::Site&) { return std::make_shared<AuditTrail>(log, include); });
  }
  if (!state.policy->profiles.empty()) {
    auto policy = state.policy;
    chain.emplace_back([policy](const middleware::Site&) { return std::make_shared<ProfileGuard>(policy); });
  }
  if (state.policy->has_limits()) {
    auto policy = state.policy;
    auto limiter = state.limiter;
    chain.emplace_back(
        [policy, limiter](const middleware::Site&) { return std::make_shared<RateGuard>(policy, limiter); });
  }
  chain.insert(chain.end(), configured.begin(), configured.end());
  return chain;
}

std::shared_ptr<const EdgeAccess> make_edge_access(const AccessState& state, const config::Config& config,
                                                   unsigned short port) {
  auto access = std::make_shared<EdgeAccess>();
  access->authenticator = state.authenticator;
  access->audit = state.audit;
  access->authorization_servers = config.auth.authorization_servers;
  access->scopes = config.auth.scopes;
  if (!config.auth.resource.empty()) {
    access->resource_base = config.auth.resource;
  } else {
    auto& host = config.http.host;
    std::string shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host;
    if (shown.find(':') != std::string::npos) shown = "[" + shown + "]";
    access->resource_base = fmt::format("http://{}:{}", shown, port);
  }
  for (auto& p : config.profiles)
    if (!p.endpoint.empty()) access->profile_endpoints.emplace_back(p.endpoint, p.name);
  return access;
}

void check_exposure(const config::Config& config) {
  if (config.auth.enabled || loopback_host(config.http.host)) return;
  if (!config.http.allow_unauthenticated)
    throw std::runtime_error(fmt::format(
        "refusing to serve {} without authentication: anyone who can reach it could call every tool. Add an "
        "\"auth\" section (README, Security), bind 127.0.0.1, or set httpServer.allowUnauthenticated: true if a "
        "gateway in front authenticates",
        config.http.host));
  spdlog::warn("serving {} WITHOUT authentication (httpServer.allowUnauthenticated): anyone who can reach this "
               "port can call every tool",
               config.http.host);
}

}  // namespace mcproxy::proxy
