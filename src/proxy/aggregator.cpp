// Over 400 lines on purpose: the catalogue snapshot and every routing rule that reads it (by
// name, by URI and template, by task, by completion reference, fan-out) change together when a
// naming rule or a list kind changes; split, each half would restate the other's lookups.
#include "proxy/aggregator.hpp"

#include "mcp/error.hpp"
#include "mcp/log_level.hpp"
#include "middleware/final_name.hpp"
#include "proxy/downstream_session.hpp"
#include "proxy/naming.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace mcproxy::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using mcp::McpError;
namespace ec = mcp::error_code;

namespace {

std::string string_param(const json::object& params, std::string_view key, std::string_view method) {
  auto* v = params.if_contains(key);
  if (!v || !v->is_string()) {
    throw McpError(ec::kInvalidParams,
                   fmt::format("Invalid params: {} needs \"{}\" as a string", method, key));
  }
  return std::string(v->get_string());
}

// Cursors are opaque to clients: "<kind letter><offset>" base64url-encoded, so a client cannot
// mistake them for anything meaningful and a cursor of one list is refused by another.
constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char kind_letter(ListKind kind) { return "tprT"[static_cast<int>(kind)]; }

std::string encode_cursor(std::size_t offset, ListKind kind) {
  std::string plain = fmt::format("{}{}", kind_letter(kind), offset);
  std::string out;
  unsigned bits = 0, value = 0;
  for (unsigned char c : plain) {
    value = (value << 8) | c;
    bits += 8;
    while (bits >= 6) out += kBase64[(value >> (bits -= 6)) & 63];
  }
  if (bits) out += kBase64[(value << (6 - bits)) & 63];
  return out;
}

std::optional<std::size_t> decode_cursor(std::string_view cursor, ListKind kind) {
  std::string plain;
  unsigned bits = 0, value = 0;
  for (char c : cursor) {
    auto pos = kBase64.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    value = (value << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) plain += static_cast<char>((value >> (bits -= 8)) & 0xFF);
  }
  if (plain.size() < 2 || plain.size() > 12 || plain[0] != kind_letter(kind)) return std::nullopt;
  std::size_t offset = 0;
  for (char c : plain.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    offset = offset * 10 + static_cast<std::size_t>(c - '0');
  }
  return offset;
}

}  // namespace

Aggregator::Aggregator(Backends backends, config::NamingConfig naming, std::size_t page_size)
    : backends_(std::make_shared<const Backends>(std::move(backends))),
      naming_(std::move(naming)),
      page_size_(page_size),
      catalogue_(std::make_shared<const Catalogue>()) {}

void Aggregator::set_backends(Backends backends, config::NamingConfig naming, std::size_t page_size) {
  backends_ = std::make_shared<const Backends>(std::move(backends));
  naming_ = std::move(naming);
  page_size_ = page_size;
  built_generations_.clear();  // forces a rebuild
  ++catalogue_generation_;     // and pages of the old size are not served again
  list_cache_.clear();
}

bool Aggregator::uses(const Backend& backend) const noexcept {
  for (auto& b : *backends_)
    if (b.get() == &backend) return true;
  return false;
}

bool Aggregator::stale() const noexcept {
  auto& backends = *backends_;
  if (built_generations_.size() != backends.size()) return true;
  for (std::size_t i = 0; i < backends.size(); ++i)
    if (backends[i]->generation() != built_generations_[i]) return true;
  return false;
}

awaitable<void> Aggregator::refresh() {
  for (int round = 0; round < 5 && stale(); ++round) {
    auto backends = backends_;  // a reload may replace the set while lists load
    std::vector<std::uint64_t> generations;
    for (auto& b : *backends) generations.push_back(b->generation());
    for (auto& b : *backends)
      if (b->up() && !b->lists_loaded()) co_await b->load_lists();
    if (backends != backends_) continue;  // replaced meanwhile: build for the new set
    rebuild();
    built_generations_ = std::move(generations);
  }
}

void Aggregator::rebuild() {
  ++catalogue_generation_;
  list_cache_.clear();
  auto next = std::make_shared<Catalogue>();
  const auto& backends = *backends_;
  // Tools and prompts are renamed; resources and templates keep their URIs (or get the
  // server's namespace prefix).
  for (auto [kind, routes] : {std::pair{ListKind::tools, &next->tools},
                              std::pair{ListKind::prompts, &next->prompts}}) {
    std::vector<NameRequest> requests;
    std::vector<std::pair<const std::shared_ptr<Backend>*, const json::object*>> items;
    for (auto& b : backends) {
      if (!b->listed()) continue;
      for (auto& item : b->list(kind)) {
        auto* name = item.get_object().if_contains("name");
        if (!name || !name->is_string()) continue;
        requests.push_back({b->name(), name->get_string(), middleware::has_final_name(item.get_object())});
        items.emplace_back(&b, &item.get_object());
      }
    }
    auto named = assign_names(requests, naming_.mode, naming_.separator);
    for (auto& w : named.warnings) spdlog::warn("naming: {}", w);
    auto& out = next->lists[static_cast<int>(kind)];
    out.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      // A tool blocked by its pin keeps its route (its calls get the pin's error) but is listed
      // to no one.
      if (kind == ListKind::tools && (*items[i].first)->tool_blocked(requests[i].original)) {
        routes->emplace(named.names[i], Route{*items[i].first, std::string(requests[i].original)});
        continue;
      }
      json::object copy = *items[i].second;
      middleware::take_final_name(copy);  // the proxy's own mark: clients never see it
      copy["name"] = named.names[i];
      out.push_back(std::move(copy));
      routes->emplace(named.names[i], Route{*items[i].first, std::string(requests[i].original)});
    }
  }
  for (auto& b : backends) {
    if (!b->listed()) continue;
    const std::string& ns = b->uri_prefix();
    if (!ns.empty()) next->namespaces.push_back(Namespace{ns, b});
    for (auto& item : b->list(ListKind::resources)) {
      auto* uri = item.get_object().if_contains("uri");
      if (!uri || !uri->is_string()) continue;
      std::string own(uri->get_string());
      std::string seen = ns + own;
      auto [it, inserted] = next->resources.emplace(seen, Route{b, own});
      if (!inserted) {
        if (warned_duplicates_.emplace(seen, b->name()).second)
          spdlog::warn("resource {} is listed by both '{}' and '{}': '{}' serves it (set "
                       "\"namespaceResources\": true on one of them to reach both)",
                       seen, it->second.backend->name(), b->name(), it->second.backend->name());
        continue;
      }
      json::object copy = item.get_object();
      if (!ns.empty()) copy["uri"] = seen;
      next->lists[static_cast<int>(ListKind::resources)].push_back(std::move(copy));
    }
    for (auto& item : b->list(ListKind::templates)) {
      json::object copy = item.get_object();
      if (auto* t = copy.if_contains("uriTemplate"); t && t->is_string()) {
        std::string tpl = ns + std::string(t->get_string());
        auto prefix = tpl.substr(0, tpl.find('{'));
        if (!prefix.empty()) next->templates.push_back(TemplateRoute{prefix, b});
        if (!ns.empty()) *t = tpl;
      }
      next->lists[static_cast<int>(ListKind::templates)].push_back(std::move(copy));
    }
  }
  std::stable_sort(next->templates.begin(), next->templates.end(),
                   [](auto& a, auto& b) { return a.prefix.size() > b.prefix.size(); });
  catalogue_ = std::move(next);
}

awaitable<json::value> Aggregator::list(ListKind kind, const json::object& params) {
  co_await refresh();
  auto catalogue = catalogue_;
  const auto& all = catalogue->lists[static_cast<int>(kind)];
  json::object result;
  if (page_size_ == 0) {
    if (params.contains("cursor"))
      throw McpError(ec::kInvalidParams, "Invalid params: unknown cursor (lists are not paginated)");
    result[list_key(kind)] = all;
    co_return result;
  }
  std::size_t offset = 0;
  if (auto* cursor = params.if_contains("cursor")) {
    auto decoded = cursor->is_string() ? decode_cursor(cursor->get_string(), kind) : std::nullopt;
    if (!decoded) throw McpError(ec::kInvalidParams, "Invalid params: invalid or expired cursor");
    offset = *decoded;
    if (offset > all.size()) throw McpError(ec::kInvalidParams, "Invalid params: cursor past the end");
  }
  std::size_t end = std::min(all.size(), offset + page_size_);
  json::array page;
  page.reserve(end - offset);
  for (std::size_t i = offset; i < end; ++i) page.push_back(all[i]);
  result[list_key(kind)] = std::move(page);
  if (end < all.size()) result["nextCursor"] = encode_cursor(end, kind);
  co_return result;
}

std::shared_ptr<const std::string> Aggregator::cached_list(const std::string& key) const {
  auto it = list_cache_.find(key);
  return it == list_cache_.end() ? nullptr : it->second;
}

void Aggregator::cache_list(std::string key, std::uint64_t generation, std::shared_ptr<const std::string> serialized) {
  if (generation != catalogue_generation_) return;
  // Bounded: keys are few (kinds x pages x protocol versions x pipelines), but a reload keeps
  // adding pipelines until the next rebuild.
  constexpr std::size_t kMaxEntries = 1024;
  if (list_cache_.size() >= kMaxEntries) list_cache_.clear();
  list_cache_.emplace(std::move(key), std::move(serialized));
}

json::array Aggregator::merged_list(ListKind kind) const {
  return catalogue_->lists[static_cast<std::size_t>(kind)];
}

const Aggregator::Route* Aggregator::tool_route(const std::string& name) const {
  auto it = catalogue_->tools.find(name);
  return it == catalogue_->tools.end() ? nullptr : &it->second;
}

const Aggregator::Route* Aggregator::prompt_route(const std::string& name) const {
  auto it = catalogue_->prompts.find(name);
  return it == catalogue_->prompts.end() ? nullptr : &it->second;
}

std::string Aggregator::client_uri(const Backend& backend, std::string_view uri) const {
  return backend.uri_prefix() + std::string(uri);
}

namespace {

// Namespaced servers: URIs inside a result (resource links, embedded resources, read
// contents) get the server's prefix, so the client can read them back through the proxy.
void namespace_uris(json::value& v, const std::string& prefix, int depth = 0) {
  if (prefix.empty() || depth > 64) return;
  if (auto* arr = v.if_array()) {
    for (auto& item : *arr) namespace_uris(item, prefix, depth + 1);
    return;
  }
  auto* obj = v.if_object();
  if (!obj) return;
  if (auto* type = obj->if_contains("type"); type && type->is_string() && type->get_string() == "resource_link") {
    if (auto* uri = obj->if_contains("uri"); uri && uri->is_string()) *uri = prefix + std::string(uri->get_string());
  }
  for (auto key : {"content", "contents", "messages", "resource"}) {
    if (auto* child = obj->if_contains(key)) {
      if (std::string_view(key) == "resource" || std::string_view(key) == "contents") {
        auto mark = [&](json::value& r) {
          if (auto* ro = r.if_object())
            if (auto* uri = ro->if_contains("uri"); uri && uri->is_string())
              *uri = prefix + std::string(uri->get_string());
        };
        if (auto* list = child->if_array()) for (auto& r : *list) mark(r);
        else mark(*child);
      } else {
        namespace_uris(*child, prefix, depth + 1);
      }
    }
  }
}

}  // namespace

awaitable<json::value> Aggregator::call_tool(json::object params, ProxyRequest& ctx) {
  co_await refresh();
  auto catalogue = catalogue_;
  auto name = string_param(params, "name", "tools/call");
  auto it = catalogue->tools.find(name);
  if (it == catalogue->tools.end()) throw McpError(ec::kInvalidParams, fmt::format("Unknown tool: {}", name));
  params["name"] = it->second.original;
  auto backend = it->second.backend;
  json::value result = co_await backend->request(mcp::Method::tools_call, std::move(params), ctx);
  // A task-augmented call: the task belongs to this client.
  if (auto* r = result.if_object(); r && ctx.session) {
    if (auto* task = r->if_contains("task"); task && task->is_object()) {
      if (auto* id = task->get_object().if_contains("taskId"); id && id->is_string())
        backend->remember_task(std::string(id->get_string()), ctx.session->id());
    }
  }
  namespace_uris(result, backend->uri_prefix());
  co_return result;
}

awaitable<json::value> Aggregator::get_prompt(json::object params, ProxyRequest& ctx) {
  co_await refresh();
  auto catalogue = catalogue_;
  auto name = string_param(params, "name", "prompts/get");
  auto it = catalogue->prompts.find(name);
  if (it == catalogue->prompts.end()) throw McpError(ec::kInvalidParams, fmt::format("Unknown prompt: {}", name));
  params["name"] = it->second.original;
  auto backend = it->second.backend;
  json::value result = co_await backend->request(mcp::Method::prompts_get, std::move(params), ctx);
  namespace_uris(result, backend->uri_prefix());
  co_return result;
}

std::vector<Aggregator::UriRoute> Aggregator::resolve_uri(const Catalogue& catalogue,
                                                          const Backends& backends,
                                                          std::string_view uri) const {
  for (auto& ns : catalogue.namespaces)
    if (uri.starts_with(ns.prefix)) return {UriRoute{ns.backend, std::string(uri.substr(ns.prefix.size()))}};
  if (auto it = catalogue.resources.find(std::string(uri)); it != catalogue.resources.end())
    return {UriRoute{it->second.backend, it->second.original}};
  for (auto& t : catalogue.templates)
    if (uri.starts_with(t.prefix) && t.backend->uri_prefix().empty())
      return {UriRoute{t.backend, std::string(uri)}};
  // Not listed anywhere (e.g. a resource_link): ask each backend that serves resources under
  // its own URIs.
  std::vector<UriRoute> all;
  for (auto& b : backends)
    if (b->up() && b->has_capability("resources") && b->uri_prefix().empty())
      all.push_back(UriRoute{b, std::string(uri)});
  return all;
}

std::string Aggregator::resource_owner(std::string_view uri) const {
  auto catalogue = catalogue_;
  if (!catalogue) return {};
  for (auto& ns : catalogue->namespaces)
    if (uri.starts_with(ns.prefix)) return ns.backend->name();
  if (auto it = catalogue->resources.find(std::string(uri)); it != catalogue->resources.end())
    return it->second.backend->name();
  for (auto& t : catalogue->templates)
    if (uri.starts_with(t.prefix)) return t.backend->name();
  return {};
}

awaitable<json::value> Aggregator::route_by_uri(std::string_view method, json::object params,
                                               std::string_view uri, ProxyRequest& ctx,
                                               UriRoute* chosen) {
  auto catalogue = catalogue_;
  auto backends = backends_;
  auto candidates = resolve_uri(*catalogue, *backends, uri);
  if (candidates.empty()) {
    throw McpError(ec::kResourceNotFound, fmt::format("Resource not found: {}", uri),
                   json::object{{"uri", uri}});
  }
  std::optional<McpError> last;
  for (auto& c : candidates) {
    json::object attempt = params;
    if (method == "completion/complete") {
      if (auto* ref = attempt.if_contains("ref"); ref && ref->is_object()) ref->get_object()["uri"] = c.uri;
    } else {
      attempt["uri"] = c.uri;
    }
    try {
      json::value result = co_await c.backend->request(method, std::move(attempt), ctx);
      if (chosen) *chosen = c;
      if (method == "resources/read") namespace_uris(result, c.backend->uri_prefix());
      co_return result;
    } catch (const McpError& e) {
      // Only "not mine" moves on to the next candidate; any other error is the answer.
      if (candidates.size() == 1 ||
          (e.code() != ec::kResourceNotFound && e.code() != ec::kInvalidParams))
        throw;
      last = e;
    }
  }
  throw *last;
}

awaitable<json::value> Aggregator::read_resource(json::object params, ProxyRequest& ctx) {
  co_await refresh();
  auto uri = string_param(params, "uri", "resources/read");
  co_return co_await route_by_uri("resources/read", std::move(params), uri, ctx);
}

awaitable<json::value> Aggregator::subscribe(std::string_view method, json::object params,
                                             ProxyRequest& ctx) {
  co_await refresh();
  auto uri = string_param(params, "uri", method);
  if (uri.empty()) throw McpError(ec::kInvalidParams, fmt::format("Invalid params: {} needs a non-empty \"uri\"", method));
  if (!ctx.session) throw McpError(ec::kInvalidRequest, "Invalid Request: subscriptions need a session");
  auto& subscriptions = ctx.downstream()->subscriptions;
  // The proxy keeps its own table: updates go only to the sessions that subscribed, and a
  // shared upstream subscription starts with its first subscriber and ends with its last.
  if (method == "resources/unsubscribe") {
    auto it = subscriptions.find(uri);
    if (it == subscriptions.end()) co_return json::object{};  // not this client's: nothing to end
    auto backend = it->second.backend.lock();
    std::string own = it->second.backend_uri;
    subscriptions.erase(it);
    if (!backend || backend->remove_subscriber(own) > 0) co_return json::object{};
    params["uri"] = own;
    co_return co_await backend->request(method, std::move(params), ctx);
  }
  if (subscriptions.contains(uri)) co_return json::object{};  // already subscribed
  auto catalogue = catalogue_;
  auto candidates = resolve_uri(*catalogue, *backends_, uri);
  // Someone else already holds the upstream subscription: share it.
  if (candidates.size() == 1 && candidates.front().backend->subscribers(candidates.front().uri) > 0) {
    auto& c = candidates.front();
    c.backend->add_subscriber(c.uri);
    subscriptions[uri] = DownstreamSession::Subscription{c.backend, c.uri};
    co_return json::object{};
  }
  UriRoute owner;
  json::value result = co_await route_by_uri(method, std::move(params), uri, ctx, &owner);
  if (owner.backend && !ctx.session->closed() &&
      subscriptions.emplace(uri, DownstreamSession::Subscription{owner.backend, owner.uri}).second)
    owner.backend->add_subscriber(owner.uri);
  co_return result;
}

awaitable<json::value> Aggregator::complete(json::object params, ProxyRequest& ctx) {
  co_await refresh();
  auto* ref = params.if_contains("ref");
  if (!ref || !ref->is_object())
    throw McpError(ec::kInvalidParams, "Invalid params: completion/complete needs \"ref\"");
  auto& r = ref->get_object();
  auto type = string_param(r, "type", "completion/complete ref");
  if (type == "ref/prompt") {
    auto catalogue = catalogue_;
    auto name = string_param(r, "name", "completion/complete ref");
    auto it = catalogue->prompts.find(name);
    if (it == catalogue->prompts.end()) throw McpError(ec::kInvalidParams, fmt::format("Unknown prompt: {}", name));
    params["ref"].get_object()["name"] = it->second.original;
    auto backend = it->second.backend;
    co_return co_await backend->request(mcp::Method::completion_complete, std::move(params), ctx);
  }
  if (type == "ref/resource") {
    auto uri = string_param(r, "uri", "completion/complete ref");
    co_return co_await route_by_uri("completion/complete", std::move(params), uri, ctx);
  }
  throw McpError(ec::kInvalidParams, fmt::format("Unknown completion reference type: {}", type));
}

awaitable<json::value> Aggregator::set_log_level(json::object params, ProxyRequest& ctx) {
  auto level = string_param(params, "level", "logging/setLevel");
  if (mcp::log_level_rank(level) < 0)
    throw McpError(ec::kInvalidParams, fmt::format("Invalid params: unknown log level \"{}\"", level));
  if (auto* session = ctx.downstream()) session->log_level = level;
  auto backends = backends_;
  for (auto& b : *backends) {
    if (!b->up() || !b->has_capability("logging")) continue;
    json::object upstream = params;
    if (!b->per_client()) {
      // Shared: upstream gets the most verbose level any session wants; this session's own
      // level filters what it receives (Relay).
      auto wanted = ctx.session ? b->set_session_log_level(ctx.session->id(), level) : level;
      if (wanted.empty()) continue;  // unchanged upstream
      upstream["level"] = wanted;
    }
    try {
      co_await b->request(mcp::Method::logging_set_level, std::move(upstream), ctx);
    } catch (const McpError& e) {
      spdlog::warn("[{}] logging/setLevel failed: {}", b->name(), e.what());
    }
  }
  co_return json::object{};
}

awaitable<json::value> Aggregator::task_request(std::string_view method, json::object params,
                                                ProxyRequest& ctx) {
  const std::string session_id = ctx.session ? ctx.session->id() : std::string();
  auto backends = backends_;
  if (method == "tasks/list") {
    // Merged over every backend that offers tasks, keeping only this client's own; one page.
    json::array all;
    for (auto& b : *backends) {
      if (!b->up() || !b->has_capability("tasks")) continue;
      json::value r;
      try {
        r = co_await b->request(method, params, ctx);
      } catch (const McpError& e) {
        spdlog::warn("[{}] tasks/list failed: {}", b->name(), e.what());
        continue;
      }
      auto* obj = r.if_object();
      auto* tasks = obj ? obj->if_contains("tasks") : nullptr;
      if (!tasks || !tasks->is_array()) {
        spdlog::warn("[{}] answered tasks/list without a \"tasks\" array: ignored", b->name());
        continue;
      }
      for (auto& task : tasks->get_array()) {
        auto* t = task.if_object();
        auto* id = t ? t->if_contains("taskId") : nullptr;
        if (!id || !id->is_string()) continue;
        if (b->task_owner(id->get_string()) == session_id) all.push_back(task);
      }
    }
    co_return json::object{{"tasks", std::move(all)}};
  }
  auto id = string_param(params, "taskId", method);
  for (auto& b : *backends) {
    if (!session_id.empty() && b->task_owner(id) == session_id)
      co_return co_await b->request(method, std::move(params), ctx);
  }
  // Never created by this client (or by anyone): the same answer either way.
  throw McpError(ec::kInvalidParams, fmt::format("Unknown task: {}", id));
}

void Aggregator::notify_backends(std::string_view method, const json::object& params,
                                 bool per_client_only) {
  for (auto& b : *backends_)
    if (!per_client_only || b->per_client()) b->notify(method, params);
}

json::object Aggregator::server_capabilities() const {
  json::object caps;
  caps["tools"] = json::object{{"listChanged", true}};
  bool prompts = false, resources = false, subscribe = false, logging = false, completions = false;
  for (auto& b : *backends_) {
    if (!b->up()) continue;
    prompts |= b->has_capability("prompts");
    logging |= b->has_capability("logging");
    completions |= b->has_capability("completions");
    if (auto* r = b->capabilities().if_contains("resources"); r && r->is_object()) {
      resources = true;
      if (auto* s = r->get_object().if_contains("subscribe"); s && s->is_bool() && s->get_bool())
        subscribe = true;
    }
  }
  if (prompts) caps["prompts"] = json::object{{"listChanged", true}};
  if (resources) caps["resources"] = json::object{{"subscribe", subscribe}, {"listChanged", true}};
  if (logging) caps["logging"] = json::object{};
  if (completions) caps["completions"] = json::object{};
  for (auto& b : *backends_) {
    if (!b->up()) continue;
    if (auto* t = b->capabilities().if_contains("tasks"); t && t->is_object()) {
      caps["tasks"] = *t;  // passed through: tasks are routed by id to the backend that runs them
      break;
    }
  }
  return caps;
}

std::string Aggregator::instructions() const {
  std::string out;
  for (auto& b : *backends_) {
    if (!b->up() || b->instructions().empty()) continue;
    if (!out.empty()) out += "\n\n";
    out += fmt::format("## {}\n{}", b->name(), b->instructions());
  }
  return out;
}

std::int64_t Aggregator::list_ttl_ms(ListKind kind) const {
  std::optional<std::int64_t> least;
  for (auto& b : *backends_) {
    if (!b->listed() || !b->has_capability(list_capability(kind))) continue;
    least = std::min(least.value_or(b->list_ttl_ms(kind)), b->list_ttl_ms(kind));
  }
  return least.value_or(0);
}

}  // namespace mcproxy::proxy
