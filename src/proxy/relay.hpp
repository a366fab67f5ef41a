#pragma once
// The reverse path: what backends send that is not a response (notifications and
// server->client requests) finds the downstream session it belongs to. Nothing is broadcast
// to every client: a message is attributed to one session, or dropped.
//   - progress: by the proxy's own token, which replaced the client's on the way up (tokens of
//     different clients can never collide upstream); the client gets its own token back;
//   - a message tied to a task (related-task _meta, tasks/status): the task's owner;
//   - sampling / elicitation / roots: the session whose request is in flight on that backend
//     (the one whose progress token the request carries, else the oldest, logged), or the
//     owner of a per-client backend; with nobody to ask, the backend gets an error;
//   - logging and other notifications: the owner of a per-client backend, or the only session
//     with requests in flight on that backend (or, with none in flight, the only session using
//     it), filtered by that session's own log level; otherwise it is dropped (shared mode
//     cannot tell whose it is);
//   - resources/updated: to the sessions that subscribed to that URI on that backend;
//   - list_changed: to every session that uses the backend (the catalogue is shared).

#include "mcp/jsonrpc.hpp"
#include "mcp/methods.hpp"
#include "middleware/plan.hpp"
#include "proxy/request_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace mcproxy::proxy {

class Backend;
class DownstreamSession;
using mcp::ListKind;

class PinGuard;
class ProxyMetrics;
class CallFeed;

class Relay {
 public:
  void add_session(const std::shared_ptr<DownstreamSession>& session);
  void remove_session(const DownstreamSession& session);
  std::size_t session_count() const noexcept { return sessions_.size(); }

  // Replaces the client's progress token with a proxy-wide unique one while the request runs.
  std::int64_t register_progress(ProxyRequest& ctx);
  void unregister_progress(std::int64_t token) { progress_.erase(token); }

  // A backend's notification, after its client middleware saw it.
  void on_backend_notification(Backend& backend, mcp::Message message);
  // A backend's request to a client (sampling, elicitation, roots), after its client
  // middleware saw it; returns the client's answer.
  boost::asio::awaitable<boost::json::value> on_backend_request(Backend& backend, middleware::Call call);
  // A request to the client of one request in flight, on its stream (a modern backend's
  // input_required answered for an initialize-era client): the same checks and proxy
  // middleware as on_backend_request, without the attribution.
  boost::asio::awaitable<boost::json::value> ask_client(Backend& backend, ProxyRequest& ctx, middleware::Call call);

  // The proxy middleware a session's messages go through (set by McpServer): the reverse path
  // passes through it too, once the message is attributed to that session.
  std::function<std::shared_ptr<const middleware::Pipeline>(DownstreamSession&)> proxy_pipeline;
  // What every backend and session reaches through here, set by the Proxy (null in unit tests):
  // tool-definition pins every backend's tool lists pass (null: pinning off), the metrics and
  // the dashboard's live feed of calls.
  std::shared_ptr<PinGuard> pins;
  std::shared_ptr<ProxyMetrics> metrics;
  std::shared_ptr<CallFeed> feed;
  // What the backend contributes changed: every session using it hears list_changed.
  void on_catalogue_changed(Backend& backend, std::initializer_list<ListKind> kinds);
  // Every initialized session hears tools, prompts and resources list_changed (hot reload).
  void broadcast_list_changed();
  // Shutdown: the subscriptions/listen requests of stateless clients (in this table, not in the
  // SessionManager's) are cancelled, so that their streams end at once.
  void cancel_listeners();

 private:
  // Whom a message from a backend is for: the session (and its request, whose stream carries
  // related messages) tied by progress token, related task, the per-client owner, or the only
  // session with requests in flight there. `others` counts further sessions with requests in
  // flight when nothing tied the message (ambiguous).
  struct Attribution {
    std::shared_ptr<DownstreamSession> session;
    ProxyRequest* ctx = nullptr;
    std::size_t others = 0;
  };
  Attribution attribute(Backend& backend, const boost::json::object& params);
  boost::asio::awaitable<boost::json::value> request_session(Backend& backend, std::shared_ptr<DownstreamSession> session,
                                                             ClientStream* via, middleware::Call call);
  void deliver(const Attribution& to, const boost::json::object& message);
  // `note` through `session`'s proxy middleware; false when a layer dropped it.
  bool through_proxy_middleware(DownstreamSession& session, const Backend& from, middleware::Call& note);
  std::shared_ptr<DownstreamSession> find_session(const std::string& id) const;
  template <class Fn>
  void for_each_session(Fn&& fn);
  template <class Fn>
  void for_each_session_using(const Backend& backend, Fn&& fn);

  std::unordered_map<std::string, std::weak_ptr<DownstreamSession>> sessions_;
  std::unordered_map<std::int64_t, ProxyRequest*> progress_;
  std::int64_t next_token_ = 1;
};

}  // namespace mcproxy::proxy
