#include "proxy/mcp_server.hpp"

#include "mcp/protocol.hpp"
#include "middleware/params.hpp"
#include "proxy/call_feed.hpp"
#include "proxy/modern_results.hpp"
#include "proxy/relay.hpp"
#include "proxy/version_adapter.hpp"
#include "support/redaction.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using mcp::McpError;
namespace ec = mcp::error_code;

awaitable<json::value> McpServer::initialize(DownstreamSession& session, const json::object& params) {
  std::string_view requested;
  if (auto* v = params.if_contains("protocolVersion"); v && v->is_string()) requested = v->get_string();
  else throw McpError(ec::kInvalidParams, "Invalid params: initialize needs \"protocolVersion\"");
  // Once per session: a second initialize (legacy SSE and stdio keep one session per stream)
  // must not start a second set of per-client backends.
  session.begin_initialize();
  json::object capabilities, client_info;
  if (auto* c = params.if_contains("capabilities"); c && c->is_object()) capabilities = c->get_object();
  if (auto* i = params.if_contains("clientInfo"); i && i->is_object()) client_info = i->get_object();
  if (auto* meta = params.if_contains("_meta"); meta && meta->is_object())
    if (auto* l = meta->get_object().if_contains("mcproxy/language"); l && l->is_string())
      session.set_languages(l->get_string());
  std::string version(mcp::negotiate_protocol_version(requested));
  try {
    co_await sessions_.attach_catalogue(session, capabilities);
    co_await session.aggregator->refresh();
  } catch (...) {
    session.abandon_initialize();
    throw;
  }
  session.complete_initialize(version, std::move(capabilities), std::move(client_info));

  json::object result;
  result["protocolVersion"] = version;
  result["capabilities"] = session.aggregator->server_capabilities();
  result["serverInfo"] = json::object{{"name", "mcproxy"}, {"title", "MCProxy"}, {"version", MCPROXY_VERSION}};
  if (auto text = session.aggregator->instructions(); !text.empty()) result["instructions"] = std::move(text);
  std::string client = "unknown client";
  if (auto* n = session.client_info().if_contains("name"); n && n->is_string()) client = n->get_string();
  spdlog::info("session {}: {} initialized with protocol {}", session.label(), client, version);
  co_return result;
}

namespace {

// A stateless client's view is private when it depends on who asks; a merged list lasts as long
// as its shortest-lived contributor's.
CachePolicy cache_policy(const DownstreamSession& session, std::string_view method) {
  CachePolicy policy{session.identity().empty() ? "public" : "private", 0};
  for (auto kind : kAllListKinds)
    if (method == list_method(kind) && session.aggregator) policy.ttl_ms = session.aggregator->list_ttl_ms(kind);
  return policy;
}

// {"jsonrpc":"2.0","id":<id>,"result":<result>} around a result serialized once.
std::string response_with_result(const json::value& id, std::string_view result) {
  std::string id_text = json::serialize(id);
  std::string out;
  out.reserve(result.size() + id_text.size() + 40);
  out.append(R"({"jsonrpc":"2.0","id":)").append(id_text).append(R"(,"result":)").append(result).push_back('}');
  return out;
}

// The innermost proxy-level service: the session's aggregator (shared or its own), routing
// by the method table.
class AggregatorService final : public middleware::Service {
 public:
  awaitable<json::value> request(middleware::Call call, middleware::RequestContext& context) override {
    ProxyRequest* ctx = proxy_request(context);
    DownstreamSession* session = ctx ? ctx->downstream() : nullptr;
    if (!session || !session->aggregator)
      throw McpError(ec::kInvalidRequest, "Invalid Request: send initialize before other requests");
    Aggregator& aggregator = *session->aggregator;
    const mcp::MethodInfo* info = mcp::info(call.method);
    if (info && info->routing == mcp::Routing::list && info->list)
      co_return co_await aggregator.list(*info->list, call.params);
    switch (call.method) {
      case mcp::Method::tools_call: co_return co_await aggregator.call_tool(std::move(call.params), *ctx);
      case mcp::Method::prompts_get: co_return co_await aggregator.get_prompt(std::move(call.params), *ctx);
      case mcp::Method::resources_read: co_return co_await aggregator.read_resource(std::move(call.params), *ctx);
      case mcp::Method::resources_subscribe:
      case mcp::Method::resources_unsubscribe:
        co_return co_await aggregator.subscribe(call.name, std::move(call.params), *ctx);
      case mcp::Method::completion_complete: co_return co_await aggregator.complete(std::move(call.params), *ctx);
      case mcp::Method::logging_set_level: co_return co_await aggregator.set_log_level(std::move(call.params), *ctx);
      case mcp::Method::tasks_get:
      case mcp::Method::tasks_result:
      case mcp::Method::tasks_list:
      case mcp::Method::tasks_cancel:
        co_return co_await aggregator.task_request(call.name, std::move(call.params), *ctx);
      default: break;
    }
    throw McpError(ec::kMethodNotFound, fmt::format("Method not found: {}", call.name));
  }
  void notify(middleware::Call) override {}
};

}  // namespace

McpServer::McpServer(SessionManager& sessions, const std::vector<middleware::Maker>& proxy_middleware)
    : sessions_(sessions) {
  set_proxy_middleware(proxy_middleware);
}

void McpServer::set_proxy_middleware(const std::vector<middleware::Maker>& proxy_middleware) {
  makers_ = proxy_middleware;
  ++pipeline_generation_;
  pipeline_ = std::make_shared<const middleware::Pipeline>(makers_, middleware::Site{},
                                                           std::make_shared<AggregatorService>());
}

std::shared_ptr<const middleware::Pipeline> McpServer::pipeline_for(DownstreamSession& session) {
  if (!pipeline_->has_per_session_layers()) return pipeline_;
  // One pipeline per session, built from the same makers (and again after a reload).
  auto& own = session.state<SessionPipeline>(this);
  if (!own.pipeline || own.generation != pipeline_generation_) {
    own.pipeline = std::make_shared<const middleware::Pipeline>(makers_, middleware::Site{},
                                                                std::make_shared<AggregatorService>());
    own.generation = pipeline_generation_;
  }
  return own.pipeline;
}

awaitable<json::value> McpServer::dispatch(DownstreamSession& session, middleware::Call call,
                                           ProxyRequest& ctx) {
  if (call.method == mcp::Method::initialize) co_return co_await initialize(session, call.params);
  if (call.method == mcp::Method::ping) co_return json::object{};
  if (call.method == mcp::Method::server_discover && session.stateless()) {
    co_await session.aggregator->refresh();
    co_return discover_result(session.aggregator->server_capabilities(), session.aggregator->instructions(),
                              cache_policy(session, "server/discover"));
  }
  if (call.method == mcp::Method::subscriptions_listen && session.stateless())
    co_return co_await listen(session, call.params, ctx);
  auto pipeline = pipeline_for(session);  // a reload may replace it while this request runs
  co_return co_await pipeline->entry().request(std::move(call), ctx);
}

awaitable<json::value> McpServer::listen(DownstreamSession& session, const json::object& params, ProxyRequest& ctx) {
  constexpr std::size_t kMaxListenedResources = 256;
  if (!ctx.stream)
    throw McpError(ec::kInvalidRequest, "Invalid Request: subscriptions/listen needs a stream to send notifications on");
  json::object asked;
  if (auto* n = params.if_contains("notifications"); n && n->is_object()) asked = n->get_object();
  auto flag = [&](std::string_view key) {
    auto* v = asked.if_contains(key);
    return v && v->is_bool() && v->get_bool();
  };
  DownstreamSession::Listen listening{ctx.id, flag("toolsListChanged"), flag("promptsListChanged"),
                                      flag("resourcesListChanged")};
  json::object honored;
  if (listening.tools) honored["toolsListChanged"] = true;
  if (listening.prompts) honored["promptsListChanged"] = true;
  if (listening.resources) honored["resourcesListChanged"] = true;
  // Resource updates: the same upstream subscriptions as resources/subscribe (shared, counted,
  // released when the session ends); a URI no server can subscribe to is not honoured.
  json::array uris;
  if (auto* list = asked.if_contains("resourceSubscriptions"); list && list->is_array()) {
    for (auto& uri : list->get_array()) {
      if (!uri.is_string() || uris.size() >= kMaxListenedResources) continue;
      try {
        json::object one{{"uri", uri}};
        co_await session.aggregator->subscribe("resources/subscribe", std::move(one), ctx);
        uris.push_back(uri);
      } catch (const std::exception& e) {
        spdlog::debug("session {}: subscriptions/listen: {} not subscribed: {}", session.label(),
                      json::serialize(uri), e.what());
      }
    }
  }
  if (!uris.empty()) honored["resourceSubscriptions"] = std::move(uris);
  session.listening = listening;
  session.direct_stream = ctx.stream;
  session.set_initialized();
  auto& relay = sessions_.relay();
  relay.add_session(session.shared_from_this());
  struct Stop {
    DownstreamSession& session;
    Relay& relay;
    ~Stop() {
      session.listening.reset();
      session.direct_stream = nullptr;
      relay.remove_session(session);
    }
  } stop{session, relay};
  json::object ack{{"notifications", std::move(honored)},
                   {"_meta", json::object{{mcp::kMetaSubscriptionId, ctx.id}}}};
  bool streaming = ctx.stream->send(mcp::make_notification("notifications/subscriptions/acknowledged", std::move(ack)));
  if (!streaming)
    throw McpError(ec::kInvalidRequest,
                   "Invalid Request: subscriptions/listen answers on an event stream (Accept: text/event-stream)");
  spdlog::info("session {}: subscriptions/listen: its stream carries list changes and resource updates",
               session.label());
  // Until the client closes the stream (the request is cancelled) or MCProxy stops.
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer forever(executor, std::chrono::steady_clock::time_point::max());
  co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return json::object{};
}

void McpServer::on_notification(DownstreamSession& session, const mcp::Message& message) {
  auto method = message.method();
  if (method == "notifications/initialized") {
    session.set_initialized();
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

std::string McpServer::list_cache_key(DownstreamSession& session, const middleware::Call& call) {
  const mcp::MethodInfo* info = mcp::info(call.method);
  if (!info || info->routing != mcp::Routing::list || !info->list || !session.aggregator) return {};
  // Only the cursor selects what a list answers (_meta carries a progress token at most).
  const json::value* cursor = nullptr;
  for (auto& [key, value] : call.params) {
    if (key == "cursor") cursor = &value;
    else if (key != "_meta") return {};
  }
  if (cursor && !cursor->is_string()) return {};
  auto pipeline = pipeline_for(session);
  if (!pipeline->list_is_pure(*info->list)) return {};
  // The pipeline's address with its generation: a reload makes a new one.
  // The profile too: the profile guard's answer depends on it.
  // And what the layers say their answer varies with (translate: the language it picked).
  // A stateless client's answer carries its cache hints (a list's ttlMs may change without the
  // list changing).
  std::string hints;
  if (session.stateless()) {
    auto policy = cache_policy(session, info->name);
    hints = fmt::format("{}/{}", policy.scope, policy.ttl_ms);
  }
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}", static_cast<int>(*info->list), session.protocol_version(),
                     session.profile(), pipeline->list_variant(&session, call.params),
                     static_cast<const void*>(pipeline.get()), pipeline_generation_, hints,
                     cursor ? std::string_view(cursor->get_string()) : std::string_view("-"));
}

namespace {

// What a request acts on, for the live feed: a tool or prompt name, or a URI.
std::string subject_of(const middleware::Call& call) {
  switch (call.method) {
    case mcp::Method::tools_call:
    case mcp::Method::prompts_get: return std::string(middleware::string_field(call.params, "name"));
    case mcp::Method::resources_read:
    case mcp::Method::resources_subscribe:
    case mcp::Method::resources_unsubscribe: return std::string(middleware::string_field(call.params, "uri"));
    default: return {};
  }
}


}  // namespace

void McpServer::observe(const DownstreamSession& session, const ProxyRequest& ctx, mcp::Method method,
                        const std::string& method_name, const std::string& name, Outcome outcome) {
  auto elapsed = std::chrono::steady_clock::now() - ctx.started;
  auto& relay = sessions_.relay();
  if (auto* m = relay.metrics.get()) {
    auto index = static_cast<std::size_t>(method);
    m->client_requests[index][static_cast<std::size_t>(outcome)].add();
    m->client_latency[index].observe(elapsed);
    if (ctx.refused_as == "denied") m->denied.add();
    else if (ctx.refused_as == "rate-limited") m->rate_limited.add();
  }
  if (!relay.feed || method == mcp::Method::ping) return;
  CallEvent event;
  event.time = std::chrono::system_clock::now();
  event.method = method_name;
  event.name = name;
  if (!name.empty() && (method == mcp::Method::tools_call || method == mcp::Method::prompts_get))
    event.server = session.server_of(method == mcp::Method::tools_call ? middleware::NameKind::tool
                                                                       : middleware::NameKind::prompt,
                                     name);
  else if (!name.empty())
    event.server = session.server_of(middleware::NameKind::resource, name);
  event.identity = session.identity();
  event.session = session.label();
  event.outcome = ctx.refused_as.empty() ? std::string(to_string(outcome)) : ctx.refused_as;
  event.trace_id = ctx.trace.trace_id;
  event.duration_ms = std::chrono::duration<double, std::milli>(elapsed).count();
  relay.feed->publish(std::move(event));
}

awaitable<std::optional<std::string>> McpServer::handle(std::shared_ptr<DownstreamSession> session,
                                                         mcp::Message message, ClientStream* stream,
                                                         std::string_view traceparent) {
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
  if (session->stateless() && bridge_) {
    InputBridge::Run run = [this, tp = std::string(traceparent)](std::shared_ptr<DownstreamSession> s, mcp::Message m,
                                                                  ClientStream* via) {
      return respond(std::move(s), std::move(m), via, tp);
    };
    co_return co_await bridge_->serve(std::move(session), std::move(message), stream, std::move(run));
  }
  std::string trace_header(traceparent);
  co_return co_await respond(std::move(session), std::move(message), stream, std::move(trace_header));
}

awaitable<std::optional<std::string>> McpServer::respond(std::shared_ptr<DownstreamSession> session,
                                                          mcp::Message message, ClientStream* stream,
                                                          std::string traceparent) {
  ProxyRequest ctx;
  ctx.session = session;
  ctx.id = message.id();
  ctx.correlation_id = next_correlation_id_++;
  ctx.stream = stream;
  json::object params;
  if (auto* p = message.body().if_contains("params"); p && p->is_object()) params = std::move(p->get_object());
  std::optional<mcp::TraceContext> incoming;
  if (!traceparent.empty()) incoming = mcp::TraceContext::parse(traceparent);
  if (auto* meta = params.if_contains("_meta"); meta && meta->is_object()) {
    if (auto* token = meta->get_object().if_contains("progressToken")) ctx.progress_token = *token;
    if (auto* t = meta->get_object().if_contains("traceparent"); t && t->is_string() && !incoming)
      incoming = mcp::TraceContext::parse(t->get_string());
  }
  ctx.trace = mcp::TraceContext::continue_from(incoming);
  middleware::Call call{std::string(message.method()), std::move(params)};
  const std::string method = call.name;
  const mcp::Method method_id = call.method;
  const std::string subject = subject_of(call);
  ProxyMetrics* metrics = sessions_.relay().metrics.get();
  std::string cache_key = list_cache_key(*session, call);
  std::uint64_t catalogue_generation = 0;
  if (!cache_key.empty()) {
    co_await session->aggregator->refresh();  // a catalogue that changed empties the cache
    auto cached = session->aggregator->cached_list(cache_key);
    if (cached) {
      spdlog::debug("session {} req#{} {} answered from the list cache [trace {}]", session->label(),
                    ctx.correlation_id, method, ctx.trace.trace_id);
      if (metrics) metrics->list_cache_hits.add();
      observe(*session, ctx, method_id, method, subject, Outcome::ok);
      co_return response_with_result(ctx.id, *cached);
    }
    if (metrics) metrics->list_cache_misses.add();
    catalogue_generation = session->aggregator->catalogue_generation();
  }
  session->add_in_flight(ctx);
  ++in_flight_;
  struct Done {
    McpServer& server;
    DownstreamSession& s;
    ProxyRequest& c;
    ~Done() {
      s.remove_in_flight(c);
      if (--server.in_flight_ == 0 && server.drain_waiter_) server.drain_waiter_->cancel();
    }
  } done{*this, *session, ctx};

  auto elapsed_us = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 ctx.started)
        .count();
  };
  // Named first (GCC 12): the request as a child coroutine whose cancellation slot is this
  // request's, and the executor it runs on.
  auto executor = co_await asio::this_coro::executor;
  auto bound = asio::bind_cancellation_slot(ctx.cancellation.slot(), asio::use_awaitable);
  try {
    auto work = dispatch(*session, std::move(call), ctx);
    json::value result = co_await asio::co_spawn(executor, std::move(work), bound);
    // Answered, but the client cancelled meanwhile: still no response. (At shutdown an answer
    // in hand is sent: the work was done.)
    auto late = ctx.cancellation.reason();
    if (late == mcp::Cancellation::Reason::client || late == mcp::Cancellation::Reason::disconnected)
      throw McpError(ec::kRequestTimeout, "cancelled");
    adapt_result_for_client(method, result, session->protocol_version());
    if (session->stateless()) adapt_result_for_modern(method, result, cache_policy(*session, method));
    else adapt_result_for_legacy(method, result);
    spdlog::debug("session {} req#{} {} ok in {} us [trace {}]", session->label(), ctx.correlation_id, method,
                  elapsed_us(), ctx.trace.trace_id);
    bool tool_error = false;
    if (auto* o = result.if_object())
      if (auto* e = o->if_contains("isError"); e && e->is_bool()) tool_error = e->get_bool();
    observe(*session, ctx, method_id, method, subject, tool_error ? Outcome::tool_error : Outcome::ok);
    if (!cache_key.empty()) {
      auto serialized = std::make_shared<const std::string>(json::serialize(result));
      session->aggregator->cache_list(std::move(cache_key), catalogue_generation, serialized);
      co_return response_with_result(ctx.id, *serialized);
    }
    co_return json::serialize(mcp::make_result(ctx.id, std::move(result)));
  } catch (const std::exception& e) {
    auto why = ctx.cancellation.reason();
    observe(*session, ctx, method_id, method, subject, outcome_of(&e, why != mcp::Cancellation::Reason::none));
    if (why == mcp::Cancellation::Reason::client || why == mcp::Cancellation::Reason::disconnected) {
      // As the spec says: no response to a cancelled request (nobody would read it anyway
      // when the client went away).
      spdlog::info("session {} req#{} {} {} after {} us: no response [trace {}]", session->label(),
                   ctx.correlation_id, method, mcp::to_string(why), elapsed_us(), ctx.trace.trace_id);
      co_return std::nullopt;
    }
    if (why == mcp::Cancellation::Reason::shutdown) {
      spdlog::info("session {} req#{} {} cancelled: MCProxy is stopping [trace {}]", session->label(),
                   ctx.correlation_id, method, ctx.trace.trace_id);
      co_return json::serialize(
          mcp::make_error(ctx.id, ec::kProxyStopping,
                          fmt::format("MCProxy is stopping: '{}' was still running when the shutdown "
                                      "grace period ended; retry on another instance or after a restart",
                                      method)));
    }
    if (auto* mcp_error = dynamic_cast<const McpError*>(&e)) {
      spdlog::info("session {} req#{} {} failed in {} us: {} ({}) [trace {}]", session->label(),
                   ctx.correlation_id, method, elapsed_us(), e.what(), mcp_error->code(), ctx.trace.trace_id);
      // A URL elicitation a 2025-11-25 server requires is, in the stateless era, input.
      if (session->stateless() && mcp_error->code() == ec::kUrlElicitationRequired) {
        auto asked = url_elicitation_as_input(mcp_error->data());
        if (asked) co_return json::serialize(mcp::make_result(ctx.id, std::move(*asked)));
      }
      // A code the client's era retired is mapped (stateless era: -32002 is -32602).
      if (session->stateless() && modern_error_code(mcp_error->code()) != mcp_error->code())
        co_return json::serialize(mcp::make_error(
            ctx.id, McpError(modern_error_code(mcp_error->code()), support::redact(e.what()), mcp_error->data())));
      // An error of MCProxy's own may name a backend's URL or command: never with a secret.
      if (support::holds_secret(e.what()))
        co_return json::serialize(mcp::make_error(ctx.id, McpError(mcp_error->code(), support::redact(e.what()), mcp_error->data())));
      co_return json::serialize(mcp::make_error(ctx.id, *mcp_error));
    }
    spdlog::error("session {} req#{} {} internal error: {} [trace {}]", session->label(), ctx.correlation_id,
                  method, e.what(), ctx.trace.trace_id);
    co_return json::serialize(mcp::make_error(ctx.id, ec::kInternalError,
                              support::redact(fmt::format("Internal error in MCProxy: {}", e.what()))));
  }
}

awaitable<bool> McpServer::drain(std::chrono::steady_clock::time_point deadline) {
  if (in_flight_ == 0) co_return true;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer waiter(executor, deadline);
  drain_waiter_ = &waiter;
  struct Reset {
    McpServer& s;
    ~Reset() { s.drain_waiter_ = nullptr; }
  } reset{*this};
  // Ends at the deadline, or when the last request ends (Done cancels the timer).
  co_await waiter.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return in_flight_ == 0;
}

}  // namespace mcproxy::proxy
