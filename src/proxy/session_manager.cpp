#include "proxy/session_manager.hpp"

#include "proxy/proxy_metrics.hpp"

#include "proxy/http_endpoint.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
namespace json = boost::json;

json::object shared_client_capabilities() {
  return json::object{{"sampling", json::object{}}, {"elicitation", json::object{}}};
}

SessionManager::SessionManager(asio::any_io_executor executor, const config::Config& config,
                               const middleware::Plan& plan, Relay& relay,
                               std::shared_ptr<Aggregator> shared)
    : executor_(executor), config_(config), plan_(plan), relay_(relay), shared_(std::move(shared)) {
  for (auto& s : config_.servers)
    has_per_client_ |= (s.session_mode == config::SessionMode::per_client && !s.disabled);
}

std::shared_ptr<DownstreamSession> SessionManager::create(Identity identity, std::string endpoint,
                                                          std::string profile, SessionTransport transport) {
  expire_idle();
  if (sessions_.size() >= config_.http.max_sessions) return nullptr;
  auto session = std::make_shared<DownstreamSession>(executor_, new_session_id());
  session->bind(std::move(identity), std::move(endpoint), std::move(profile));
  session->transport = transport;
  if (relay_.metrics) relay_.metrics->sessions_created[static_cast<std::size_t>(transport)].add();
  sessions_.emplace(session->id(), session);
  relay_.add_session(session);
  return session;
}

std::shared_ptr<DownstreamSession> SessionManager::create_stateless(const mcp::ModernEnvelope& envelope,
                                                                    Identity identity, std::string endpoint,
                                                                    std::string profile) {
  auto session = std::make_shared<DownstreamSession>(executor_, new_session_id());
  session->bind(std::move(identity), std::move(endpoint), std::move(profile));
  session->begin_stateless(envelope);
  session->aggregator = shared_;
  return session;
}

void SessionManager::end_stateless(DownstreamSession& session) {
  if (session.held) return;  // its request waits for the client's retry (InputBridge ends it)
  relay_.remove_session(session);  // a subscriptions/listen session was in the Relay's table
  session.close();
  release(session);
}

std::shared_ptr<DownstreamSession> SessionManager::find(const std::string& id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

std::shared_ptr<DownstreamSession> SessionManager::find_for(const std::string& id, const Identity& identity,
                                                            std::string_view endpoint, bool* mismatch) {
  auto session = find(id);
  bool ok = session && session->owner().name == identity.name && session->endpoint() == endpoint;
  if (mismatch) *mismatch = session && !ok;
  return ok ? session : nullptr;
}

std::size_t SessionManager::requests_in_flight() const noexcept {
  std::size_t n = 0;
  for (auto& [id, s] : sessions_) n += s->in_flight();
  return n;
}

std::size_t SessionManager::per_client_instances(const std::string& server) const {
  std::size_t n = 0;
  for (auto& [id, s] : sessions_)
    for (auto& b : s->own_backends)
      if (b->name() == server && b->up()) ++n;
  return n;
}

asio::awaitable<void> SessionManager::attach_catalogue(DownstreamSession& session,
                                                       const json::object& client_capabilities) {
  if (!has_per_client_) {
    session.aggregator = shared_;
    co_return;
  }
  // The client's own capabilities go upstream (tasks stay between client and proxy).
  json::object caps = client_capabilities;
  caps.erase("tasks");
  std::vector<std::shared_ptr<Backend>> backends;
  auto shared = shared_->backends();
  auto shared_it = shared->begin();
  std::shared_ptr<DownstreamSession> owner = find(session.id());
  for (auto& server : config_.servers) {
    if (server.session_mode == config::SessionMode::per_client && !server.disabled) {
      auto b = std::make_shared<Backend>(executor_, server, &relay_, caps,
                                         plan_.client_for(server.name), owner);
      backends.push_back(b);
      // Owned by the session from now on: ending it stops them, even while they start.
      session.own_backends.push_back(b);
    } else if (shared_it != shared->end()) {
      backends.push_back(*shared_it++);
    }
  }
  // Start this session's backends in parallel; initialize answers once they are up (or failed).
  co_await start_all(session.own_backends);
  if (session.closed()) {
    // The session ended while they started (end() stopped them): no catalogue to attach.
    throw mcp::McpError(mcp::error_code::kInternalError, "the session ended during initialize");
  }
  session.aggregator = std::make_shared<Aggregator>(std::move(backends), config_.naming,
                                                    config_.http.page_size);
}

void SessionManager::release(DownstreamSession& session) {
  // Its share of upstream subscriptions and its log level on the shared backends.
  for (auto& [uri, sub] : session.subscriptions)
    if (auto backend = sub.backend.lock(); backend && !backend->per_client())
      backend->release_subscription(sub.backend_uri);
  session.subscriptions.clear();
  for (auto& b : *shared_->backends()) b->forget_session(session.id());
}

void SessionManager::end(const std::string& id, std::string_view why) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  auto session = it->second;
  sessions_.erase(it);
  relay_.remove_session(*session);
  session->close();
  release(*session);
  spdlog::info("session {} ended: {}", session->label(), why);
  for (auto& b : session->own_backends) {
    auto stop = [b]() { return b->stop("its session ended"); };
    stopping_.spawn(fmt::format("[{}] stopping the per-client backend", b->name()), std::move(stop));
  }
}

asio::awaitable<void> SessionManager::end_all() {
  std::vector<std::shared_ptr<Backend>> own;
  for (auto& [id, s] : sessions_) {
    s->close(mcp::Cancellation::Reason::shutdown);
    release(*s);
    own.insert(own.end(), s->own_backends.begin(), s->own_backends.end());
  }
  sessions_.clear();
  co_await stop_all(own);
  // And the per-client backends of sessions that ended just before: their stops are never
  // cancelled (they end processes), only waited for, within a bound.
  co_await stopping_.wait(std::chrono::steady_clock::now() + std::chrono::seconds(15));
}

void SessionManager::cancel_all(mcp::Cancellation::Reason why) {
  for (auto& [id, s] : sessions_) s->cancel_all(why);
}

void SessionManager::expire_idle() {
  auto now = std::chrono::steady_clock::now();
  std::vector<std::string> idle;
  for (auto& [id, s] : sessions_)
    if (now - s->last_activity > config_.http.session_idle_timeout && s->in_flight() == 0)
      idle.push_back(id);
  for (auto& id : idle) end(id, "idle for longer than httpServer.sessionIdleTimeoutSeconds");
}

}  // namespace mcproxy::proxy
