#pragma once
// The profiles and rate limits of the config, compiled once (patterns checked, with their JSON
// paths) into an immutable policy that the guards of the proxy chain read (profile_guard,
// rate_guard). A reload compiles a new one; requests running keep theirs.

#include "config/config.hpp"
#include "middleware/pattern.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::proxy {

struct Profile {
  std::string name;
  middleware::PatternSet servers;  // empty: every server
  middleware::VisibilityRule tools, prompts, resources;  // by the names and URIs clients see
  std::optional<config::RateLimit> rate_limit;

  bool server_visible(std::string_view server) const { return servers.empty() || servers.matches(server); }
};

struct AccessPolicy {
  std::vector<Profile> profiles;
  std::optional<config::RateLimit> global, per_identity;
  std::vector<std::pair<middleware::Pattern, config::RateLimit>> per_tool;  // first match applies
  std::size_t max_concurrent_per_identity = 0;

  const Profile* profile(std::string_view name) const;
  bool has_limits() const noexcept {
    return global || per_identity || !per_tool.empty() || max_concurrent_per_identity > 0 ||
           std::any_of(profiles.begin(), profiles.end(), [](auto& p) { return p.rate_limit.has_value(); });
  }
};

// Throws config::ConfigError (every problem, with its JSON path).
std::shared_ptr<const AccessPolicy> compile_access_policy(const config::Config& config);

}  // namespace mcproxy::proxy
