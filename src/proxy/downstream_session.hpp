#pragma once
// One downstream client: the protocol version negotiated on this hop, its capabilities, its
// requests in flight (for cancellation), its subscriptions, the requests the proxy sent it on
// behalf of backends (sampling, elicitation, roots) and the standalone stream for messages not
// tied to a request (list_changed, resources/updated...). HTTP keys sessions by Mcp-Session-Id;
// stdio has exactly one.

#include "mcp/jsonrpc.hpp"
#include "mcp/modern_envelope.hpp"
#include "mcp/pending_requests.hpp"
#include "proxy/client_stream.hpp"
#include "proxy/identity.hpp"
#include "proxy/proxy_metrics.hpp"
#include "middleware/context.hpp"
#include "proxy/request_context.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace mcproxy::proxy {

class Aggregator;
class Backend;

// The proxy's side of one client session; what middleware may see of it is the
// middleware::Session interface it implements.
class DownstreamSession final : public middleware::Session,
                                public std::enable_shared_from_this<DownstreamSession> {
 public:
  explicit DownstreamSession(boost::asio::any_io_executor executor, std::string id);

  // middleware::Session
  const std::string& id() const noexcept override { return id_; }
  std::string label() const override { return id_.size() > 8 ? id_.substr(0, 8) : id_; }
  const std::string& identity() const noexcept override { return identity_.name; }
  const std::string& profile() const noexcept override { return profile_; }
  const std::string& protocol_version() const noexcept override { return protocol_version_; }
  bool closed() const noexcept override { return closed_; }
  const std::string& languages() const noexcept override { return languages_; }
  // Bounded: a header is the client's input.
  void set_languages(std::string_view value) { languages_ = std::string(value.substr(0, 256)); }
  void notify(std::string_view method, boost::json::object params) override;
  std::string server_of(middleware::NameKind kind, std::string_view name) const override;

  boost::asio::any_io_executor executor() const { return executor_; }

  // --- who owns it ---
  // Set once at creation: the identity that created it, the endpoint (path) it belongs to and
  // the profile it sees. A request with another identity or on another endpoint is told the
  // session does not exist (SessionManager::find).
  void bind(Identity identity, std::string endpoint, std::string profile) {
    identity_ = std::move(identity);
    endpoint_ = std::move(endpoint);
    profile_ = std::move(profile);
  }
  const Identity& owner() const noexcept { return identity_; }
  const std::string& endpoint() const noexcept { return endpoint_; }

  // --- the handshake ---
  // Throws McpError (-32600) when initialize was already seen or is being handled: a second
  // one must not start a second set of per-client backends.
  void begin_initialize();
  void complete_initialize(std::string protocol_version, boost::json::object client_capabilities,
                           boost::json::object client_info);
  // A failed initialize may be tried again (unless per-client backends were started for it).
  void abandon_initialize() noexcept { initializing_ = own_backends.empty() ? false : initializing_; }
  bool initialize_seen() const noexcept { return initialize_seen_; }
  void set_initialized() noexcept { initialized_ = true; }
  bool initialized() const noexcept { return initialized_; }  // notifications/initialized came
  const boost::json::object& client_capabilities() const noexcept { return client_capabilities_; }

  // --- the stateless era (2026-07-28) ---
  // A session made for one modern request: version, capabilities and log level come from the
  // request's own envelope. It is in no table, its id is never shown to the client, and it ends
  // with the request; it has no stream of its own (unsolicited messages are dropped) and cannot
  // send the client requests (that era has none) except through the era bridge.
  void begin_stateless(const mcp::ModernEnvelope& envelope);
  bool stateless() const noexcept { return stateless_; }
  // The era bridge (InputBridge): while set, a request to this stateless session's client is
  // handed to it (to go out in an input_required result) and awaited like any other; without
  // it such a request fails. `held` keeps the session open past the HTTP exchange or stdio
  // line that created it, while its request waits for the client's retry.
  std::function<void(std::int64_t id, std::string_view method, const boost::json::object& params)> input_sink;
  bool held = false;
  bool awaiting_retry = false;  // held, and no exchange of the client waits on it now
  // A stateless request's Mcp-Param-* headers as they came (bounded): checked against the
  // tool's schema at the edge; those its server does not declare are forwarded as they are.
  std::vector<mcp::ParamHeader> param_headers;
  // subscriptions/listen: the stateless session of that request hears, on the request's own
  // stream (direct_stream), the list changes it chose and the updates of the resources it
  // subscribed to, each tagged with the listen request's id.
  struct Listen {
    boost::json::value id;  // the subscriptionId
    bool tools = false, prompts = false, resources = false;
  };
  std::optional<Listen> listening;
  const boost::json::object& client_info() const noexcept { return client_info_; }

  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  const std::chrono::steady_clock::time_point created_at = std::chrono::steady_clock::now();
  SessionTransport transport = SessionTransport::streamable_http;  // how the client reached it
  // The catalogue this session sees: the proxy's shared one, or its own when some backends run
  // one upstream session per client.
  std::shared_ptr<Aggregator> aggregator;

  bool has_client_capability(std::string_view name) const { return client_capabilities_.contains(name); }
  // Ends the session: pending client requests fail, in-flight requests are cancelled (for
  // `why`: the client went away, or MCProxy is stopping), the standalone stream ends.
  void close(mcp::Cancellation::Reason why = mcp::Cancellation::Reason::disconnected);
  // Cancels every request in flight, leaving the session open (shutdown, after the grace).
  void cancel_all(mcp::Cancellation::Reason why);

  // --- requests from the client that are in flight ---
  void add_in_flight(ProxyRequest& ctx);
  void remove_in_flight(const ProxyRequest& ctx);
  // notifications/cancelled from the client (or its stream closed). False if no such request
  // is in flight.
  bool cancel(const boost::json::value& request_id,
              mcp::Cancellation::Reason why = mcp::Cancellation::Reason::client);
  std::size_t in_flight() const noexcept { return in_flight_.size(); }

  // --- requests to the client (on behalf of a backend) ---
  // Sends `method` to the client on `via` (or the standalone stream) and awaits its answer.
  // Throws McpError: the client's error unchanged, or a timeout / session ended.
  boost::asio::awaitable<boost::json::value> request_client(ClientStream* via, std::string_view method,
                                                            boost::json::object params,
                                                            std::chrono::milliseconds timeout);
  // A response the client sent. False if nothing waits for it.
  bool deliver_response(mcp::Message response) { return pending_.complete(std::move(response)); }

  // --- messages not tied to a request ---
  void send_unsolicited(const boost::json::object& message);
  struct Event {
    std::uint64_t id;
    std::shared_ptr<const std::string> data;  // serialized JSON-RPC message
  };
  // The oldest event after `after_id` still kept (bounded backlog, for the GET stream and its
  // resumption), as a copy: a writer holds it across its write while new events evict old ones.
  std::optional<Event> event_after(std::uint64_t after_id) const;
  std::uint64_t delivered_upto = 0;  // highest event id written to a standalone stream
  std::uint64_t next_event_id() noexcept { return ++event_counter_; }
  // The GET stream (or stdout) waits on this for new events; cancelled when one is queued.
  boost::asio::steady_timer& standalone_signal() noexcept { return standalone_signal_; }
  bool standalone_attached = false;
  // When set (stdio), unsolicited messages go straight to it instead of the backlog.
  ClientStream* direct_stream = nullptr;

  // --- subscriptions (resources/subscribe), by the URI the client used ---
  struct Subscription {
    std::weak_ptr<Backend> backend;  // which backend holds the upstream subscription
    std::string backend_uri;         // the URI it knows (without a namespace prefix)
  };
  std::unordered_map<std::string, Subscription> subscriptions;
  // Whether an update of `uri` from `backend` is for this session: a subscription to that URI,
  // or to a resource it is a sub-resource of ("file:///dir/" covers "file:///dir/a.txt").
  bool subscribed_to(const Backend& backend, std::string_view uri) const;

  // logging/setLevel of this client; empty until it sets one (then it gets that and above).
  std::string log_level;
  // Per-client backends of this session (also while they start, so that ending the session
  // stops them whatever their state).
  std::vector<std::shared_ptr<Backend>> own_backends;


 private:
  boost::asio::any_io_executor executor_;
  std::string id_;
  bool closed_ = false;
  std::unordered_map<std::string, ProxyRequest*> in_flight_;  // key: serialized client id
  Identity identity_;
  std::string endpoint_;
  std::string profile_;
  std::string languages_;
  std::string protocol_version_;
  boost::json::object client_capabilities_;
  boost::json::object client_info_;
  bool initialize_seen_ = false;
  bool stateless_ = false;
  bool initializing_ = false;
  bool initialized_ = false;
  mcp::PendingRequests pending_;
  std::deque<Event> backlog_;
  std::uint64_t event_counter_ = 0;
  boost::asio::steady_timer standalone_signal_;
};

}  // namespace mcproxy::proxy
