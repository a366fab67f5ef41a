#pragma once
// One JSON-RPC connection seen from the side that sends requests (the proxy toward a backend):
// numbers outgoing requests, matches responses to them, enforces a deadline per request, and
// hands incoming requests and notifications to handlers. Transport-agnostic: it only needs a
// MessageTransport. A cancelled request (see Cancellation) and a timed-out one both send
// `notifications/cancelled` to the peer; a late response is dropped.

#include "mcp/cancellation.hpp"
#include "mcp/jsonrpc.hpp"
#include "mcp/pending_requests.hpp"
#include "mcp/message_transport.hpp"
#include "support/metrics.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace mcproxy::mcp {

class RpcPeer : public std::enable_shared_from_this<RpcPeer> {
 public:
  using RequestHandler = std::function<boost::asio::awaitable<json::value>(Message)>;
  using NotificationHandler = std::function<void(Message)>;

  RpcPeer(boost::asio::any_io_executor executor, MessageTransport& transport,
          std::string name);

  // Connects this peer to the transport's message callback.
  void attach();

  // Sends a request and waits for its result. Throws McpError: the peer's own error unchanged,
  // kRequestTimeout after `timeout` or when cancelled, kBackendUnavailable if the connection
  // closes first.
  // `limit_name` names the setting behind `timeout` in the error message.
  boost::asio::awaitable<json::value> request(std::string_view method, json::object params,
                                              std::chrono::milliseconds timeout,
                                              Cancellation* cancellation = nullptr,
                                              std::string_view limit_name = "requestTimeoutMs",
                                              std::vector<std::pair<std::string, std::string>> param_headers = {});
  void notify(std::string_view method, json::object params = {});

  // Fails every request in flight at once (the connection is gone) and refuses new ones.
  void close(std::string reason);
  bool closed() const noexcept { return closed_; }
  std::size_t in_flight() const noexcept { return pending_.size(); }

  // Bytes of every message sent and received are added to these (metrics; may be null).
  void count_traffic(std::shared_ptr<support::Counter> in, std::shared_ptr<support::Counter> out) {
    bytes_in_ = std::move(in);
    bytes_out_ = std::move(out);
  }

  RequestHandler on_request;            // server -> client requests (sampling, roots, ping...)
  NotificationHandler on_notification;  // server -> client notifications

 private:
  void on_message(std::string_view text);
  void dispatch_request(Message message);
  // To the transport, counted (requests go with their headers, see request()).
  void send(std::string message);
  // What of a request's body an HTTP transport mirrors into headers (MessageTransport).
  static MessageTransport::RequestHeaders headers_of(std::string_view method, const json::object& params);

  boost::asio::any_io_executor executor_;
  MessageTransport& transport_;
  std::string name_;
  PendingRequests pending_;
  bool closed_ = false;
  std::string close_reason_;
  std::shared_ptr<support::Counter> bytes_in_, bytes_out_;
};

}  // namespace mcproxy::mcp
