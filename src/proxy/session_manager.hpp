#pragma once
// Creates, finds and ends downstream sessions, and gives each the catalogue it sees: the shared
// one, or, when some servers run in "per-client" session mode, one of its own in which those
// servers are fresh upstream sessions (a child process each for stdio) initialized with this
// client's own capabilities, stopped when the session ends.

#include "config/config.hpp"
#include "support/task_group.hpp"
#include "proxy/aggregator.hpp"
#include "proxy/backend.hpp"
#include "proxy/downstream_session.hpp"
#include "middleware/plan.hpp"
#include "proxy/relay.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace mcproxy::proxy {

class SessionManager {
 public:
  SessionManager(boost::asio::any_io_executor executor, const config::Config& config,
                 const middleware::Plan& plan, Relay& relay, std::shared_ptr<Aggregator> shared);

  // Nullptr when maxSessions is reached. The session belongs to `identity` on `endpoint` (a
  // path) and sees `profile`.
  std::shared_ptr<DownstreamSession> create(Identity identity = {}, std::string endpoint = {},
                                            std::string profile = {},
                                            SessionTransport transport = SessionTransport::streamable_http);
  // A session for one request of the stateless era (DownstreamSession::begin_stateless): in no
  // table and not counted against maxSessions; it sees the shared catalogue (servers in
  // per-client mode need an initialize-era session). End it with end_stateless().
  std::shared_ptr<DownstreamSession> create_stateless(const mcp::ModernEnvelope& envelope, Identity identity,
                                                      std::string endpoint, std::string profile);
  void end_stateless(DownstreamSession& session);
  // Any session by id (the proxy's own uses).
  std::shared_ptr<DownstreamSession> find(const std::string& id);
  // A session as a client may reach it: only with the identity that created it and on its
  // own endpoint; anything else is "not found", as for an id that never existed (so a leaked
  // id is useless to another identity). `mismatch` tells the caller which case it was.
  std::shared_ptr<DownstreamSession> find_for(const std::string& id, const Identity& identity,
                                              std::string_view endpoint, bool* mismatch = nullptr);
  // On initialize: attaches the session's catalogue (starting its per-client backends).
  // `client_capabilities` are what it declared (per-client backends are initialized with them).
  boost::asio::awaitable<void> attach_catalogue(DownstreamSession& session,
                                                const boost::json::object& client_capabilities);
  // Ends a session: its requests are cancelled, its per-client backends stopped.
  void end(const std::string& id, std::string_view why);
  // Cancels every request in flight in every session (shutdown, once the grace period is over).
  void cancel_all(mcp::Cancellation::Reason why);
  boost::asio::awaitable<void> end_all();
  void expire_idle();

  std::size_t size() const noexcept { return sessions_.size(); }
  const std::unordered_map<std::string, std::shared_ptr<DownstreamSession>>& all() const noexcept { return sessions_; }
  std::size_t requests_in_flight() const noexcept;
  std::size_t per_client_instances(const std::string& server) const;
  const std::shared_ptr<Aggregator>& shared() const noexcept { return shared_; }
  Relay& relay() noexcept { return relay_; }

 private:
  // What a session holds on shared backends (subscriptions, its log level) is given back.
  void release(DownstreamSession& session);

  boost::asio::any_io_executor executor_;
  support::TaskGroup stopping_{executor_};  // per-client backends of ended sessions, stopping
  const config::Config& config_;
  const middleware::Plan& plan_;
  Relay& relay_;
  std::shared_ptr<Aggregator> shared_;
  bool has_per_client_ = false;
  std::unordered_map<std::string, std::shared_ptr<DownstreamSession>> sessions_;
};

// What the proxy declares upstream for shared backends: what it can honour by forwarding to
// the client whose request is in flight.
boost::json::object shared_client_capabilities();

}  // namespace mcproxy::proxy
