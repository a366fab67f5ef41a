#pragma once
// Who is behind a request, once the edge has checked their credential: a name (API key name or
// a JWT claim), how they proved it, their roles, and the profiles they may use. Anonymous
// (auth off) is the empty name with every profile allowed.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::proxy {

struct Identity {
  std::string name;                   // empty: anonymous (no auth configured)
  std::string method = "none";        // "api-key", "jwt" or "none"
  std::string profile;                // what it sees on the main endpoint; "" = everything
  std::vector<std::string> profiles;  // the profiles it may use (virtual endpoints)
  std::vector<std::string> roles;

  bool anonymous() const noexcept { return name.empty(); }
  bool has_role(std::string_view role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
  }
  // Anonymous callers (auth off) may use every profile endpoint; an identity only its own.
  bool may_use(std::string_view p) const {
    return anonymous() || p == profile || std::find(profiles.begin(), profiles.end(), p) != profiles.end();
  }
};

}  // namespace mcproxy::proxy
