#pragma once
// Builds what identity needs from a config, at start and on every reload: the guards placed in
// front of the configured proxy middleware (audit trail outermost, then the profile guard, then
// the rate guard: a denial is audited and costs no token), the edge's access snapshot, and the
// check that refuses to serve a non-loopback address without auth.

#include "auth/audit_log.hpp"
#include "auth/rate_limiter.hpp"
#include "config/config.hpp"
#include "middleware/registry.hpp"
#include "proxy/access_policy.hpp"
#include "proxy/edge_access.hpp"

#include <memory>
#include <vector>

namespace mcproxy::proxy {

// The pieces that live across reloads (buckets keep their tokens, the audit file stays open
// unless its settings change).
struct AccessState {
  std::shared_ptr<const AccessPolicy> policy;
  std::shared_ptr<auth::RateLimiter> limiter = std::make_shared<auth::RateLimiter>();
  std::shared_ptr<auth::AuditLog> audit;
  config::AuditConfig audit_config;
  std::shared_ptr<Authenticator> authenticator;
};

// Applies `config` to `state` (compiles the policy, opens or reopens the audit log, makes a new
// authenticator). Throws config::ConfigError or std::runtime_error; `state` is then unchanged.
void update_access_state(AccessState& state, const config::Config& config);

// The guards, then the configured proxy middleware.
std::vector<middleware::Maker> proxy_chain(const AccessState& state, const config::Config& config,
                                           const std::vector<middleware::Maker>& configured);

// `port` is the one actually bound (the config may say 0).
std::shared_ptr<const EdgeAccess> make_edge_access(const AccessState& state, const config::Config& config,
                                                   unsigned short port);

// Throws std::runtime_error when the config serves a non-loopback address with no auth and
// does not say httpServer.allowUnauthenticated; warns when it says so.
void check_exposure(const config::Config& config);

}  // namespace mcproxy::proxy
