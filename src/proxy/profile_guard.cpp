#include "proxy/profile_guard.hpp"

#include "mcp/error.hpp"
#include "middleware/params.hpp"
#include "proxy/request_context.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

namespace mcproxy::proxy {

using boost::asio::awaitable;
using middleware::NameKind;
using middleware::string_field;
using mcp::McpError;
namespace ec = mcp::error_code;

namespace {

// The errors of an unknown name, exactly as the aggregator words them (the audit log alone
// learns it was a denial).
McpError unknown(NameKind kind, std::string_view name, middleware::RequestContext& ctx) {
  if (auto* request = proxy_request(ctx)) request->refused_as = "denied";
  if (kind == NameKind::tool) return McpError(ec::kInvalidParams, fmt::format("Unknown tool: {}", name));
  if (kind == NameKind::prompt) return McpError(ec::kInvalidParams, fmt::format("Unknown prompt: {}", name));
  return McpError(ec::kResourceNotFound, fmt::format("Resource not found: {}", name), json::object{{"uri", name}});
}

// A profile that a reload removed while sessions still use it: they see nothing.
const Profile& nothing() {
  static const Profile none = [] {
    Profile p;
    p.name = "(removed)";
    config::JsonReader r;
    if (auto pattern = middleware::Pattern::compile("re:$^", r, "")) p.servers.add(*pattern);
    return p;
  }();
  return none;
}

}  // namespace

const Profile* ProfileGuard::profile_of(const Ctx& ctx) const {
  if (!ctx.session || ctx.session->profile().empty()) return nullptr;
  auto* p = policy_->profile(ctx.session->profile());
  return p ? p : &nothing();
}

bool ProfileGuard::visible(const Profile& p, middleware::Session& s, NameKind kind, std::string_view name) const {
  auto& rule = kind == NameKind::tool ? p.tools : kind == NameKind::prompt ? p.prompts : p.resources;
  if (!rule.visible(name)) return false;
  if (p.servers.empty()) return true;
  std::string server = s.server_of(kind, name);
  return !server.empty() && p.server_visible(server);
}

awaitable<json::value> ProfileGuard::filtered_list(Call call, Ctx& ctx, NameKind kind, std::string_view key,
                                                   std::string_view field) {
  auto* p = profile_of(ctx);
  json::value result = co_await next(std::move(call), ctx);
  if (!p || !result.is_object()) co_return result;
  auto* items = result.get_object().if_contains(key);
  if (!items || !items->is_array()) co_return result;
  json::array kept;
  for (auto& item : items->get_array())
    if (item.is_object() && visible(*p, *ctx.session, kind, string_field(item.get_object(), field)))
      kept.push_back(std::move(item));
  items->get_array() = std::move(kept);
  co_return result;
}

awaitable<json::value> ProfileGuard::list_tools(Call call, Ctx& ctx) {
  return filtered_list(std::move(call), ctx, NameKind::tool, "tools", "name");
}
awaitable<json::value> ProfileGuard::list_prompts(Call call, Ctx& ctx) {
  return filtered_list(std::move(call), ctx, NameKind::prompt, "prompts", "name");
}
awaitable<json::value> ProfileGuard::list_resources(Call call, Ctx& ctx) {
  return filtered_list(std::move(call), ctx, NameKind::resource, "resources", "uri");
}
awaitable<json::value> ProfileGuard::list_resource_templates(Call call, Ctx& ctx) {
  return filtered_list(std::move(call), ctx, NameKind::resource, "resourceTemplates", "uriTemplate");
}

awaitable<json::value> ProfileGuard::call_tool(Call call, Ctx& ctx) {
  if (auto* p = profile_of(ctx)) {
    std::string name(string_field(call.params, "name"));
    if (!visible(*p, *ctx.session, NameKind::tool, name)) throw unknown(NameKind::tool, name, ctx);
  }
  co_return co_await next(std::move(call), ctx);
}

awaitable<json::value> ProfileGuard::get_prompt(Call call, Ctx& ctx) {
  if (auto* p = profile_of(ctx)) {
    std::string name(string_field(call.params, "name"));
    if (!visible(*p, *ctx.session, NameKind::prompt, name)) throw unknown(NameKind::prompt, name, ctx);
  }
  co_return co_await next(std::move(call), ctx);
}

awaitable<json::value> ProfileGuard::by_uri(Call call, Ctx& ctx) {
  if (auto* p = profile_of(ctx)) {
    std::string uri(string_field(call.params, "uri"));
    if (!visible(*p, *ctx.session, NameKind::resource, uri)) throw unknown(NameKind::resource, uri, ctx);
  }
  co_return co_await next(std::move(call), ctx);
}

awaitable<json::value> ProfileGuard::read_resource(Call call, Ctx& ctx) { return by_uri(std::move(call), ctx); }
awaitable<json::value> ProfileGuard::subscribe_resource(Call call, Ctx& ctx) { return by_uri(std::move(call), ctx); }
awaitable<json::value> ProfileGuard::unsubscribe_resource(Call call, Ctx& ctx) { return by_uri(std::move(call), ctx); }

awaitable<json::value> ProfileGuard::complete(Call call, Ctx& ctx) {
  auto* p = profile_of(ctx);
  auto* ref = call.params.if_contains("ref");
  if (p && ref && ref->is_object()) {
    auto& r = ref->get_object();
    auto type = string_field(r, "type");
    if (type == "ref/prompt") {
      std::string name(string_field(r, "name"));
      if (!visible(*p, *ctx.session, NameKind::prompt, name)) throw unknown(NameKind::prompt, name, ctx);
    } else if (type == "ref/resource") {
      std::string uri(string_field(r, "uri"));
      if (!visible(*p, *ctx.session, NameKind::resource, uri)) throw unknown(NameKind::resource, uri, ctx);
    }
  }
  co_return co_await next(std::move(call), ctx);
}

}  // namespace mcproxy::proxy
