#include "proxy/modern_results.hpp"

#include "mcp/error.hpp"
#include "mcp/protocol.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

namespace mcproxy::proxy {

namespace json = boost::json;

namespace {

bool cacheable(std::string_view method) {
  return method == "tools/list" || method == "prompts/list" || method == "resources/list" ||
         method == "resources/templates/list" || method == "resources/read" || method == "server/discover";
}

}  // namespace

json::object proxy_server_info() {
  return json::object{{"name", "mcproxy"}, {"title", "MCProxy"}, {"version", MCPROXY_VERSION}};
}

void adapt_result_for_modern(std::string_view method, json::value& result, const CachePolicy& cache) {
  auto* r = result.if_object();
  if (!r) return;
  if (!r->contains("resultType")) (*r)["resultType"] = "complete";
  if (cacheable(method)) {
    // Built by the proxy: its own bound. Passed through (resources/read): the backend's, when
    // it gave a valid one. Private if the view is, whatever the backend said.
    auto* ttl = r->if_contains("ttlMs");
    bool own = method != "resources/read";
    if (own || !ttl || !ttl->is_int64() || ttl->get_int64() < 0) (*r)["ttlMs"] = cache.ttl_ms;
    auto* scope = r->if_contains("cacheScope");
    if (!scope || cache.scope == "private" || !scope->is_string() ||
        (scope->get_string() != "public" && scope->get_string() != "private"))
      (*r)["cacheScope"] = cache.scope;
  }
  auto& meta = (*r)["_meta"];
  if (!meta.is_object()) meta = json::object{};
  meta.get_object()[mcp::kMetaServerInfo] = proxy_server_info();
}

void adapt_result_for_legacy(std::string_view method, json::value& result) {
  auto* r = result.if_object();
  if (!r) return;
  auto* type = r->if_contains("resultType");
  if (type && type->is_string() && type->get_string() == "input_required") {
    std::string asked;
    if (auto* requests = r->if_contains("inputRequests"); requests && requests->is_object())
      for (auto& [key, request] : requests->get_object())
        if (auto* m = request.is_object() ? request.get_object().if_contains("method") : nullptr; m && m->is_string())
          asked += (asked.empty() ? "" : ", ") + std::string(m->get_string());
    throw mcp::McpError(mcp::error_code::kInternalError,
                        "the server answered " + std::string(method) + " with input_required" +
                            (asked.empty() ? "" : " (" + asked + ")") +
                            " that did not come from a server MCProxy asks on the client's behalf: a 2025-11-25 "
                            "client cannot answer it");
  }
  r->erase("resultType");
  r->erase("ttlMs");
  r->erase("cacheScope");
  if (auto* meta = r->if_contains("_meta"); meta && meta->is_object()) {
    meta->get_object().erase(mcp::kMetaServerInfo);
    if (meta->get_object().empty()) r->erase("_meta");
  }
}

std::optional<json::value> url_elicitation_as_input(const json::value& data) {
  auto* o = data.if_object();
  auto* list = o ? o->if_contains("elicitations") : nullptr;
  if (!list || !list->is_array() || list->get_array().empty()) return std::nullopt;
  json::object requests;
  std::size_t index = 0;
  for (auto& e : list->get_array()) {
    auto* item = e.if_object();
    auto* url = item ? item->if_contains("url") : nullptr;
    if (!url || !url->is_string()) continue;
    json::object params{{"mode", "url"}, {"url", *url}};
    if (auto* m = item->if_contains("message"); m && m->is_string()) params["message"] = *m;
    else params["message"] = "Open this URL to continue";
    requests[fmt::format("url-{}", index++)] = json::object{{"method", "elicitation/create"}, {"params", std::move(params)}};
  }
  if (requests.empty()) return std::nullopt;
  return json::value(json::object{{"resultType", "input_required"},
                                  {"inputRequests", std::move(requests)},
                                  {"_meta", json::object{{mcp::kMetaServerInfo, proxy_server_info()}}}});
}

int modern_error_code(int code) noexcept {
  return code == mcp::error_code::kResourceNotFound ? mcp::error_code::kInvalidParams : code;
}

json::object discover_result(json::object capabilities, std::string instructions, const CachePolicy& cache) {
  // listChanged and subscribe as the aggregated catalogue has them: subscriptions/listen
  // carries both to a stateless client. Tasks are an extension in this era.
  capabilities.erase("tasks");
  json::array versions;
  for (auto v : mcp::kModernProtocolVersions) versions.emplace_back(v);
  for (auto v : mcp::kSupportedProtocolVersions) versions.emplace_back(v);
  json::object result{{"supportedVersions", std::move(versions)}, {"capabilities", std::move(capabilities)}};
  if (!instructions.empty()) result["instructions"] = std::move(instructions);
  json::value v = std::move(result);
  adapt_result_for_modern("server/discover", v, cache);
  return std::move(v.get_object());
}

}  // namespace mcproxy::proxy
