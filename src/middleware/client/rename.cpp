#include "middleware/client/rename.hpp"

#include "middleware/registry.hpp"
#include "mcp/names.hpp"
#include "middleware/final_name.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

namespace mcproxy::middleware {

using boost::asio::awaitable;

std::string_view RenameMap::rename(std::string_view name) const {
  auto it = to_new.find(std::string(name));
  return it == to_new.end() ? name : std::string_view(it->second);
}

std::string_view RenameMap::original(std::string_view name) const {
  auto it = to_old.find(std::string(name));
  return it == to_old.end() ? name : std::string_view(it->second);
}

namespace {

// Maps result[key][*][field] to new names.
void rename_items(json::value& result, std::string_view key, std::string_view field, const RenameMap& map) {
  if (!result.is_object()) return;
  auto* items = result.get_object().if_contains(key);
  if (!items || !items->is_array()) return;
  for (auto& item : items->get_array()) {
    if (!item.is_object()) continue;
    auto* v = item.get_object().if_contains(field);
    if (v && v->is_string()) {
      auto renamed = map.rename(v->get_string());
      if (renamed != v->get_string()) *v = renamed;
    }
  }
}

void map_back(json::object& params, std::string_view field, const RenameMap& map) {
  auto* v = params.if_contains(field);
  if (v && v->is_string()) {
    auto old = map.original(v->get_string());
    if (old != v->get_string()) *v = old;
  }
}

void read_map(const json::value& value, config::JsonReader& r, const std::string& path,
              std::unordered_map<std::string, RenameMap>& out, bool is_name) {
  auto* obj = r.object(value, path);
  if (!obj) return;
  std::unordered_map<std::string, std::string> targets;  // "server\0new" -> old key, for collisions
  for (auto& [key, v] : *obj) {
    auto item_path = config::child_path(path, key);
    auto target = r.string(v, item_path);
    if (!target) continue;
    std::string server, old = key;
    if (auto slash = std::string_view(key).find('/'); is_name && slash != std::string_view::npos) {
      server = key.substr(0, slash);
      old = key.substr(slash + 1);
    }
    if (target->empty() || (is_name && !mcp::is_valid_name(*target))) {
      r.error(item_path, fmt::format("expected a new name of 1 to 64 characters of [A-Za-z0-9_.-], "
                                     "found \"{}\"",
                                     *target));
      continue;
    }
    auto [it, inserted] = targets.emplace(server + '\0' + *target, key);
    if (!inserted) {
      r.error(item_path, fmt::format("\"{}\" and \"{}\" are both renamed to \"{}\"", it->second,
                                     std::string(key), *target));
      continue;
    }
    auto& map = out[server];
    map.to_new[old] = *target;
    map.to_old[*target] = old;
  }
}

std::optional<Maker> parse(const json::object& config, config::JsonReader& r, const std::string& path) {
  r.check_keys_strict(config, path, {"tools", "prompts", "resources", "keepPrefix"});
  auto cfg = std::make_shared<RenameConfig>();
  std::size_t errors = r.errors().size();
  if (auto* v = config.if_contains("tools")) read_map(*v, r, config::child_path(path, "tools"), cfg->tools, true);
  if (auto* v = config.if_contains("prompts"))
    read_map(*v, r, config::child_path(path, "prompts"), cfg->prompts, true);
  if (auto* v = config.if_contains("resources"))
    read_map(*v, r, config::child_path(path, "resources"), cfg->resources, false);
  // A global entry and a server-specific one must not give one server two equal names.
  for (auto* maps : {&cfg->tools, &cfg->prompts}) {
    auto global = maps->find("");
    if (global == maps->end()) continue;
    for (auto& [server, map] : *maps) {
      if (server.empty()) continue;
      for (auto& [new_name, old_name] : map.to_old) {
        auto clash = global->second.to_old.find(new_name);
        if (clash != global->second.to_old.end() && clash->second != old_name && !map.to_new.contains(clash->second))
          r.error(config::child_path(config::child_path(path, maps == &cfg->tools ? "tools" : "prompts"),
                                     server + "/" + old_name),
                  fmt::format("\"{}\" is also the new name of \"{}\" for every server", new_name, clash->second));
      }
    }
  }
  if (auto* v = config.if_contains("keepPrefix"))
    cfg->keep_prefix = r.boolean(*v, config::child_path(path, "keepPrefix")).value_or(false);
  if (r.errors().size() != errors) return std::nullopt;
  return Maker([cfg](const Site& site) { return std::make_shared<Rename>(cfg, site.server); });
}

// Entries for every server plus the ones for this server.
RenameMap merged(const std::unordered_map<std::string, RenameMap>& maps, const std::string& server) {
  RenameMap out;
  for (auto* key : {&server, static_cast<const std::string*>(nullptr)}) {
    auto it = maps.find(key ? *key : std::string());
    if (it == maps.end()) continue;
    for (auto& [o, n] : it->second.to_new) out.to_new.emplace(o, n);
    for (auto& [n, o] : it->second.to_old) out.to_old.emplace(n, o);
  }
  return out;
}

}  // namespace

Rename::Rename(std::shared_ptr<const RenameConfig> config, std::string server)
    : tools_(merged(config->tools, server)),
      prompts_(merged(config->prompts, server)),
      resources_(merged(config->resources, server)),
      keep_prefix_(config->keep_prefix) {}

bool Rename::on_server_notification(Call& notification, const ReverseContext&) {
  if (notification.method == mcp::Method::resources_updated) {
    if (auto* uri = notification.params.if_contains("uri"); uri && uri->is_string()) {
      auto renamed = resources_.rename(uri->get_string());
      if (renamed != uri->get_string()) *uri = renamed;
    }
  }
  return true;
}

// New tool and prompt names are final (no server prefix) unless keepPrefix.
void Rename::rename_list(json::value& result, std::string_view key, const RenameMap& map) const {
  if (!result.is_object()) return;
  auto* items = result.get_object().if_contains(key);
  if (!items || !items->is_array()) return;
  for (auto& item : items->get_array()) {
    auto* obj = item.if_object();
    auto* v = obj ? obj->if_contains("name") : nullptr;
    if (!v || !v->is_string()) continue;
    auto renamed = map.rename(v->get_string());
    if (renamed == v->get_string()) continue;
    *v = renamed;
    if (!keep_prefix_) mark_final_name(*obj);
  }
}

awaitable<json::value> Rename::list_tools(Call call, RequestContext& ctx) {
  json::value result = co_await next(std::move(call), ctx);
  rename_list(result, "tools", tools_);
  co_return result;
}

awaitable<json::value> Rename::call_tool(Call call, RequestContext& ctx) {
  map_back(call.params, "name", tools_);
  co_return co_await next(std::move(call), ctx);
}

awaitable<json::value> Rename::list_prompts(Call call, RequestContext& ctx) {
  json::value result = co_await next(std::move(call), ctx);
  rename_list(result, "prompts", prompts_);
  co_return result;
}

awaitable<json::value> Rename::get_prompt(Call call, RequestContext& ctx) {
  map_back(call.params, "name", prompts_);
  co_return co_await next(std::move(call), ctx);
}

awaitable<json::value> Rename::list_resources(Call call, RequestContext& ctx) {
  json::value result = co_await next(std::move(call), ctx);
  rename_items(result, "resources", "uri", resources_);
  co_return result;
}

awaitable<json::value> Rename::read_resource(Call call, RequestContext& ctx) {
  map_back(call.params, "uri", resources_);
  json::value result = co_await next(std::move(call), ctx);
  rename_items(result, "contents", "uri", resources_);
  co_return result;
}

awaitable<json::value> Rename::subscribe_resource(Call call, RequestContext& ctx) {
  map_back(call.params, "uri", resources_);
  co_return co_await next(std::move(call), ctx);
}

awaitable<json::value> Rename::unsubscribe_resource(Call call, RequestContext& ctx) {
  map_back(call.params, "uri", resources_);
  co_return co_await next(std::move(call), ctx);
}

awaitable<json::value> Rename::complete(Call call, RequestContext& ctx) {
  if (auto* ref = call.params.if_contains("ref"); ref && ref->is_object()) {
    map_back(ref->get_object(), "name", prompts_);
    map_back(ref->get_object(), "uri", resources_);
  }
  co_return co_await next(std::move(call), ctx);
}

}  // namespace mcproxy::middleware

MCPROXY_REGISTER_MIDDLEWARE(rename, {"rename", ::mcproxy::middleware::Scope::client,
                                     "give tools, prompts or resource URIs other names",
                                     &::mcproxy::middleware::parse})
