#pragma once
// The Bearer challenge of a WWW-Authenticate header (RFC 6750 §3, RFC 9728 §5.1): what an MCP
// server says when it refuses a request for its credentials.

#include <string>
#include <string_view>

namespace mcproxy::oauth {

struct BearerChallenge {
  bool bearer = false;            // a Bearer challenge was there
  std::string error;              // "invalid_token", "insufficient_scope", ...
  std::string scope;              // the scopes the request needs (space separated)
  std::string resource_metadata;  // the protected resource metadata URL (RFC 9728)
};

// Never throws; what it cannot read is left empty.
BearerChallenge parse_www_authenticate(std::string_view header);

}  // namespace mcproxy::oauth
