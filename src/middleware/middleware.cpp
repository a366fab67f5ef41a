#include "middleware/service.hpp"

namespace mcproxy::middleware {

using boost::asio::awaitable;
using mcp::Method;

Call::Call(std::string method_name, json::object call_params)
    : method(mcp::find_method(method_name)), name(std::move(method_name)), params(std::move(call_params)) {}

Call::Call(Method known, json::object call_params)
    : method(known), name(mcp::name_of(known)), params(std::move(call_params)) {}

awaitable<json::value> Middleware::request(Call call, RequestContext& ctx) {
  switch (call.method) {
    case Method::tools_list: return list_tools(std::move(call), ctx);
    case Method::tools_call: return call_tool(std::move(call), ctx);
    case Method::prompts_list: return list_prompts(std::move(call), ctx);
    case Method::prompts_get: return get_prompt(std::move(call), ctx);
    case Method::resources_list: return list_resources(std::move(call), ctx);
    case Method::resources_templates_list: return list_resource_templates(std::move(call), ctx);
    case Method::resources_read: return read_resource(std::move(call), ctx);
    case Method::resources_subscribe: return subscribe_resource(std::move(call), ctx);
    case Method::resources_unsubscribe: return unsubscribe_resource(std::move(call), ctx);
    case Method::completion_complete: return complete(std::move(call), ctx);
    case Method::logging_set_level: return set_log_level(std::move(call), ctx);
    case Method::tasks_get: return get_task(std::move(call), ctx);
    case Method::tasks_result: return get_task_result(std::move(call), ctx);
    case Method::tasks_list: return list_tasks(std::move(call), ctx);
    case Method::tasks_cancel: return cancel_task(std::move(call), ctx);
    default: return other(std::move(call), ctx);
  }
}

awaitable<json::value> Middleware::on_server_request(Call call, const ReverseContext&, const ReverseNext& next) {
  return next(std::move(call));
}

#define MCPROXY_PASS_THROUGH(hook) \
  awaitable<json::value> Middleware::hook(Call call, RequestContext& ctx) { return next(std::move(call), ctx); }
MCPROXY_PASS_THROUGH(list_tools)
MCPROXY_PASS_THROUGH(call_tool)
MCPROXY_PASS_THROUGH(list_prompts)
MCPROXY_PASS_THROUGH(get_prompt)
MCPROXY_PASS_THROUGH(list_resources)
MCPROXY_PASS_THROUGH(list_resource_templates)
MCPROXY_PASS_THROUGH(read_resource)
MCPROXY_PASS_THROUGH(subscribe_resource)
MCPROXY_PASS_THROUGH(unsubscribe_resource)
MCPROXY_PASS_THROUGH(complete)
MCPROXY_PASS_THROUGH(set_log_level)
MCPROXY_PASS_THROUGH(get_task)
MCPROXY_PASS_THROUGH(get_task_result)
MCPROXY_PASS_THROUGH(list_tasks)
MCPROXY_PASS_THROUGH(cancel_task)
MCPROXY_PASS_THROUGH(other)
#undef MCPROXY_PASS_THROUGH

}  // namespace mcproxy::middleware
