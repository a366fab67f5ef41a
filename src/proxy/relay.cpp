#include "proxy/relay.hpp"

#include "proxy/aggregator.hpp"
#include "proxy/backend.hpp"
#include "proxy/downstream_session.hpp"
#include "mcp/log_level.hpp"

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

}  // namespace

void Relay::add_session(const std::shared_ptr<DownstreamSession>& session) {
  sessions_[session->id()] = session;
}

void Relay::remove_session(const DownstreamSession& session) { sessions_.erase(session.id()); }

std::int64_t Relay::register_progress(ProxyRequest& ctx) {
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
    if (s.initialize_seen() && s.aggregator && s.aggregator->uses(backend)) fn(s);
  });
}

std::shared_ptr<DownstreamSession> Relay::find_session(const std::string& id) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  auto session = it->second.lock();
  return session && !session->closed() ? session : nullptr;
}

Relay::Attribution Relay::attribute(Backend& backend, const json::object& params) {
  Attribution a;
  // Tied by the proxy's own progress token (it is unique per request across all clients).
  if (auto* token = meta_field(params, "progressToken"); token && token->is_int64()) {
    if (auto it = progress_.find(token->get_int64()); it != progress_.end() && it->second->session) {
      a.ctx = it->second;
      a.session = it->second->downstream_ptr();
      return a;
    }
  }
  auto request_of = [&](const std::shared_ptr<DownstreamSession>& session) -> ProxyRequest* {
    for (auto* c : backend.in_flight_requests())
      if (c->session == session) return c;
    return nullptr;
  };
  // Tied to a task, which belongs to the session that created it.
  if (auto* related = meta_field(params, "io.modelcontextprotocol/related-task");
      related && related->is_object()) {
    if (auto* id = related->get_object().if_contains("taskId"); id && id->is_string()) {
      a.session = find_session(backend.task_owner(id->get_string()));
      if (a.session) a.ctx = request_of(a.session);
      return a;  // a task of nobody we know: nobody
    }
  }
  // A per-client backend has exactly one client.
  if (auto owner = backend.owner(); owner && !owner->closed()) {
    a.session = owner;
    a.ctx = request_of(owner);
    return a;
  }
  // Otherwise the session whose request is in flight there, if only one session has one. A
  // request suspended by the era bridge, waiting for its client's retry, asked already: it
  // counts only when nothing else is in flight.
  for (bool suspended_too : {false, true}) {
    for (auto* c : backend.in_flight_requests()) {
      if (!c->session || c->session->closed()) continue;
      if (!suspended_too && c->downstream()->awaiting_retry) continue;
      if (!a.ctx) a.ctx = c;  // the oldest
      if (a.ctx->session != c->session) ++a.others;
    }
    if (a.ctx) break;
  }
  if (a.ctx) {
    a.session = a.ctx->downstream_ptr();
    return a;
  }
  // Nothing in flight: only when a single client uses this backend is there no doubt (a
  // desktop client alone on the proxy keeps receiving its server's background logs).
  std::size_t users = 0;
  for_each_session_using(backend, [&](DownstreamSession& s) {
    if (++users == 1) a.session = find_session(s.id());
  });
  if (users != 1) a.session = nullptr;
  return a;
}

void Relay::deliver(const Attribution& to, const json::object& message) {
  if (!to.session) return;
  if (!to.ctx || !to.ctx->stream || !to.ctx->stream->send(message)) to.session->send_unsolicited(message);
}

bool Relay::through_proxy_middleware(DownstreamSession& session, const Backend& from, middleware::Call& note) {
  if (!proxy_pipeline) return true;
  auto pipeline = proxy_pipeline(session);
  if (!pipeline || pipeline->layers().empty()) return true;  // nothing to pass (most configs)
  middleware::ReverseContext context{from.name(), session.shared_from_this()};
  return pipeline->server_notification(note, context);
}

namespace {

json::object notification_of(middleware::Call&& note) {
  return mcp::make_notification(note.name, std::move(note.params));
}

}  // namespace

void Relay::on_backend_notification(Backend& backend, mcp::Message message) {
  middleware::Call note{std::string(message.method()), std::move(message.mutable_params())};
  switch (note.method) {
    case mcp::Method::progress: {
      auto* token = note.params.if_contains("progressToken");
      auto it = token && token->is_int64() ? progress_.find(token->get_int64()) : progress_.end();
      if (it == progress_.end()) {
        spdlog::debug("[{}] progress for an unknown or finished token dropped", backend.name());
        return;
      }
      ProxyRequest& ctx = *it->second;
      note.params["progressToken"] = ctx.progress_token;  // the client's own token back
      auto* session = ctx.downstream();
      if (!through_proxy_middleware(*session, backend, note)) return;
      auto body = notification_of(std::move(note));
      if (!ctx.stream || !ctx.stream->send(body)) session->send_unsolicited(body);
      return;
    }
    case mcp::Method::resources_updated: {
      auto* uri = note.params.if_contains("uri");
      if (!uri || !uri->is_string() || uri->get_string().empty()) return;
      std::string own(uri->get_string());
      // Clients of a namespaced server know its URIs with the prefix.
      if (!backend.uri_prefix().empty()) *uri = backend.uri_prefix() + own;
      for_each_session_using(backend, [&](DownstreamSession& s) {
        if (!s.subscribed_to(backend, own)) return;
        middleware::Call copy = note;
        if (through_proxy_middleware(s, backend, copy)) s.send_unsolicited(notification_of(std::move(copy)));
      });
      return;
    }
    case mcp::Method::cancelled:
      spdlog::debug("[{}] cancelled one of its own requests to a client", backend.name());
      return;
    case mcp::Method::tasks_status: {
      // Only the task's owner hears about it.
      auto* id = note.params.if_contains("taskId");
      auto owner = id && id->is_string() ? find_session(backend.task_owner(id->get_string())) : nullptr;
      if (!owner) {
        spdlog::debug("[{}] status of a task nobody here owns: dropped", backend.name());
        return;
      }
      if (through_proxy_middleware(*owner, backend, note)) owner->send_unsolicited(notification_of(std::move(note)));
      return;
    }
    default: break;
  }
  auto to = attribute(backend, note.params);
  if (!to.session || to.others > 0) {
    // Never broadcast: a message that cannot be tied to one client reaches none (per-client
    // session mode ties every message to its client).
    spdlog::debug("[{}] {} not tied to one client ({}): dropped", backend.name(), note.name,
                  to.session ? "requests of several clients are in flight" : "no request in flight");
    return;
  }
  if (note.method == mcp::Method::message) {
    // A request of the stateless era that named no log level gets no log messages (its spec).
    if (to.session->stateless() && to.session->log_level.empty()) return;
    // This client's own level (shared mode: upstream may be more verbose for another client).
    if (!to.session->log_level.empty()) {
      auto* level = note.params.if_contains("level");
      int rank = level && level->is_string() ? mcp::log_level_rank(level->get_string()) : -1;
      if (rank >= 0 && rank < mcp::log_level_rank(to.session->log_level)) return;
    }
    // Say which backend is talking; keep the backend's own logger name after it.
    std::string logger = backend.name();
    if (auto* l = note.params.if_contains("logger"); l && l->is_string() && !l->get_string().empty())
      logger += "/" + std::string(l->get_string());
    note.params["logger"] = logger;
  }
  if (!through_proxy_middleware(*to.session, backend, note)) return;
  deliver(to, notification_of(std::move(note)));
}

asio::awaitable<json::value> Relay::on_backend_request(Backend& backend, middleware::Call call) {
  if (call.method == mcp::Method::ping) co_return json::object{};

  auto to = attribute(backend, call.params);
  if (to.others > 0)
    spdlog::info("[{}] {} while requests of {} clients are in flight: sent to session {} (the "
                 "oldest; use sessionMode \"per-client\" to make this unambiguous)",
                 backend.name(), call.name, to.others + 1, to.session->label());
  if (!to.session || to.session->closed()) {
    throw McpError(ec::kInternalError,
                   fmt::format("MCProxy has no client to send '{}' to: no client request is in "
                               "flight on '{}'",
                               call.name, backend.name()));
  }
  ClientStream* via = to.ctx ? to.ctx->stream : nullptr;
  auto session = to.session;
  co_return co_await request_session(backend, std::move(session), via, std::move(call));
}

asio::awaitable<json::value> Relay::ask_client(Backend& backend, ProxyRequest& ctx, middleware::Call call) {
  auto session = ctx.downstream_ptr();
  if (!session || session->closed())
    throw McpError(ec::kInternalError, fmt::format("the client's session ended before '{}' could ask it", backend.name()));
  ClientStream* via = ctx.stream;
  co_return co_await request_session(backend, std::move(session), via, std::move(call));
}

asio::awaitable<json::value> Relay::request_session(Backend& backend, std::shared_ptr<DownstreamSession> session,
                                                    ClientStream* via, middleware::Call call) {
  // (A stateless client's request is refused by the era bridge instead, with that era's -32021.)
  auto capability = mcp::required_client_capability(call.name);
  bool bridged = session->stateless() && session->input_sink;
  if (!capability.empty() && !bridged && !session->has_client_capability(capability)) {
    throw McpError(ec::kMethodNotFound,
                   fmt::format("the client does not support {} (it did not declare the '{}' "
                               "capability)",
                               call.name, capability));
  }
  spdlog::debug("[{}] {} -> session {}", backend.name(), call.name, session->label());
  // Then the proxy middleware of that session, and at last the client.
  middleware::ReverseNext to_client = [session, via](middleware::Call c) -> asio::awaitable<json::value> {
    co_return co_await session->request_client(via, c.name, std::move(c.params), kClientRequestTimeout);
  };
  auto pipeline = proxy_pipeline ? proxy_pipeline(*session) : nullptr;
  if (!pipeline) co_return co_await to_client(std::move(call));
  middleware::ReverseContext from{backend.name(), session};
  co_return co_await pipeline->server_request(std::move(call), from, to_client);
}

void Relay::cancel_listeners() {
  std::vector<std::shared_ptr<DownstreamSession>> listening;
  for (auto& [id, weak] : sessions_)
    if (auto s = weak.lock(); s && s->stateless()) listening.push_back(std::move(s));
  for (auto& s : listening) s->cancel_all(mcp::Cancellation::Reason::shutdown);
}

void Relay::broadcast_list_changed() {
  for_each_session([](DownstreamSession& s) {
    if (!s.initialized()) return;
    for (auto kind : {ListKind::tools, ListKind::prompts, ListKind::resources})
      s.send_unsolicited(mcp::make_notification(mcp::list_changed_method(kind), {}));
  });
}

void Relay::on_catalogue_changed(Backend& backend, std::initializer_list<ListKind> kinds) {
  std::vector<std::string_view> methods;
  for (auto kind : kinds) {
    auto m = mcp::list_changed_method(kind);
    if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
  }
  for_each_session_using(backend, [&](DownstreamSession& s) {
    if (!s.initialized()) return;
    for (auto m : methods) s.send_unsolicited(mcp::make_notification(m, {}));
  });
}

}  // namespace mcproxy::proxy
