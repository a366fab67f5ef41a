#include "middleware/client/tool_filter.hpp"

#include "mcp/error.hpp"
#include "middleware/params.hpp"
#include "middleware/registry.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

namespace mcproxy::middleware {

using boost::asio::awaitable;
using mcp::McpError;
namespace ec = mcp::error_code;

namespace {

// Removes the items of result[key] whose `field` is not visible.
void filter_list(json::value& result, std::string_view key, std::string_view field,
                 const VisibilityRule& rule) {
  if (!result.is_object()) return;
  auto* items = result.get_object().if_contains(key);
  if (!items || !items->is_array()) return;
  auto& arr = items->get_array();
  json::array kept;
  kept.reserve(arr.size());
  for (auto& item : arr)
    if (item.is_object() && rule.visible(string_field(item.get_object(), field))) kept.push_back(std::move(item));
  arr = std::move(kept);
}

bool read_rule(const json::value& value, config::JsonReader& r, const std::string& path, VisibilityRule& rule) {
  return VisibilityRule::read(value, r, path, rule);
}

std::optional<Maker> parse(const json::object& config, config::JsonReader& r, const std::string& path) {
  r.check_keys_strict(config, path, {"tools", "prompts", "resources", "allow", "block"});
  auto cfg = std::make_shared<ToolFilterConfig>();
  std::size_t errors = r.errors().size();
  if (auto* v = config.if_contains("tools")) read_rule(*v, r, config::child_path(path, "tools"), cfg->tools);
  if (auto* v = config.if_contains("prompts")) read_rule(*v, r, config::child_path(path, "prompts"), cfg->prompts);
  if (auto* v = config.if_contains("resources"))
    read_rule(*v, r, config::child_path(path, "resources"), cfg->resources);
  if (config.contains("allow") || config.contains("block")) {
    if (config.contains("tools")) {
      r.error(path, "expected either \"tools\" or the \"allow\"/\"block\" shorthand, found both");
    } else {
      json::object shorthand;
      if (auto* a = config.if_contains("allow")) shorthand["allow"] = *a;
      if (auto* b = config.if_contains("block")) shorthand["block"] = *b;
      read_rule(shorthand, r, path, cfg->tools);
    }
  }
  if (r.errors().size() != errors) return std::nullopt;
  return Maker([cfg](const Site&) { return std::make_shared<ToolFilter>(cfg); });
}

}  // namespace

awaitable<json::value> ToolFilter::list_tools(Call call, RequestContext& ctx) {
  json::value result = co_await next(std::move(call), ctx);
  filter_list(result, "tools", "name", config_->tools);
  co_return result;
}

awaitable<json::value> ToolFilter::call_tool(Call call, RequestContext& ctx) {
  auto name = string_field(call.params, "name");
  if (!config_->tools.visible(name))
    throw McpError(ec::kInvalidParams, fmt::format("Unknown tool: {}", name));
  co_return co_await next(std::move(call), ctx);
}

awaitable<json::value> ToolFilter::list_prompts(Call call, RequestContext& ctx) {
  json::value result = co_await next(std::move(call), ctx);
  filter_list(result, "prompts", "name", config_->prompts);
  co_return result;
}

awaitable<json::value> ToolFilter::get_prompt(Call call, RequestContext& ctx) {
  auto name = string_field(call.params, "name");
  if (!config_->prompts.visible(name))
    throw McpError(ec::kInvalidParams, fmt::format("Unknown prompt: {}", name));
  co_return co_await next(std::move(call), ctx);
}

awaitable<json::value> ToolFilter::list_resources(Call call, RequestContext& ctx) {
  json::value result = co_await next(std::move(call), ctx);
  filter_list(result, "resources", "uri", config_->resources);
  co_return result;
}

awaitable<json::value> ToolFilter::list_resource_templates(Call call, RequestContext& ctx) {
  json::value result = co_await next(std::move(call), ctx);
  note_templates(result);
  filter_list(result, "resourceTemplates", "uriTemplate", config_->resources);
  co_return result;
}

void ToolFilter::note_templates(const json::value& result) {
  auto* obj = result.if_object();
  auto* items = obj ? obj->if_contains("resourceTemplates") : nullptr;
  if (!items || !items->is_array()) return;
  std::vector<UriTemplateMatcher> hidden;
  for (auto& item : items->get_array()) {
    auto tpl = item.is_object() ? string_field(item.get_object(), "uriTemplate") : std::string_view();
    if (!tpl.empty() && !config_->resources.visible(tpl)) hidden.emplace_back(tpl);
  }
  // A paginated list adds to what earlier pages found.
  if (obj->contains("nextCursor") || !hidden_templates_) {
    if (!hidden_templates_) hidden_templates_.emplace();
    for (auto& h : hidden) hidden_templates_->push_back(std::move(h));
  } else {
    hidden_templates_ = std::move(hidden);
  }
}

bool ToolFilter::on_server_notification(Call& notification, const ReverseContext&) {
  if (notification.method == mcp::Method::resources_list_changed) hidden_templates_.reset();
  return true;
}

awaitable<bool> ToolFilter::uri_visible(std::string_view uri, RequestContext& ctx) {
  if (!config_->resources.visible(uri)) co_return false;
  if (config_->resources.allow.empty() && config_->resources.block.empty()) co_return true;
  if (!hidden_templates_) {
    std::string target(uri);  // the view may not survive the awaits below
    json::value cursor;
    hidden_templates_.emplace();
    for (int page = 0; page < 100; ++page) {
      json::object params;
      if (cursor.is_string()) params["cursor"] = cursor;
      json::value result;
      try {
        result = co_await next(Call{mcp::Method::resources_templates_list, std::move(params)}, ctx);
      } catch (const McpError&) {
        break;  // no templates to hide behind
      }
      auto* obj = result.if_object();
      if (auto* items = obj ? obj->if_contains("resourceTemplates") : nullptr; items && items->is_array()) {
        for (auto& item : items->get_array()) {
          auto tpl = item.is_object() ? string_field(item.get_object(), "uriTemplate") : std::string_view();
          if (!tpl.empty() && !config_->resources.visible(tpl)) hidden_templates_->emplace_back(tpl);
        }
      }
      auto* next_cursor = obj ? obj->if_contains("nextCursor") : nullptr;
      if (!next_cursor || !next_cursor->is_string()) break;
      cursor = *next_cursor;
    }
    for (auto& t : *hidden_templates_)
      if (t.matches(target)) co_return false;
    co_return true;
  }
  for (auto& t : *hidden_templates_)
    if (t.matches(uri)) co_return false;
  co_return true;
}

namespace {

McpError resource_not_found(std::string_view uri) {
  return McpError(ec::kResourceNotFound, fmt::format("Resource not found: {}", uri),
                  json::object{{"uri", uri}});
}

}  // namespace

// A resource request passes only for a URI this filter lets the client see.
awaitable<json::value> ToolFilter::by_visible_uri(Call call, RequestContext& ctx) {
  std::string uri(string_field(call.params, "uri"));
  bool visible = co_await uri_visible(uri, ctx);
  if (!visible) throw resource_not_found(uri);
  co_return co_await next(std::move(call), ctx);
}

awaitable<json::value> ToolFilter::read_resource(Call call, RequestContext& ctx) {
  return by_visible_uri(std::move(call), ctx);
}

awaitable<json::value> ToolFilter::subscribe_resource(Call call, RequestContext& ctx) {
  return by_visible_uri(std::move(call), ctx);
}

awaitable<json::value> ToolFilter::unsubscribe_resource(Call call, RequestContext& ctx) {
  return by_visible_uri(std::move(call), ctx);
}

awaitable<json::value> ToolFilter::complete(Call call, RequestContext& ctx) {
  if (auto* ref = call.params.if_contains("ref"); ref && ref->is_object()) {
    auto& r = ref->get_object();
    if (string_field(r, "type") == "ref/prompt" && !config_->prompts.visible(string_field(r, "name")))
      throw McpError(ec::kInvalidParams, fmt::format("Unknown prompt: {}", string_field(r, "name")));
    if (string_field(r, "type") == "ref/resource") {
      std::string uri(string_field(r, "uri"));
      bool visible = co_await uri_visible(uri, ctx);
      // A completion reference may name the template itself.
      if (!visible || !config_->resources.visible(uri)) throw resource_not_found(uri);
    }
  }
  co_return co_await next(std::move(call), ctx);
}

}  // namespace mcproxy::middleware

MCPROXY_REGISTER_MIDDLEWARE(tool_filter, {"tool_filter", ::mcproxy::middleware::Scope::client,
                                          "hide tools, prompts and resources (hidden = uncallable)",
                                          &::mcproxy::middleware::parse})
