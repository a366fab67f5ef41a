#include "proxy/access_policy.hpp"

#include "config/json_reader.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace mcproxy::proxy {

const Profile* AccessPolicy::profile(std::string_view name) const {
  for (auto& p : profiles)
    if (p.name == name) return &p;
  return nullptr;
}

std::shared_ptr<const AccessPolicy> compile_access_policy(const config::Config& config) {
  config::JsonReader r;
  auto policy = std::make_shared<AccessPolicy>();
  for (auto& pc : config.profiles) {
    Profile p;
    p.name = pc.name;
    for (auto& s : pc.servers)
      if (auto pattern = middleware::Pattern::compile(s, r, config::child_path(pc.path, "servers"))) p.servers.add(*pattern);
    if (!pc.tools.empty()) middleware::VisibilityRule::read(pc.tools, r, config::child_path(pc.path, "tools"), p.tools);
    if (!pc.prompts.empty()) middleware::VisibilityRule::read(pc.prompts, r, config::child_path(pc.path, "prompts"), p.prompts);
    if (!pc.resources.empty())
      middleware::VisibilityRule::read(pc.resources, r, config::child_path(pc.path, "resources"), p.resources);
    p.rate_limit = pc.rate_limit;
    policy->profiles.push_back(std::move(p));
  }
  auto& limits = config.rate_limits;
  policy->global = limits.global;
  policy->per_identity = limits.per_identity;
  policy->max_concurrent_per_identity = limits.max_concurrent_per_identity;
  for (auto& [glob, limit] : limits.per_tool)
    if (auto pattern = middleware::Pattern::compile(glob, r, config::child_path("rateLimits.perTool", glob)))
      policy->per_tool.emplace_back(std::move(*pattern), limit);
  if (!r.errors().empty()) throw config::ConfigError(config.source, r.errors());
  return policy;
}

}  // namespace mcproxy::proxy
