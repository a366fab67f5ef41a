#pragma once
// What the proxy keeps for one downstream request beside what middleware sees (the framework's
// RequestContext): the client's id as a key among its session's requests, the stream its
// related messages go to, and the cancellation the client can trigger. Every request that
// crosses the proxy has one; the proxy's own requests have one without a session.

#include "mcp/cancellation.hpp"
#include "middleware/context.hpp"

#include <string>

namespace mcproxy::proxy {

class DownstreamSession;
class ClientStream;

struct ProxyRequest final : middleware::RequestContext {
  std::string id_key;              // the id serialized: its key among the session's requests
  ClientStream* stream = nullptr;  // related notifications and requests go here if set
  mcp::Cancellation cancellation;
  // Set by a guard that refused the request ("denied", "rate-limited"), for the audit log.
  std::string refused_as;

  // The session as the proxy's own type (the proxy puts only DownstreamSessions in `session`).
  DownstreamSession* downstream() const noexcept;
  std::shared_ptr<DownstreamSession> downstream_ptr() const noexcept;
};

// The proxy's record of a request a middleware handed on; null for a context some middleware
// made itself (it then counts as the proxy's own request).
inline ProxyRequest* proxy_request(middleware::RequestContext& ctx) noexcept {
  return dynamic_cast<ProxyRequest*>(&ctx);
}

}  // namespace mcproxy::proxy
