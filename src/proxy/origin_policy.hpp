#pragma once
// Which Host and Origin headers the HTTP endpoints serve (the DNS rebinding defence, MCP-DIGEST
// §4). Bound to a loopback address, only loopback names may reach the proxy unless
// httpServer.allowedHosts names more; bound elsewhere, the operator decides with allowedHosts.
// Origins: httpServer.allowedOrigins, or pages served from this machine's loopback names.

#include "config/config.hpp"

#include <string_view>

namespace mcproxy::proxy {

class OriginPolicy {
 public:
  // Keeps a reference: a reload replaces the config in place (the bound host never changes).
  explicit OriginPolicy(const config::HttpServerConfig& http);

  bool host_allowed(std::string_view host) const;
  bool origin_allowed(std::string_view origin) const;

 private:
  const config::HttpServerConfig& http_;
  bool loopback_only_;
};

}  // namespace mcproxy::proxy
