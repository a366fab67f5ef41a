#include "proxy/audit_trail.hpp"

#include "mcp/error.hpp"
#include "middleware/params.hpp"
#include "proxy/request_context.hpp"
#include "support/canonical_json.hpp"
#include "support/digest.hpp"

#include <boost/json.hpp>

namespace mcproxy::proxy {

using boost::asio::awaitable;

namespace {

bool audited(mcp::Method m) {
  switch (m) {
    case mcp::Method::tools_call:
    case mcp::Method::prompts_get:
    case mcp::Method::resources_read:
    case mcp::Method::resources_subscribe:
    case mcp::Method::resources_unsubscribe:
    case mcp::Method::completion_complete:
    case mcp::Method::tasks_get:
    case mcp::Method::tasks_result:
    case mcp::Method::tasks_cancel:
    case mcp::Method::logging_set_level: return true;
    default: return false;
  }
}

// What the call acts on, and its arguments.
void describe(const middleware::Call& call, json::object& event, const json::value*& arguments) {
  for (auto key : {"name", "uri", "taskId"})
    if (auto v = middleware::string_field(call.params, key); !v.empty()) event[key] = v;
  if (auto* ref = call.params.if_contains("ref"); ref && ref->is_object()) {
    for (auto key : {"name", "uri"})
      if (auto v = middleware::string_field(ref->get_object(), key); !v.empty()) event[key] = v;
  }
  arguments = call.params.if_contains(call.method == mcp::Method::completion_complete ? "argument" : "arguments");
}

}  // namespace

awaitable<json::value> AuditTrail::request(middleware::Call call, middleware::RequestContext& ctx) {
  if (!audited(call.method) || !ctx.session) co_return co_await next(std::move(call), ctx);
  json::object event;
  event["event"] = "call";
  event["identity"] = ctx.session->identity();
  event["profile"] = ctx.session->profile();
  event["session"] = ctx.session->label();
  event["correlationId"] = ctx.correlation_id;
  if (!ctx.trace.empty()) event["traceId"] = ctx.trace.trace_id;
  event["method"] = call.name;
  const json::value* arguments = nullptr;
  describe(call, event, arguments);
  if (arguments) {
    event["argumentsSha256"] = support::sha256_hex(support::canonical_json(*arguments));
    if (include_arguments_) event["arguments"] = *arguments;
  }
  auto started = std::chrono::steady_clock::now();
  auto finish = [&](std::string_view outcome) {
    event["outcome"] = outcome;
    event["durationMs"] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    log_->write(event);
  };
  try {
    json::value result = co_await next(std::move(call), ctx);
    bool tool_error = false;
    if (auto* o = result.if_object())
      if (auto* e = o->if_contains("isError"); e && e->is_bool()) tool_error = e->get_bool();
    if (tool_error) event["toolError"] = true;
    finish(tool_error ? "error" : "ok");
    co_return result;
  } catch (const std::exception& e) {
    auto* request = proxy_request(ctx);
    std::string outcome = "error";
    if (request && !request->refused_as.empty()) outcome = request->refused_as;
    else if (request && request->cancellation.reason() != mcp::Cancellation::Reason::none) outcome = "cancelled";
    if (auto* m = dynamic_cast<const mcp::McpError*>(&e)) event["code"] = m->code();
    finish(outcome);
    throw;
  }
}

}  // namespace mcproxy::proxy
