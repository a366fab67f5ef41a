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

// A chain of middleware in front of an innermost service: the entry for requests, and the
// reverse path through the same layers (innermost first). The links are set here and only
// here. Immutable once built: a reload builds a new one, and requests already running keep
// the one they started with (hold the shared_ptr).
class Pipeline {
 public:
  // Builds every layer from its maker. (A proxy whose list holds a per-session middleware
  // builds one Pipeline per session: the layers outside it must link to that session's
  // instance, so none of them can be shared.)
  Pipeline(const std::vector<Maker>& makers, const Site& site, std::shared_ptr<Service> innermost);

  Service& entry() const noexcept { return *entry_; }
  const std::vector<std::shared_ptr<Middleware>>& layers() const noexcept { return layers_; }  // outermost first
  bool has_per_session_layers() const noexcept { return per_session_; }
  // Every layer's answer to this list is pure (Middleware::list_is_pure): it may be cached.
  bool list_is_pure(mcp::ListKind kind) const;
  // Its layers' list variants (Middleware::list_variant), joined.
  std::string list_variant(const Session* session, const json::object& params) const;

  // A server's notification through every layer, innermost first; false when one dropped it.
  bool server_notification(Call& notification, const ReverseContext& from) const;
  // A server's request through every layer, innermost first, then `deliver` (to the client).
  boost::asio::awaitable<json::value> server_request(Call call, const ReverseContext& from,
                                                     const ReverseNext& deliver) const;

 private:
  std::shared_ptr<Service> entry_;
  std::vector<std::shared_ptr<Middleware>> layers_;
  bool per_session_ = false;
};

}  // namespace mcproxy::middleware
