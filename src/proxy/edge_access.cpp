#include "proxy/edge_access.hpp"

#include <boost/json.hpp>

namespace mcproxy::proxy {

std::optional<std::string> EdgeAccess::profile_at(std::string_view path) const {
  for (auto& [p, profile] : profile_endpoints)
    if (p == path) return profile;
  return std::nullopt;
}

void audit_edge(const EdgeAccess& access, const Caller* caller, std::string_view outcome, std::string_view reason,
                std::string_view remote, std::string_view path) {
  if (!access.audit) return;
  boost::json::object event;
  event["event"] = "http";
  event["outcome"] = outcome;
  event["reason"] = reason;
  if (caller) {
    event["identity"] = caller->identity.name;
    event["profile"] = caller->profile;
  }
  event["remote"] = remote;
  event["path"] = path;
  access.audit->write(event);
}

}  // namespace mcproxy::proxy
