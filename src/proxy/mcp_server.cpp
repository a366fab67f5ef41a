#include "proxy/mcp_server.hpp"

#include "mcp/protocol.hpp"
#include "proxy/version_adapter.hpp"
#include "support/redaction.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using mcp::McpError;
namespace ec = mcp::error_code;

awaitable<json::value> McpServer::initialize(DownstreamSession& session, const json::object& params) {
  // Once per session: a second initialize (legacy SSE and stdio keep one session per stream)
  // must not start a second set of per-client backends.
  if (session.initialize_seen || session.initializing)
    throw McpError(ec::kInvalidRequest, "Invalid Request: this session is already initialized");
  std::string_view requested;
  if (auto* v = params.if_contains("protocolVersion"); v && v->is_string()) requested = v->get_string();
  else throw McpError(ec::kInvalidParams, "Invalid params: initialize needs \"protocolVersion\"");
  session.initializing = true;
  session.protocol_version = mcp::negotiate_protocol_version(requested);
  if (auto* c = params.if_contains("capabilities"); c && c->is_object())
    session.client_capabilities = c->get_object();
  if (auto* i = params.if_contains("clientInfo"); i && i->is_object()) session.client_info = i->get_object();
  co_await sessions_.attach_catalogue(session);
  co_await session.aggregator->refresh();
  session.initialize_seen = true;

  json::object result;
  result["protocolVersion"] = session.protocol_version;
  result["capabilities"] = session.aggregator->server_capabilities();
  result["serverInfo"] = json::object{{"name", "mcproxy"}, {"title", "MCProxy"}, {"version", MCPROXY_VERSION}};
  if (auto text = session.aggregator->instructions(); !text.empty()) result["instructions"] = std::move(text);
  std::string client = "unknown client";
  if (auto* n = session.client_info.if_contains("name"); n && n->is_string()) client = n->get_string();
  spdlog::info("session {}: {} initialized with protocol {}", session.label(), client,
               session.protocol_version);
  co_return result;
}

namespace {

// The innermost proxy-level service: the session's aggregator (shared or its own).
class AggregatorService final : public middleware::Service {
 public:
  awaitable<json::value> request(std::string method, json::object params, RequestContext* ctx) override {
    if (!ctx || !ctx->session || !ctx->session->aggregator)
      throw McpError(ec::kInvalidRequest, "Invalid Request: send initialize before other requests");
    Aggregator& aggregator = *ctx->session->aggregator;
    if (method == "tools/list") co_return co_await aggregator.list(ListKind::tools, params);
    if (method == "tools/call") co_return co_await aggregator.call_tool(std::move(params), *ctx);
    if (method == "prompts/list") co_return co_await aggregator.list(ListKind::prompts, params);
    if (method == "prompts/get") co_return co_await aggregator.get_prompt(std::move(params), *ctx);
    if (method == "resources/list") co_return co_await aggregator.list(ListKind::resources, params);
    if (method == "resources/templates/list")
      co_return co_await aggregator.list(ListKind::templates, params);
    if (method == "resources/read") co_return co_await aggregator.read_resource(std::move(params), *ctx);
    if (method == "resources/subscribe" || method == "resources/unsubscribe")
      co_return co_await aggregator.subscribe(method, std::move(params), *ctx);
    if (method == "completion/complete") co_return co_await aggregator.complete(std::move(params), *ctx);
    if (method == "logging/setLevel") co_return co_await aggregator.set_log_level(std::move(params), *ctx);
    if (method.starts_with("tasks/"))
      co_return co_await aggregator.task_request(method, std::move(params), *ctx);
    throw McpError(ec::kMethodNotFound, fmt::format("Method not found: {}", method));
  }
  void notify(std::string, json::object) override {}
};

}  // namespace

McpServer::McpServer(SessionManager& sessions, const std::vector<middleware::Maker>& proxy_middleware)
    : sessions_(sessions),
      chain_(middleware::build_chain(proxy_middleware, middleware::Site{},
                                     std::make_shared<AggregatorService>())) {}

void McpServer::set_proxy_middleware(const std::vector<middleware::Maker>& proxy_middleware) {
  chain_ = middleware::build_chain(proxy_middleware, middleware::Site{},
                                   std::make_shared<AggregatorService>());
}

awaitable<json::value> McpServer::dispatch(DownstreamSession& session, std::string method,
                                           json::object params, RequestContext& ctx) {
  if (method == "initialize") co_return co_await initialize(session, params);
  if (method == "ping") co_return json::object{};
  auto chain = chain_;  // a reload may replace chain_ while this request runs
  co_return co_await chain->request(std::move(method), std::move(params), &ctx);
}

void McpServer::on_notification(DownstreamSession& session, const mcp::Message& message) {
  auto method = message.method();
  if (method == "notifications/initialized") {
    session.initialized = true;
  } else if (method == "notifications/cancelled") {
    auto* id = message.params().if_contains("requestId");
    if (id && session.cancel(*id))
      spdlog::info("session {}: request {} cancelled by the client", session.label(), json::serialize(*id));
    else
      spdlog::debug("session {}: cancellation of a request not in flight ignored", session.label());
  } else if (method == "notifications/roots/list_changed") {
    // Only per-client backends were told about this client's roots.
    if (session.aggregator) session.aggregator->notify_backends(method, message.params(), true);
  } else {
    spdlog::debug("session {}: notification {}", session.label(), method);
  }
}

awaitable<std::optional<json::object>> McpServer::handle(std::shared_ptr<DownstreamSession> session,
                                                         mcp::Message message, ClientStream* stream) {
  session->last_activity = std::chrono::steady_clock::now();
  if (message.is_notification()) {
    on_notification(*session, message);
    co_return std::nullopt;
  }
  if (message.is_response()) {
    std::string id = json::serialize(message.id());
    if (!session->deliver_response(std::move(message)))
      spdlog::debug("session {}: response to id {} that nothing waits for: dropped", session->label(), id);
    co_return std::nullopt;
  }

  RequestContext ctx;
  ctx.session = session;
  ctx.id = message.id();
  ctx.correlation_id = next_correlation_id_++;
  ctx.stream = stream;
  std::string method(message.method());
  json::object params;
  if (auto* p = message.body().if_contains("params"); p && p->is_object()) params = std::move(p->get_object());
  if (auto* meta = params.if_contains("_meta"); meta && meta->is_object()) {
    if (auto* token = meta->get_object().if_contains("progressToken")) ctx.progress_token = *token;
  }
  session->add_in_flight(ctx);
  struct Done {
    DownstreamSession& s;
    RequestContext& c;
    ~Done() { s.remove_in_flight(c); }
  } done{*session, ctx};

  auto elapsed_us = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 ctx.started)
        .count();
  };
  try {
    json::value result = co_await dispatch(*session, method, std::move(params), ctx);
    adapt_result_for_client(method, result, session->protocol_version);
    spdlog::debug("session {} req#{} {} ok in {} us", session->label(), ctx.correlation_id, method,
                  elapsed_us());
    co_return mcp::make_result(ctx.id, std::move(result));
  } catch (const McpError& e) {
    spdlog::info("session {} req#{} {} failed in {} us: {} ({})", session->label(),
                 ctx.correlation_id, method, elapsed_us(), e.what(), e.code());
    // An error of MCProxy's own may name a backend's URL or command: never with a secret.
    if (support::holds_secret(e.what()))
      co_return mcp::make_error(ctx.id, McpError(e.code(), support::redact(e.what()), e.data()));
    co_return mcp::make_error(ctx.id, e);
  } catch (const std::exception& e) {
    spdlog::error("session {} req#{} {} internal error: {}", session->label(), ctx.correlation_id,
                  method, e.what());
    co_return mcp::make_error(ctx.id, ec::kInternalError,
                              support::redact(fmt::format("Internal error in MCProxy: {}", e.what())));
  }
}

}  // namespace mcproxy::proxy
