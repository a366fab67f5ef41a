#pragma once
// Which Host and Origin headers the HTTP endpoints serve (the DNS rebinding defence, MCP-DIGEST
// §4). Bound to a loopback address, only loopback names may reach the proxy unless
// httpServer.allowedHosts names more; bound elsewhere, the operator decides with allowedHosts.
// Origins: httpServer.allowedOrigins, or pages served from this machine's loopback names.

#include "config/config.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::proxy {

class OriginPolicy {
 public:
  // A copy of what it needs: connections on other threads read it while a reload makes the
  // next one (HttpEndpoint swaps them atomically).
  explicit OriginPolicy(const config::HttpServerConfig& http);

  bool host_allowed(std::string_view host) const;
  bool origin_allowed(std::string_view origin) const;

 private:
  std::vector<std::string> allowed_hosts_;
  std::vector<std::string> allowed_origins_;
  bool loopback_only_;
};

}  // namespace mcproxy::proxy
