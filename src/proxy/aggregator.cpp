#include "proxy/aggregator.hpp"

#include "mcp/error.hpp"
#include "proxy/downstream_session.hpp"
#include "proxy/naming.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>

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

Aggregator::Aggregator(std::vector<std::shared_ptr<Backend>> backends, config::NamingConfig naming,
                       std::size_t page_size)
    : backends_(std::move(backends)), naming_(std::move(naming)), page_size_(page_size) {}

void Aggregator::set_backends(std::vector<std::shared_ptr<Backend>> backends,
                              config::NamingConfig naming, std::size_t page_size) {
  backends_ = std::move(backends);
  naming_ = std::move(naming);
  page_size_ = page_size;
  built_generations_.clear();  // forces a rebuild
}

bool Aggregator::uses(const Backend& backend) const noexcept {
  for (auto& b : backends_)
    if (b.get() == &backend) return true;
  return false;
}

bool Aggregator::stale() const noexcept {
  if (built_generations_.size() != backends_.size()) return true;
  for (std::size_t i = 0; i < backends_.size(); ++i)
    if (backends_[i]->generation() != built_generations_[i]) return true;
  return false;
}

awaitable<void> Aggregator::refresh() {
  for (int round = 0; round < 5 && stale(); ++round) {
    std::vector<std::uint64_t> generations;
    for (auto& b : backends_) generations.push_back(b->generation());
    for (auto& b : backends_)
      if (b->up() && !b->lists_loaded()) co_await b->load_lists();
    rebuild();
    built_generations_ = std::move(generations);
  }
}

void Aggregator::rebuild() {
  Catalogue next;
  // Tools and prompts are renamed; resources and templates keep their URIs.
  for (auto [kind, routes] : {std::pair{ListKind::tools, &next.tools},
                              std::pair{ListKind::prompts, &next.prompts}}) {
    std::vector<NameRequest> requests;
    std::vector<std::pair<Backend*, const json::object*>> items;
    for (auto& b : backends_) {
      if (!b->up()) continue;
      for (auto& item : b->list(kind)) {
        auto* name = item.get_object().if_contains("name");
        if (!name || !name->is_string()) continue;
        requests.push_back({b->name(), name->get_string(), b->is_final_name(name->get_string())});
        items.emplace_back(b.get(), &item.get_object());
      }
    }
    auto named = assign_names(requests, naming_.mode, naming_.separator);
    for (auto& w : named.warnings) spdlog::warn("naming: {}", w);
    auto& out = next.lists[static_cast<int>(kind)];
    out.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      json::object copy = *items[i].second;
      copy["name"] = named.names[i];
      out.push_back(std::move(copy));
      routes->emplace(named.names[i], Route{items[i].first, std::string(requests[i].original)});
    }
  }
  for (auto& b : backends_) {
    if (!b->up()) continue;
    for (auto& item : b->list(ListKind::resources)) {
      next.lists[static_cast<int>(ListKind::resources)].push_back(item);
      if (auto* uri = item.get_object().if_contains("uri"); uri && uri->is_string())
        next.resources.emplace(uri->get_string(), b.get());
    }
    for (auto& item : b->list(ListKind::templates)) {
      next.lists[static_cast<int>(ListKind::templates)].push_back(item);
      if (auto* t = item.get_object().if_contains("uriTemplate"); t && t->is_string()) {
        std::string_view tpl = t->get_string();
        auto prefix = tpl.substr(0, tpl.find('{'));
        if (!prefix.empty()) next.template_prefixes.emplace_back(prefix, b.get());
      }
    }
  }
  std::stable_sort(next.template_prefixes.begin(), next.template_prefixes.end(),
                   [](auto& a, auto& b) { return a.first.size() > b.first.size(); });
  catalogue_ = std::move(next);
}

awaitable<json::value> Aggregator::list(ListKind kind, const json::object& params) {
  co_await refresh();
  const auto& all = catalogue_.lists[static_cast<int>(kind)];
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

const Aggregator::Route* Aggregator::tool_route(const std::string& name) const {
  auto it = catalogue_.tools.find(name);
  return it == catalogue_.tools.end() ? nullptr : &it->second;
}

const Aggregator::Route* Aggregator::prompt_route(const std::string& name) const {
  auto it = catalogue_.prompts.find(name);
  return it == catalogue_.prompts.end() ? nullptr : &it->second;
}

awaitable<json::value> Aggregator::call_tool(json::object params, RequestContext& ctx) {
  co_await refresh();
  auto name = string_param(params, "name", "tools/call");
  auto* route = tool_route(name);
  if (!route) throw McpError(ec::kInvalidParams, fmt::format("Unknown tool: {}", name));
  params["name"] = route->original;
  Backend* backend = route->backend;
  json::value result = co_await backend->request("tools/call", std::move(params), &ctx);
  remember_task(result, backend);
  co_return result;
}

awaitable<json::value> Aggregator::get_prompt(json::object params, RequestContext& ctx) {
  co_await refresh();
  auto name = string_param(params, "name", "prompts/get");
  auto* route = prompt_route(name);
  if (!route) throw McpError(ec::kInvalidParams, fmt::format("Unknown prompt: {}", name));
  params["name"] = route->original;
  co_return co_await route->backend->request("prompts/get", std::move(params), &ctx);
}

std::vector<Backend*> Aggregator::resource_candidates(std::string_view uri) const {
  if (auto it = catalogue_.resources.find(std::string(uri)); it != catalogue_.resources.end())
    return {it->second};
  for (auto& [prefix, owner] : catalogue_.template_prefixes)
    if (uri.starts_with(prefix)) return {owner};
  // Not listed anywhere (e.g. a resource_link): ask each backend that serves resources.
  std::vector<Backend*> all;
  for (auto& b : backends_)
    if (b->up() && b->has_capability("resources")) all.push_back(b.get());
  return all;
}

awaitable<json::value> Aggregator::route_by_uri(std::string_view method, json::object params,
                                               std::string_view uri, RequestContext& ctx,
                                               Backend** chosen) {
  auto candidates = resource_candidates(uri);
  if (candidates.empty()) {
    throw McpError(ec::kResourceNotFound, fmt::format("Resource not found: {}", uri),
                   json::object{{"uri", uri}});
  }
  std::optional<McpError> last;
  for (auto* b : candidates) {
    try {
      json::value result = co_await b->request(method, params, &ctx);
      if (chosen) *chosen = b;
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

awaitable<json::value> Aggregator::read_resource(json::object params, RequestContext& ctx) {
  co_await refresh();
  auto uri = string_param(params, "uri", "resources/read");
  co_return co_await route_by_uri("resources/read", std::move(params), uri, ctx);
}

awaitable<json::value> Aggregator::subscribe(std::string_view method, json::object params,
                                             RequestContext& ctx) {
  co_await refresh();
  auto uri = string_param(params, "uri", method);
  // The proxy keeps its own table: updates go only to the sessions that subscribed, and a
  // shared upstream subscription ends only when its last subscriber leaves.
  if (method == "resources/unsubscribe") {
    bool was_subscribed = ctx.session && ctx.session->subscriptions.erase(uri) > 0;
    auto candidates = resource_candidates(uri);
    if (was_subscribed && candidates.size() == 1 && candidates.front()->remove_subscriber(uri) > 0)
      co_return json::object{};  // others still subscribed: keep the upstream subscription
    co_return co_await route_by_uri(method, std::move(params), uri, ctx);
  }
  Backend* owner = nullptr;
  json::value result = co_await route_by_uri(method, std::move(params), uri, ctx, &owner);
  if (ctx.session && ctx.session->subscriptions.insert(uri).second && owner) owner->add_subscriber(uri);
  co_return result;
}

awaitable<json::value> Aggregator::complete(json::object params, RequestContext& ctx) {
  co_await refresh();
  auto* ref = params.if_contains("ref");
  if (!ref || !ref->is_object())
    throw McpError(ec::kInvalidParams, "Invalid params: completion/complete needs \"ref\"");
  auto& r = ref->get_object();
  auto type = string_param(r, "type", "completion/complete ref");
  if (type == "ref/prompt") {
    auto name = string_param(r, "name", "completion/complete ref");
    auto* route = prompt_route(name);
    if (!route) throw McpError(ec::kInvalidParams, fmt::format("Unknown prompt: {}", name));
    params["ref"].get_object()["name"] = route->original;
    co_return co_await route->backend->request("completion/complete", std::move(params), &ctx);
  }
  if (type == "ref/resource") {
    auto uri = string_param(r, "uri", "completion/complete ref");
    co_return co_await route_by_uri("completion/complete", std::move(params), uri, ctx);
  }
  throw McpError(ec::kInvalidParams, fmt::format("Unknown completion reference type: {}", type));
}

awaitable<json::value> Aggregator::set_log_level(json::object params, RequestContext& ctx) {
  string_param(params, "level", "logging/setLevel");
  for (auto& b : backends_) {
    if (!b->up() || !b->has_capability("logging")) continue;
    try {
      co_await b->request("logging/setLevel", params, &ctx);
    } catch (const McpError& e) {
      spdlog::warn("[{}] logging/setLevel failed: {}", b->name(), e.what());
    }
  }
  co_return json::object{};
}

void Aggregator::remember_task(const json::value& result, Backend* backend) {
  if (!result.is_object()) return;
  auto* task = result.get_object().if_contains("task");
  if (!task || !task->is_object()) return;
  if (auto* id = task->get_object().if_contains("taskId"); id && id->is_string()) {
    if (tasks_.size() > 10'000) tasks_.clear();  // bounded; old tasks are long finished
    tasks_[std::string(id->get_string())] = backend;
  }
}

awaitable<json::value> Aggregator::task_request(std::string_view method, json::object params,
                                                RequestContext& ctx) {
  if (method == "tasks/list") {
    // Merged over every backend that offers tasks; one page.
    json::array all;
    for (auto& b : backends_) {
      if (!b->up() || !b->has_capability("tasks")) continue;
      try {
        json::value r = co_await b->request(method, params, &ctx);
        if (auto* t = r.get_object().if_contains("tasks"); t && t->is_array()) {
          for (auto& task : t->get_array()) {
            if (auto* id = task.get_object().if_contains("taskId"); id && id->is_string())
              tasks_[std::string(id->get_string())] = b.get();
            all.push_back(task);
          }
        }
      } catch (const McpError& e) {
        spdlog::warn("[{}] tasks/list failed: {}", b->name(), e.what());
      }
    }
    co_return json::object{{"tasks", std::move(all)}};
  }
  auto id = string_param(params, "taskId", method);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) throw McpError(ec::kInvalidParams, fmt::format("Unknown task: {}", id));
  co_return co_await it->second->request(method, std::move(params), &ctx);
}

void Aggregator::notify_backends(std::string_view method, const json::object& params,
                                 bool per_client_only) {
  for (auto& b : backends_)
    if (!per_client_only || b->per_client()) b->notify(method, params);
}

json::object Aggregator::server_capabilities() const {
  json::object caps;
  caps["tools"] = json::object{{"listChanged", true}};
  bool prompts = false, resources = false, subscribe = false, logging = false, completions = false;
  for (auto& b : backends_) {
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
  for (auto& b : backends_) {
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
  for (auto& b : backends_) {
    if (!b->up() || b->instructions().empty()) continue;
    if (!out.empty()) out += "\n\n";
    out += fmt::format("## {}\n{}", b->name(), b->instructions());
  }
  return out;
}

}  // namespace mcproxy::proxy
