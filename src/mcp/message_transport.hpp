#pragma once
// What an upstream MCP session (RpcPeer) needs from a transport: send one serialized JSON-RPC
// message, hear about each message received and about the end of the connection. Declared
// here, by the message layer that uses it, so mcp/ depends on no transport; the stdio child,
// the Streamable HTTP and the legacy SSE clients in transport/ implement it.

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>
#include <string_view>

namespace mcproxy::mcp {

class MessageTransport {
 public:
  virtual ~MessageTransport() = default;

  // Connects or spawns. Throws std::runtime_error with a message a user can act on.
  virtual boost::asio::awaitable<void> start() = 0;
  // Queues one message (no trailing newline); never blocks.
  virtual void send(std::string message) = 0;
  // What a transport with headers (HTTP) mirrors from a request's body, taken by the peer before
  // it serialized the request (so the body is never parsed again): the W3C trace context, and
  // for the stateless era (2026-07-28) the version of its envelope, its method and Mcp-Name
  // (already in header form). The others have it all in the message only.
  struct RequestHeaders {
    std::string traceparent;
    std::string protocol_version;  // empty: not a request of the stateless era
    std::string method;
    std::string name;
    // Mcp-Param-<name>: value, in header form (SEP-2243), for a tools/call.
    std::vector<std::pair<std::string, std::string>> params;
  };
  virtual void send_request(std::string message, const RequestHeaders& headers) {
    (void)headers;
    send(std::move(message));
  }
  // Ends the connection gracefully within bounded time; idempotent.
  virtual boost::asio::awaitable<void> shutdown() = 0;
  // Human-readable details for /health (e.g. the pid of a child).
  virtual long pid() const noexcept { return 0; }
  // Called once initialize succeeded, with the protocol version of this hop (HTTP sends it
  // on every later request and may open its GET stream then).
  // (Not called for a server of the stateless era: no session, no GET stream.)
  virtual void negotiated(std::string_view protocol_version) {}

  // Set before start(). on_message gets each complete message; on_closed is called once when
  // the connection ends for any reason other than shutdown(), with a reason for the logs.
  std::function<void(std::string_view)> on_message;
  std::function<void(std::string)> on_closed;
  // Whether the response to the request with this id is still awaited (set by the peer): a
  // transport that knows an exchange ended without it can fail that request at once.
  std::function<bool(std::int64_t)> awaiting;
};

}  // namespace mcproxy::mcp
