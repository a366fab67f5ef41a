#include "middleware/service.hpp"

namespace mcproxy::middleware {

using boost::asio::awaitable;

awaitable<json::value> Middleware::request(std::string method, json::object params,
                                           RequestContext* ctx) {
  if (method == "tools/list") return list_tools(std::move(params), ctx);
  if (method == "tools/call") return call_tool(std::move(params), ctx);
  if (method == "prompts/list") return list_prompts(std::move(params), ctx);
  if (method == "prompts/get") return get_prompt(std::move(params), ctx);
  if (method == "resources/list") return list_resources(std::move(params), ctx);
  if (method == "resources/templates/list") return list_resource_templates(std::move(params), ctx);
  if (method == "resources/read") return read_resource(std::move(params), ctx);
  return other(std::move(method), std::move(params), ctx);
}

awaitable<json::value> Middleware::list_tools(json::object params, RequestContext* ctx) {
  return next("tools/list", std::move(params), ctx);
}
awaitable<json::value> Middleware::call_tool(json::object params, RequestContext* ctx) {
  return next("tools/call", std::move(params), ctx);
}
awaitable<json::value> Middleware::list_prompts(json::object params, RequestContext* ctx) {
  return next("prompts/list", std::move(params), ctx);
}
awaitable<json::value> Middleware::get_prompt(json::object params, RequestContext* ctx) {
  return next("prompts/get", std::move(params), ctx);
}
awaitable<json::value> Middleware::list_resources(json::object params, RequestContext* ctx) {
  return next("resources/list", std::move(params), ctx);
}
awaitable<json::value> Middleware::list_resource_templates(json::object params, RequestContext* ctx) {
  return next("resources/templates/list", std::move(params), ctx);
}
awaitable<json::value> Middleware::read_resource(json::object params, RequestContext* ctx) {
  return next("resources/read", std::move(params), ctx);
}
awaitable<json::value> Middleware::other(std::string method, json::object params, RequestContext* ctx) {
  return next(std::move(method), std::move(params), ctx);
}

}  // namespace mcproxy::middleware
