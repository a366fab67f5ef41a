#include "middleware/client/tool_filter.hpp"

#include "mcp/error.hpp"
#include "middleware/registry.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

namespace mcproxy::middleware {

using boost::asio::awaitable;
using mcp::McpError;
namespace ec = mcp::error_code;

namespace {

std::string_view string_field(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

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

bool read_rule(const json::value& value, config::JsonReader& r, const std::string& path,
               VisibilityRule& rule) {
  auto* obj = r.object(value, path);
  if (!obj) return false;
  r.check_keys_strict(*obj, path, {"allow", "block"});
  bool ok = true;
  for (auto [key, target] : {std::pair{"allow", &rule.allow}, std::pair{"block", &rule.block}}) {
    if (auto* v = obj->if_contains(key)) {
      if (auto set = PatternSet::read(*v, r, config::child_path(path, key))) *target = std::move(*set);
      else ok = false;
    }
  }
  return ok;
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

awaitable<json::value> ToolFilter::list_tools(json::object params, RequestContext* ctx) {
  json::value result = co_await next("tools/list", std::move(params), ctx);
  filter_list(result, "tools", "name", config_->tools);
  co_return result;
}

awaitable<json::value> ToolFilter::call_tool(json::object params, RequestContext* ctx) {
  auto name = string_field(params, "name");
  if (!config_->tools.visible(name))
    throw McpError(ec::kInvalidParams, fmt::format("Unknown tool: {}", name));
  co_return co_await next("tools/call", std::move(params), ctx);
}

awaitable<json::value> ToolFilter::list_prompts(json::object params, RequestContext* ctx) {
  json::value result = co_await next("prompts/list", std::move(params), ctx);
  filter_list(result, "prompts", "name", config_->prompts);
  co_return result;
}

awaitable<json::value> ToolFilter::get_prompt(json::object params, RequestContext* ctx) {
  auto name = string_field(params, "name");
  if (!config_->prompts.visible(name))
    throw McpError(ec::kInvalidParams, fmt::format("Unknown prompt: {}", name));
  co_return co_await next("prompts/get", std::move(params), ctx);
}

awaitable<json::value> ToolFilter::list_resources(json::object params, RequestContext* ctx) {
  json::value result = co_await next("resources/list", std::move(params), ctx);
  filter_list(result, "resources", "uri", config_->resources);
  co_return result;
}

awaitable<json::value> ToolFilter::list_resource_templates(json::object params, RequestContext* ctx) {
  json::value result = co_await next("resources/templates/list", std::move(params), ctx);
  filter_list(result, "resourceTemplates", "uriTemplate", config_->resources);
  co_return result;
}

awaitable<json::value> ToolFilter::read_resource(json::object params, RequestContext* ctx) {
  auto uri = string_field(params, "uri");
  if (!config_->resources.visible(uri))
    throw McpError(ec::kResourceNotFound, fmt::format("Resource not found: {}", uri),
                   json::object{{"uri", uri}});
  co_return co_await next("resources/read", std::move(params), ctx);
}

awaitable<json::value> ToolFilter::other(std::string method, json::object params, RequestContext* ctx) {
  if (method == "resources/subscribe" || method == "resources/unsubscribe") {
    auto uri = string_field(params, "uri");
    if (!config_->resources.visible(uri))
      throw McpError(ec::kResourceNotFound, fmt::format("Resource not found: {}", uri),
                     json::object{{"uri", uri}});
  }
  if (method == "completion/complete") {
    if (auto* ref = params.if_contains("ref"); ref && ref->is_object()) {
      auto& r = ref->get_object();
      if (string_field(r, "type") == "ref/prompt" && !config_->prompts.visible(string_field(r, "name")))
        throw McpError(ec::kInvalidParams, fmt::format("Unknown prompt: {}", string_field(r, "name")));
      if (string_field(r, "type") == "ref/resource" && !config_->resources.visible(string_field(r, "uri")))
        throw McpError(ec::kResourceNotFound, fmt::format("Resource not found: {}", string_field(r, "uri")),
                       json::object{{"uri", string_field(r, "uri")}});
    }
  }
  co_return co_await next(std::move(method), std::move(params), ctx);
}

}  // namespace mcproxy::middleware

MCPROXY_REGISTER_MIDDLEWARE(tool_filter, {"tool_filter", ::mcproxy::middleware::Scope::client,
                                          "hide tools, prompts and resources (hidden = uncallable)",
                                          &::mcproxy::middleware::parse})
