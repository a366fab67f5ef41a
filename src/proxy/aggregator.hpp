#pragma once
// The merged view of all backends: one catalogue of tools, prompts, resources and templates,
// renamed by the naming rules, and the routing of each call to the backend that owns the name
// or URI, with the backend's original name put back. The catalogue is rebuilt only when a
// backend's contribution changed (it came up, went down, or sent list_changed), so a list
// request is served from memory.
//
// Lifetimes: the set of backends and the catalogue are immutable snapshots held by shared_ptr;
// a request takes the snapshot once and keeps it across its awaits, so a hot reload or a
// rebuild meanwhile never frees what it uses (routes hold the backend itself, not a pointer).
//
// Isolation (shared mode, one upstream session for every client): tasks are owned by the
// session that created them (others get "Unknown task", as for an id that never existed);
// resources/(un)subscribe are counted per session and URI, so one client can neither end nor
// receive another's subscription; logging/setLevel is kept per session (see Backend).
//
// Two backends that list the same resource URI: the first in config order serves it (logged
// once, naming both). A server with "namespaceResources" gets its URIs behind a reversible
// prefix ("<server>+<uri>"), which avoids the clash.

#include "config/config.hpp"
#include "proxy/backend.hpp"
#include "proxy/request_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace mcproxy::proxy {

class Aggregator {
 public:
  using Backends = std::vector<std::shared_ptr<Backend>>;

  // page_size 0 answers every list in one page.
  Aggregator(Backends backends, config::NamingConfig naming, std::size_t page_size = 0);

  // A snapshot of the backends (shared_ptr copies: valid however long the caller keeps it).
  std::shared_ptr<const Backends> backends() const noexcept { return backends_; }
  // Hot reload: a new set of backends (kept instances and new ones); the catalogue is rebuilt.
  void set_backends(Backends backends, config::NamingConfig naming, std::size_t page_size);
  bool uses(const Backend& backend) const noexcept;

  // Rebuilds the catalogue if a backend's contribution changed since the last build.
  boost::asio::awaitable<void> refresh();

  // `tools/list` and friends: the merged list, in pages of page_size when set (the cursor is
  // opaque to clients; a bad one gets -32602).
  boost::asio::awaitable<json::value> list(ListKind kind, const json::object& params);
  boost::asio::awaitable<json::value> call_tool(json::object params, ProxyRequest& ctx);
  boost::asio::awaitable<json::value> get_prompt(json::object params, ProxyRequest& ctx);
  boost::asio::awaitable<json::value> read_resource(json::object params, ProxyRequest& ctx);
  boost::asio::awaitable<json::value> subscribe(std::string_view method, json::object params,
                                                ProxyRequest& ctx);
  boost::asio::awaitable<json::value> complete(json::object params, ProxyRequest& ctx);
  boost::asio::awaitable<json::value> set_log_level(json::object params, ProxyRequest& ctx);
  // tasks/get, tasks/result, tasks/cancel (routed by task id, owner checked) and tasks/list
  // (merged, only the caller's own tasks).
  boost::asio::awaitable<json::value> task_request(std::string_view method, json::object params,
                                                   ProxyRequest& ctx);
  // Notifications a client sends that backends must hear (e.g. roots/list_changed).
  void notify_backends(std::string_view method, const json::object& params, bool per_client_only);

  // What the proxy offers downstream: the union of what its backends offer.
  json::object server_capabilities() const;
  std::string instructions() const;
  // How long a client may keep the merged list of `kind` (ttlMs of 2026-07-28): the least of
  // its contributors', one that said nothing counting as 0 (ask again: it may change any time).
  std::int64_t list_ttl_ms(ListKind kind) const;

  // The list cache ("serialize once"): list results already serialized for the current
  // catalogue, by a key McpServer makes (kind, cursor, protocol version, proxy pipeline). A
  // rebuild of the catalogue empties it, so an entry never outlives what it was made from.
  std::uint64_t catalogue_generation() const noexcept { return catalogue_generation_; }
  std::shared_ptr<const std::string> cached_list(const std::string& key) const;
  // Kept only if the catalogue is still the one of `generation` (it may be rebuilt while a
  // list is computed).
  void cache_list(std::string key, std::uint64_t generation, std::shared_ptr<const std::string> serialized);

  // Where a final name leads; for middleware (which server a name comes from), tests and
  // `mcproxy list`. The pointer is valid until the caller's next co_await.
  struct Route {
    std::shared_ptr<Backend> backend;
    std::string original;
  };
  const Route* tool_route(const std::string& name) const;
  // The merged list as clients see it, all pages (the dashboard); a copy.
  json::array merged_list(ListKind kind) const;
  const Route* prompt_route(const std::string& name) const;

  // The configured server a URI (or URI template) as the client sees it belongs to: by its
  // namespace, the resource lists, then the templates; empty when no one server owns it.
  std::string resource_owner(std::string_view uri) const;

  // The URI a client sees for a backend's own URI (namespaced or not).
  std::string client_uri(const Backend& backend, std::string_view uri) const;

 private:
  struct TemplateRoute {
    std::string prefix;  // literal part of the template, as the client sees it
    std::shared_ptr<Backend> backend;
  };
  struct Namespace {
    std::string prefix;  // "server+"
    std::shared_ptr<Backend> backend;
  };
  struct Catalogue {
    std::array<json::array, 4> lists;
    std::unordered_map<std::string, Route> tools;
    std::unordered_map<std::string, Route> prompts;
    std::unordered_map<std::string, Route> resources;  // URI seen by clients -> owner, own URI
    std::vector<TemplateRoute> templates;              // longest prefix first
    std::vector<Namespace> namespaces;
  };
  // Where a URI leads, in the order to try: the backend and the URI it knows.
  struct UriRoute {
    std::shared_ptr<Backend> backend;
    std::string uri;
  };

  bool stale() const noexcept;
  void rebuild();
  std::vector<UriRoute> resolve_uri(const Catalogue& catalogue, const Backends& backends,
                                    std::string_view uri) const;
  boost::asio::awaitable<json::value> route_by_uri(std::string_view method, json::object params,
                                                   std::string_view uri, ProxyRequest& ctx,
                                                   UriRoute* chosen = nullptr);

  std::shared_ptr<const Backends> backends_;
  config::NamingConfig naming_;
  std::size_t page_size_;
  std::shared_ptr<const Catalogue> catalogue_;
  std::uint64_t catalogue_generation_ = 0;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> list_cache_;
  std::vector<std::uint64_t> built_generations_;  // per backend, at the last rebuild
  std::set<std::pair<std::string, std::string>> warned_duplicates_;  // (uri, second server)
};

}  // namespace mcproxy::proxy
