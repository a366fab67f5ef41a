#pragma once
// One configured MCP server as the proxy sees it: its transport (a child process today), the
// MCP client session on top (initialize, then requests), its state for /health, and a cache of
// its tools, prompts, resources and templates that list_changed invalidates. A backend that
// fails or dies is reported and left out; it never takes the proxy down.

#include "config/config.hpp"
#include "mcp/modern_envelope.hpp"
#include "mcp/jsonrpc.hpp"
#include "support/task_group.hpp"
#include "mcp/rpc_peer.hpp"
#include "mcp/methods.hpp"
#include "middleware/plan.hpp"
#include "middleware/registry.hpp"
#include "proxy/proxy_metrics.hpp"
#include "proxy/request_context.hpp"
#include "mcp/message_transport.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <deque>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

namespace mcproxy::proxy {

namespace json = boost::json;
class Relay;
class DownstreamSession;

enum class BackendState { starting, up, down, failed, disabled };
std::string_view to_string(BackendState s) noexcept;

using mcp::kAllListKinds;
using mcp::list_capability;
using mcp::list_key;
using mcp::list_method;
using mcp::ListKind;

class Backend : public std::enable_shared_from_this<Backend> {
 public:
  // `relay` routes what the backend sends back (notifications, server->client requests).
  // `owner` is set for a per-client backend: the one session it serves. `client_capabilities`
  // are declared on initialize (what the proxy can honour for the sessions it serves).
  // `client_middleware` (outermost first) wraps every request to this backend, the proxy's own
  // list refreshes included.
  Backend(boost::asio::any_io_executor executor, config::ServerConfig config, Relay* relay,
          json::object client_capabilities,
          const std::vector<middleware::Maker>& client_middleware = {},
          std::weak_ptr<DownstreamSession> owner = {});
  ~Backend();

  const std::string& name() const noexcept { return config_.name; }
  const config::ServerConfig& config() const noexcept { return config_; }
  // "<server>+" when its resources are namespaced (namespaceResources), else empty.
  const std::string& uri_prefix() const noexcept { return uri_prefix_; }
  BackendState state() const noexcept { return state_; }
  bool up() const noexcept { return state_ == BackendState::up; }
  // In the merged catalogue: up, or reconnecting right after its connection broke.
  bool listed() const noexcept { return up() || reconnecting_after_blip_; }

  // Spawns, initializes and loads the lists. Never throws: failure leaves the state `failed`
  // with last_error() saying why.
  boost::asio::awaitable<void> start();
  // `why` ends the requests still in flight ("the proxy is shutting down", a reload...).
  boost::asio::awaitable<void> stop(std::string why = "the proxy is shutting down");

  // Throws McpError: the backend's own error unchanged, or one naming this backend when it is
  // down or too slow. With a context, the request can be cancelled by the client, its progress
  // token is mapped, and what the backend sends meanwhile is attributed to it.
  boost::asio::awaitable<json::value> request(middleware::Call call, ProxyRequest& ctx);
  boost::asio::awaitable<json::value> request(mcp::Method method, json::object params, ProxyRequest& ctx) {
    return request(middleware::Call{method, std::move(params)}, ctx);
  }
  boost::asio::awaitable<json::value> request(std::string_view method, json::object params, ProxyRequest& ctx) {
    return request(middleware::Call{std::string(method), std::move(params)}, ctx);
  }
  // A request of the proxy's own (no client behind it).
  boost::asio::awaitable<json::value> request(std::string_view method, json::object params);
  void notify(std::string_view method, json::object params = {});

  const json::object& capabilities() const noexcept { return capabilities_; }
  bool has_capability(std::string_view name) const noexcept { return capabilities_.contains(name); }
  const std::string& protocol_version() const noexcept { return protocol_version_; }
  // Spoken to statelessly (2026-07-28: server/discover, the envelope on every request).
  bool modern() const noexcept { return modern_; }
  const std::string& instructions() const noexcept { return instructions_; }

  // Fetches every list that is not cached (all pages). Never throws; a list that cannot be
  // fetched is logged and treated as empty until the next invalidation.
  boost::asio::awaitable<void> load_lists();
  bool lists_loaded() const noexcept;
  const json::array& list(ListKind kind) const noexcept;
  // How long the server said its list of `kind` may be kept (ttlMs of 2026-07-28, the least of
  // its pages); 0 when it said nothing (servers of the initialize era say list_changed instead).
  std::int64_t list_ttl_ms(ListKind kind) const noexcept { return list_ttl_ms_[static_cast<int>(kind)]; }
  // What a tools/call of this server's tool `tool` (its own name) with `arguments` must carry
  // as Mcp-Param-* headers, by the tool's inputSchema (x-mcp-header).
  std::vector<mcp::ParamHeader> param_headers_of(std::string_view tool, const json::object& arguments) const;

  json::object health() const;
  // Its counters (shared by every instance of this server); null without metrics (unit tests).
  const std::shared_ptr<BackendStats>& stats() const noexcept { return stats_; }

  // A tool of this server whose definition changed and is blocked by its pin (PinGuard).
  bool tool_blocked(std::string_view tool) const;
  // Fetches the tool list again, as after the server's list_changed (a pin was approved).
  void relist_tools();

  // Bumped whenever what this backend contributes to the catalogue may have changed (it came
  // up, went down, or sent list_changed); aggregators rebuild when it moved.
  std::uint64_t generation() const noexcept { return generation_; }
  const std::vector<ProxyRequest*>& in_flight_requests() const noexcept { return in_flight_; }
  std::shared_ptr<DownstreamSession> owner() const { return owner_.lock(); }
  bool per_client() const noexcept { return config_.session_mode == config::SessionMode::per_client; }
  // Subscriptions of all sessions to one URI share the upstream one (shared mode): it is
  // unsubscribed upstream only when the last session leaves. Return the new count.
  int add_subscriber(const std::string& uri) { return ++subscribers_[uri]; }
  int remove_subscriber(const std::string& uri);
  int subscribers(const std::string& uri) const;
  // A session ended (or unsubscribed) without a request to answer: drops its share of the
  // subscription and unsubscribes upstream when it was the last one.
  void release_subscription(const std::string& uri);

  // Tasks created through this backend and the session that owns each: a client never sees or
  // touches another client's task. Bounded (the oldest are forgotten first).
  void remember_task(std::string task_id, std::string session_id);
  // The owning session's id; empty when the task is unknown.
  std::string task_owner(std::string_view task_id) const;

  // logging/setLevel per session (shared mode): upstream gets the most verbose level a session
  // still wants; each session then receives only what it asked for. Returns the level to send
  // upstream now, or empty when it did not change.
  std::string set_session_log_level(const std::string& session_id, std::string level);
  void forget_session(const std::string& session_id);
  const std::string& upstream_log_level() const noexcept { return upstream_log_level_; }

 private:
  class Upstream;
  std::shared_ptr<mcp::MessageTransport> make_transport();
  // A new transport and peer with this backend's handlers (not started).
  void open_transport();
  // --- the era (backend_era.cpp) ---
  enum class Probe { modern, legacy, closed };
  // server/discover with the modern envelope: modern (capabilities, server info and
  // instructions taken from its answer), legacy (an error or a non-modern answer; a timeout
  // on stdio, where some legacy servers ignore what comes before initialize), or closed (the
  // server went away on it: a legacy server that exits on unknown requests).
  boost::asio::awaitable<Probe> probe_era();
  // initialize and notifications/initialized (the initialize era): version, capabilities,
  // server info and instructions from its answer. Throws std::runtime_error or McpError.
  boost::asio::awaitable<void> initialize_upstream();
  // The envelope of one modern request: protocol version, the capabilities the proxy declares
  // upstream, its client info, and the log level of the client behind it, if any.
  json::object modern_envelope(const ProxyRequest* ctx) const;
  // Readies `params` of a request to a modern backend (the envelope in _meta). A method the
  // era has not: logging/setLevel is answered here (the level travels in each request's
  // envelope); others throw McpError. Returns a result when answered here.
  std::optional<json::value> prepare_modern(const std::string& method, json::object& params,
                                            const ProxyRequest* ctx);
  // The Mcp-Param-* headers of a tools/call to a modern HTTP backend: mirrored from the
  // arguments its own schema marks, and the client's others forwarded as they came.
  std::vector<std::pair<std::string, std::string>> upstream_param_headers(const json::object& params,
                                                                          const ProxyRequest* ctx) const;
  // The bridge for an initialize-era client: a modern backend's input_required result becomes
  // requests to that client (through this backend's client middleware and the Relay), and the
  // request goes again with its answers as inputResponses and the server's requestState, under
  // a new id, until the server completes it (a bounded number of rounds).
  boost::asio::awaitable<json::value> answer_input_required(const std::string& method, json::object params,
                                                            json::value result, ProxyRequest& ctx);
  // One attempt: (re)start the transport, initialize, load the lists. False on failure.
  boost::asio::awaitable<bool> connect_once();
  void schedule_reconnect(bool immediate = false);
  // Waits until the backend is up again (or the deadline, or no reconnection is under way).
  boost::asio::awaitable<bool> wait_until_up(std::chrono::steady_clock::time_point deadline);
  void start_health_checks();
  // A 2026-07-28 server tells its list changes only on a subscriptions/listen stream: one is
  // kept open while it is up (backend_era.cpp), and what it carries is handled like any
  // notification of the server (the catalogue is refreshed, clients are told).
  void start_listening();
  // The innermost service: in-flight tracking, progress mapping, the wire.
  boost::asio::awaitable<json::value> send_upstream(middleware::Call call, ProxyRequest* ctx);
  void on_closed(std::string reason);
  void on_notification(mcp::Message message);
  boost::asio::awaitable<json::value> on_server_request(mcp::Message message);
  void set_state(BackendState state, std::string error = {});
  void catalogue_changed(std::initializer_list<ListKind> kinds);

  boost::asio::any_io_executor executor_;
  std::shared_ptr<BackendStats> stats_;
  config::ServerConfig config_;
  BackendState state_ = BackendState::starting;
  std::string last_error_;
  std::shared_ptr<mcp::MessageTransport> transport_;
  std::shared_ptr<mcp::RpcPeer> peer_;
  json::object capabilities_;
  json::object server_info_;
  std::string protocol_version_;
  std::string instructions_;
  std::array<std::optional<json::array>, 4> lists_;
  std::array<std::int64_t, 4> list_ttl_ms_{};
  std::array<std::uint64_t, 4> list_loads_{};  // bumped by every load: a refresh of an old one stops
  // One page after another: the items and the least ttlMs (0: none said). Throws McpError.
  boost::asio::awaitable<std::pair<json::array, std::int64_t>> fetch_list(ListKind kind);
  // Fetches the list again when its ttlMs runs out, and says list_changed only if it moved.
  void refresh_when_expired(ListKind kind);
  Relay* relay_;
  json::object client_capabilities_;
  std::weak_ptr<DownstreamSession> owner_;
  std::uint64_t generation_ = 0;
  std::vector<ProxyRequest*> in_flight_;
  std::unordered_map<std::string, int> subscribers_;
  std::string uri_prefix_;
  std::unordered_map<std::string, std::string> task_owners_;  // task id -> session id
  std::deque<std::string> task_order_;                         // oldest first, for the bound
  std::unordered_map<std::string, std::string> log_levels_;    // session id -> level
  std::string upstream_log_level_;                             // last sent upstream
  // A 2026-07-28 server: the URIs its listen stream follows (resources/subscribe of clients,
  // counted in subscribers_), and the cancellation of the listen request out now, so that a
  // change of the set opens it again.
  std::set<std::string> listened_uris_;
  std::shared_ptr<mcp::Cancellation> listen_cancel_;
  // After a reconnect: re-subscribe, restore the log level (the new upstream session has none).
  boost::asio::awaitable<void> restore_session_state();
  // A request nobody waits for (releasing a subscription, relaxing the log level).
  void spawn_request(std::string method, json::object params);
  // Resilience: each connection gets an epoch, so callbacks of an old one are ignored.
  std::uint64_t epoch_ = 0;
  bool stopping_ = false;
  bool ever_up_ = false;
  bool reconnect_pending_ = false;
  bool connecting_ = false;  // connect_once() is running
  // The connection broke while up and the immediate reconnect is under way: the catalogue is
  // kept and calls wait for it, until that attempt ends.
  bool reconnecting_after_blip_ = false;
  bool loading_lists_ = false;
  bool modern_ = false;
  bool legacy_verdict_ = false;  // it closed on the era probe: initialize only, from now on
  int attempts_ = 0;  // failed attempts since the last success
  int failed_pings_ = 0;
  std::uint64_t reconnects_ = 0;
  std::chrono::system_clock::time_point next_attempt_;
  boost::asio::steady_timer state_changed_;  // cancelled on every state change
  // Background work bounded by this backend's life: the reconnect attempt, the health checks,
  // requests it sends on its own (restoring subscriptions). stop() cancels and waits for them.
  support::TaskGroup tasks_;
  std::unique_ptr<middleware::Pipeline> chain_;  // this backend's client middleware
  std::chrono::system_clock::time_point state_since_ = std::chrono::system_clock::now();
};

// Starts (or stops) every backend concurrently and returns when all are done; `on_started` is
// called as each one finishes starting (start-up progress).
boost::asio::awaitable<void> start_all(const std::vector<std::shared_ptr<Backend>>& backends,
                                       std::function<void(Backend&)> on_started = {});
boost::asio::awaitable<void> stop_all(const std::vector<std::shared_ptr<Backend>>& backends,
                                      std::string why = "the proxy is shutting down");

}  // namespace mcproxy::proxy
