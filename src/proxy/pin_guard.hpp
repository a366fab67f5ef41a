#pragma once
// Tool-definition pinning, enforced where a backend's answers arrive, before any middleware
// (the innermost link of its client chain): the first time a tool is seen, the digest of its
// definition as the server sent it is pinned (auth/pin_store); a later different definition
// is a "rug pull" candidate: logged and audited (mode warn), or hidden from the list and
// refused when called with an error saying how to approve it (mode block). Changing the
// middleware stack never trips a pin, since pins see what the server sent.
//
// `mcproxy pins approve` rewrites the pin file; the proxy polls it (Proxy) and, when it
// changed, relists the tools of every backend, so clients get list_changed. Runs on the core.

#include "auth/audit_log.hpp"
#include "auth/pin_store.hpp"
#include "config/config.hpp"

#include <boost/json/value.hpp>

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace mcproxy::proxy {

class PinGuard {
 public:
  // Loads the pin file (missing = empty). Throws std::runtime_error naming it when unreadable.
  PinGuard(config::PinsConfig config, std::shared_ptr<auth::AuditLog> audit);

  // A page of `server`'s own tools/list result: pins what is new, reports what changed, and in
  // block mode marks the changed tools blocked (the catalogue leaves them out of its lists but
  // keeps their routes, so that a call gets check_call's error rather than "Unknown tool").
  void screen(const std::string& server, boost::json::value& result);
  bool blocked(const std::string& server, std::string_view tool) const {
    return blocked_.contains(std::pair{server, std::string(tool)});
  }
  // Throws McpError for a tool of `server` that is blocked (by its own name).
  void check_call(const std::string& server, std::string_view tool) const;
  // For the dashboard: "blocked", "changed" (warn mode), "pinned" or "none".
  std::string_view state_of(const std::string& server, const std::string& tool) const {
    return blocked(server, tool) ? std::string_view("blocked") : store_.state_of(server, tool);
  }
  const std::set<std::pair<std::string, std::string>>& blocked_tools() const noexcept { return blocked_; }
  // Approves the definition last seen (the dashboard; `mcproxy pins approve` writes the file
  // instead) and saves the file; false when nothing was waiting for approval. Throws
  // std::runtime_error when the file cannot be written. The caller relists the server's tools.
  bool approve(const std::string& server, const std::string& tool, std::string_view by);
  // The pin file changed on disk (an approval): re-read it. True when it did.
  bool reload_if_changed();

  const config::PinsConfig& config() const noexcept { return config_; }

 private:
  config::PinsConfig config_;
  std::shared_ptr<auth::AuditLog> audit_;
  auth::PinStore store_;
  std::set<std::pair<std::string, std::string>> blocked_;  // (server, tool)
};

}  // namespace mcproxy::proxy
