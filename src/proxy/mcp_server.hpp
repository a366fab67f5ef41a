#pragma once
// The proxy's MCP server side, independent of the downstream transport: takes one parsed
// message from a session, answers initialize and ping itself, and sends everything else to the
// session's aggregator with a ProxyRequest (cancellation, progress, related stream). Errors
// become JSON-RPC error responses here (one of the two places where exceptions turn into
// protocol errors).
//
// Each request runs as a child coroutine bound to its ProxyRequest's cancellation slot, so a
// cancel reaches every wait on its way. A request its client cancelled (or whose client went
// away) gets no response at all; one cancelled because MCProxy is stopping gets -32003.
//
// Lists are served from the session's aggregator's cache when every proxy middleware says its
// answer to that list is pure (Middleware::list_is_pure): the result is serialized once per
// catalogue, protocol version, pipeline and page, and each later request only splices its id
// in front of those bytes.

#include "mcp/jsonrpc.hpp"
#include "middleware/plan.hpp"
#include "proxy/aggregator.hpp"
#include "proxy/client_stream.hpp"
#include "proxy/downstream_session.hpp"
#include "proxy/input_bridge.hpp"
#include "proxy/proxy_metrics.hpp"
#include "proxy/session_manager.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <optional>

namespace mcproxy::proxy {

class McpServer {
 public:
  // `proxy_middleware` (outermost first) wraps every request after initialize.
  McpServer(SessionManager& sessions, const std::vector<middleware::Maker>& proxy_middleware);
  // Hot reload: requests already running keep the chain they started with.
  void set_proxy_middleware(const std::vector<middleware::Maker>& proxy_middleware);

  // Returns the response for a request, serialized; nothing for a notification or response.
  // `stream`, if set, carries messages related to this request (progress, sampling...) before
  // the response. `traceparent` is the HTTP header of that name, if any (else the message's
  // _meta.traceparent is continued, or a trace started).
  boost::asio::awaitable<std::optional<std::string>> handle(
      std::shared_ptr<DownstreamSession> session, mcp::Message message, ClientStream* stream,
      std::string_view traceparent = {});

 // The proxy middleware a session's requests go through (shared, or its own when a layer
  // is per session).
  std::shared_ptr<const middleware::Pipeline> pipeline_for(DownstreamSession& session);

  // Requests being handled, and a wait for there to be none (shutdown's grace period): true
  // when none is left, false at the deadline. Woken by the last request ending, not polled.
  std::size_t requests_in_flight() const noexcept { return in_flight_; }
  boost::asio::awaitable<bool> drain(std::chrono::steady_clock::time_point deadline);

  // The era bridge for stateless clients in front of servers that ask them things (set by the
  // Proxy; without it such a question fails with a reason).
  void set_bridge(std::shared_ptr<InputBridge> bridge) { bridge_ = std::move(bridge); }
  InputBridge* bridge() const noexcept { return bridge_.get(); }

 private:
  // One request, start to end: the regular path every request takes (the bridge wraps it).
  boost::asio::awaitable<std::optional<std::string>> respond(std::shared_ptr<DownstreamSession> session,
                                                             mcp::Message message, ClientStream* stream,
                                                             std::string traceparent);
  struct SessionPipeline {
    std::shared_ptr<const middleware::Pipeline> pipeline;
    std::uint64_t generation = 0;
  };
  boost::asio::awaitable<json::value> dispatch(DownstreamSession& session, middleware::Call call,
                                               ProxyRequest& ctx);
  boost::asio::awaitable<json::value> initialize(DownstreamSession& session,
                                                 const json::object& params);
  // subscriptions/listen of a stateless client: acknowledged with what is honoured, then the
  // chosen list changes and resource updates on the request's stream until it is closed.
  boost::asio::awaitable<json::value> listen(DownstreamSession& session, const json::object& params,
                                             ProxyRequest& ctx);
  void on_notification(DownstreamSession& session, const mcp::Message& message);
  // The list-cache key of this request, or empty when it may not be cached.
  std::string list_cache_key(DownstreamSession& session, const middleware::Call& call);
  // Counts the request and tells the live feed (when the Proxy set them up).
  void observe(const DownstreamSession& session, const ProxyRequest& ctx, mcp::Method method,
               const std::string& method_name, const std::string& name, Outcome outcome);

  SessionManager& sessions_;
  std::vector<middleware::Maker> makers_;
  std::shared_ptr<const middleware::Pipeline> pipeline_;
  std::uint64_t pipeline_generation_ = 0;
  std::uint64_t next_correlation_id_ = 1;
  std::size_t in_flight_ = 0;
  boost::asio::steady_timer* drain_waiter_ = nullptr;  // set while drain() waits
  std::shared_ptr<InputBridge> bridge_;
};

}  // namespace mcproxy::proxy
