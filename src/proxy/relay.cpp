#include "proxy/relay.hpp"

#include "proxy/aggregator.hpp"
#include "proxy/backend.hpp"
#include "proxy/downstream_session.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>

namespace mcproxy::proxy {

namespace asio = boost::asio;
namespace json = boost::json;
using mcp::McpError;
namespace ec = mcp::error_code;

namespace {

// A person may have to answer sampling or elicitation: allow them time, but not forever.
constexpr std::chrono::minutes kClientRequestTimeout{30};

const json::value* meta_field(const json::object& params, std::string_view key) {
  auto* meta = params.if_contains("_meta");
  if (!meta || !meta->is_object()) return nullptr;
  return meta->get_object().if_contains(key);
}

// The client capability a server->client request needs.
std::string_view required_capability(std::string_view method) {
  if (method == "sampling/createMessage") return "sampling";
  if (method == "elicitation/create") return "elicitation";
  if (method == "roots/list") return "roots";
  return {};
}

}  // namespace

void Relay::add_session(const std::shared_ptr<DownstreamSession>& session) {
  sessions_[session->id()] = session;
}

void Relay::remove_session(const DownstreamSession& session) { sessions_.erase(session.id()); }

std::int64_t Relay::register_progress(RequestContext& ctx) {
  auto token = next_token_++;
  progress_[token] = &ctx;
  return token;
}

template <class Fn>
void Relay::for_each_session(Fn&& fn) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto session = it->second.lock();
    if (!session || session->closed()) {
      it = sessions_.erase(it);  // forget ended sessions on the way
      continue;
    }
    ++it;
    fn(*session);
  }
}

template <class Fn>
void Relay::for_each_session_using(const Backend& backend, Fn&& fn) {
  for_each_session([&](DownstreamSession& s) {
    if (s.initialize_seen && s.aggregator && s.aggregator->uses(backend)) fn(s);
  });
}

void Relay::deliver_related(Backend& backend, const json::object& message) {
  // One copy per session with a request in flight on this backend, on its oldest request's
  // stream; with none in flight, every session that uses the backend gets it unsolicited.
  std::vector<DownstreamSession*> served;
  for (auto* ctx : backend.in_flight_requests()) {
    if (!ctx->session || ctx->session->closed()) continue;
    if (std::find(served.begin(), served.end(), ctx->session.get()) != served.end()) continue;
    served.push_back(ctx->session.get());
    if (!ctx->stream || !ctx->stream->send(message)) ctx->session->send_unsolicited(message);
  }
  if (!served.empty()) return;
  for_each_session_using(backend, [&](DownstreamSession& s) { s.send_unsolicited(message); });
}

void Relay::on_backend_notification(Backend& backend, mcp::Message message) {
  auto method = message.method();
  if (method == "notifications/progress") {
    auto& params = message.mutable_params();
    auto* token = params.if_contains("progressToken");
    auto it = token && token->is_int64() ? progress_.find(token->get_int64()) : progress_.end();
    if (it == progress_.end()) {
      spdlog::debug("[{}] progress for an unknown or finished token dropped", backend.name());
      return;
    }
    RequestContext& ctx = *it->second;
    params["progressToken"] = ctx.progress_token;  // the client's own token back
    if (!ctx.stream || !ctx.stream->send(message.body())) ctx.session->send_unsolicited(message.body());
    return;
  }
  if (method == "notifications/message") {
    // Say which backend is talking; keep the backend's own logger name after it.
    auto& params = message.mutable_params();
    std::string logger = backend.name();
    if (auto* l = params.if_contains("logger"); l && l->is_string() && !l->get_string().empty())
      logger += "/" + std::string(l->get_string());
    params["logger"] = logger;
    deliver_related(backend, message.body());
    return;
  }
  if (method == "notifications/resources/updated") {
    auto* uri = message.params().if_contains("uri");
    if (!uri || !uri->is_string()) return;
    std::string_view u = uri->get_string();
    for_each_session_using(backend, [&](DownstreamSession& s) {
      if (s.subscribed_to(u)) s.send_unsolicited(message.body());
    });
    return;
  }
  if (method == "notifications/cancelled") {
    spdlog::debug("[{}] cancelled one of its own requests to a client", backend.name());
    return;
  }
  deliver_related(backend, message.body());
}

asio::awaitable<json::value> Relay::on_backend_request(Backend& backend, mcp::Message message) {
  std::string method(message.method());
  if (method == "ping") co_return json::object{};

  // Whose request is this about?
  RequestContext* ctx = nullptr;
  if (auto* token = meta_field(message.params(), "progressToken"); token && token->is_int64()) {
    if (auto it = progress_.find(token->get_int64()); it != progress_.end()) ctx = it->second;
  }
  std::size_t candidates = 0;
  for (auto* c : backend.in_flight_requests()) {
    if (!c->session || c->session->closed()) continue;
    ++candidates;
    if (!ctx) ctx = c;
  }
  if (candidates > 1)
    spdlog::info("[{}] {} while {} client requests are in flight: sent to session {} (the oldest; "
                 "use sessionMode \"per-client\" to make this unambiguous)",
                 backend.name(), method, candidates, ctx->session->label());
  std::shared_ptr<DownstreamSession> session = ctx ? ctx->session : backend.owner();
  if (!session || session->closed()) {
    throw McpError(ec::kInternalError,
                   fmt::format("MCProxy has no client to send '{}' to: no client request is in "
                               "flight on '{}'",
                               method, backend.name()));
  }
  if (auto capability = required_capability(method);
      !capability.empty() && !session->has_client_capability(capability)) {
    throw McpError(ec::kMethodNotFound,
                   fmt::format("the client does not support {} (it did not declare the '{}' "
                               "capability)",
                               method, capability));
  }
  spdlog::debug("[{}] {} -> session {}", backend.name(), method, session->label());
  json::object params = message.params();
  co_return co_await session->request_client(ctx ? ctx->stream : nullptr, method, std::move(params),
                                             kClientRequestTimeout);
}

void Relay::broadcast_list_changed() {
  for_each_session([](DownstreamSession& s) {
    if (!s.initialized) return;
    for (auto m : {"notifications/tools/list_changed", "notifications/prompts/list_changed",
                   "notifications/resources/list_changed"})
      s.send_unsolicited(mcp::make_notification(m, {}));
  });
}

void Relay::on_catalogue_changed(Backend& backend, std::initializer_list<ListKind> kinds) {
  std::vector<std::string_view> methods;
  for (auto kind : kinds) {
    std::string_view m = kind == ListKind::tools     ? "notifications/tools/list_changed"
                         : kind == ListKind::prompts ? "notifications/prompts/list_changed"
                                                     : "notifications/resources/list_changed";
    if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
  }
  for_each_session_using(backend, [&](DownstreamSession& s) {
    if (!s.initialized) return;
    for (auto m : methods) s.send_unsolicited(mcp::make_notification(m, {}));
  });
}

}  // namespace mcproxy::proxy
