#pragma once
// What the HTTP edge knows about access: how callers authenticate, the profile endpoints, the
// resource URL of each endpoint (RFC 9728 metadata, JWT audiences) and the audit log; and the
// Caller a request is admitted as, which its session is bound to.

#include "auth/audit_log.hpp"
#include "proxy/authenticator.hpp"
#include "proxy/identity.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcproxy::proxy {

// Who may reach the MCP endpoints and how they prove it; an immutable snapshot, replaced on
// reload and read on connection strands.
struct EdgeAccess {
  std::shared_ptr<Authenticator> authenticator;  // null or disabled: no auth
  std::string resource_base;                     // "https://mcp.example.com", no trailing '/'
  std::vector<std::string> authorization_servers;
  std::vector<std::string> scopes;
  std::vector<std::pair<std::string, std::string>> profile_endpoints;  // path -> profile
  std::shared_ptr<auth::AuditLog> audit;                              // null: no audit log

  bool auth_on() const noexcept { return authenticator && authenticator->enabled(); }
  // The profile served at `path`; nullopt when `path` is no profile endpoint.
  std::optional<std::string> profile_at(std::string_view path) const;
};

// The identity behind a request and where it came in: what a session is bound to.
struct Caller {
  Identity identity;
  std::string endpoint;  // the path of the MCP endpoint
  std::string profile;   // what it sees there
  std::string remote;    // the client's address, for the audit log
};

// An audit event for a request refused at the edge ("auth-failed", "denied").
void audit_edge(const EdgeAccess& access, const Caller* caller, std::string_view outcome, std::string_view reason,
                std::string_view remote, std::string_view path);

}  // namespace mcproxy::proxy
