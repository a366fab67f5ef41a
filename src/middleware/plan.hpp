#pragma once
// Turns the config's middleware lists into validated makers, before any backend starts. Every
// entry is checked, disabled ones too: an unknown type lists the known ones, a client
// middleware in the proxy list (or the reverse) is refused, and each factory validates its
// own config with JSON paths. All problems are reported at once as a ConfigError.

#include "config/config.hpp"
#include "middleware/registry.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace mcproxy::middleware {

struct Plan {
  std::vector<Maker> proxy;  // outermost first
  std::vector<Maker> client_default;
  std::unordered_map<std::string, std::vector<Maker>> client_servers;  // replace the default

  const std::vector<Maker>& client_for(const std::string& server) const {
    auto it = client_servers.find(server);
    return it == client_servers.end() ? client_default : it->second;
  }
};

Plan compile_plan(const config::Config& config);

// Links makers into a chain in front of `innermost`; returns the outermost service and fills
// `layers` (outermost first) so callers can reach the reverse-path hooks.
std::shared_ptr<Service> build_chain(const std::vector<Maker>& makers, const Site& site,
                                     std::shared_ptr<Service> innermost,
                                     std::vector<std::shared_ptr<Middleware>>* layers = nullptr);

}  // namespace mcproxy::middleware
