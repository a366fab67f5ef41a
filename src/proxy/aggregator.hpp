#pragma once
// The merged view of all backends: one catalogue of tools, prompts, resources and templates,
// renamed by the naming rules, and the routing of each call to the backend that owns the name
// or URI, with the backend's original name put back. The catalogue is rebuilt only when a
// backend's contribution changed (it came up, went down, or sent list_changed), so a list
// request is served from memory.

#include "config/config.hpp"
#include "proxy/backend.hpp"
#include "proxy/request_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace mcproxy::proxy {

class Aggregator {
 public:
  // page_size 0 answers every list in one page.
  Aggregator(std::vector<std::shared_ptr<Backend>> backends, config::NamingConfig naming,
             std::size_t page_size = 0);

  const std::vector<std::shared_ptr<Backend>>& backends() const noexcept { return backends_; }
  // Hot reload: a new set of backends (kept instances and new ones); the catalogue is rebuilt.
  void set_backends(std::vector<std::shared_ptr<Backend>> backends, config::NamingConfig naming,
                    std::size_t page_size);
  bool uses(const Backend& backend) const noexcept;

  // Rebuilds the catalogue if a backend's contribution changed since the last build.
  boost::asio::awaitable<void> refresh();

  // `tools/list` and friends: the merged list, in pages of page_size when set (the cursor is
  // opaque to clients; a bad one gets -32602).
  boost::asio::awaitable<json::value> list(ListKind kind, const json::object& params);
  boost::asio::awaitable<json::value> call_tool(json::object params, RequestContext& ctx);
  boost::asio::awaitable<json::value> get_prompt(json::object params, RequestContext& ctx);
  boost::asio::awaitable<json::value> read_resource(json::object params, RequestContext& ctx);
  boost::asio::awaitable<json::value> subscribe(std::string_view method, json::object params,
                                                RequestContext& ctx);
  boost::asio::awaitable<json::value> complete(json::object params, RequestContext& ctx);
  boost::asio::awaitable<json::value> set_log_level(json::object params, RequestContext& ctx);
  // tasks/get, tasks/result, tasks/cancel (routed by task id) and tasks/list (merged).
  boost::asio::awaitable<json::value> task_request(std::string_view method, json::object params,
                                                   RequestContext& ctx);
  // Notifications a client sends that backends must hear (e.g. roots/list_changed).
  void notify_backends(std::string_view method, const json::object& params, bool per_client_only);

  // What the proxy offers downstream: the union of what its backends offer.
  json::object server_capabilities() const;
  std::string instructions() const;

  // Where a final name leads; for tests and `mcproxy list`.
  struct Route {
    Backend* backend;
    std::string original;
  };
  const Route* tool_route(const std::string& name) const;
  const Route* prompt_route(const std::string& name) const;

 private:
  struct Catalogue {
    std::array<json::array, 4> lists;
    std::unordered_map<std::string, Route> tools;
    std::unordered_map<std::string, Route> prompts;
    std::unordered_map<std::string, Backend*> resources;               // exact URI -> owner
    std::vector<std::pair<std::string, Backend*>> template_prefixes;   // literal prefix -> owner
  };
  bool stale() const noexcept;
  void rebuild();
  std::vector<Backend*> resource_candidates(std::string_view uri) const;
  boost::asio::awaitable<json::value> route_by_uri(std::string_view method, json::object params,
                                                   std::string_view uri, RequestContext& ctx,
                                                   Backend** chosen = nullptr);
  void remember_task(const json::value& result, Backend* backend);

  std::vector<std::shared_ptr<Backend>> backends_;
  config::NamingConfig naming_;
  std::size_t page_size_;
  Catalogue catalogue_;
  std::vector<std::uint64_t> built_generations_;  // per backend, at the last rebuild
  std::unordered_map<std::string, Backend*> tasks_;  // task id -> backend that runs it
};

}  // namespace mcproxy::proxy
