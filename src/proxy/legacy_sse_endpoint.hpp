#pragma once
// The legacy HTTP+SSE downstream transport (protocol 2024-11-05, MCP-DIGEST §4.7), served next
// to Streamable HTTP for clients that speak nothing newer (older SDKs, IDE plugins):
//   GET /sse                     opens a session and its one SSE stream. The first event is
//                                `endpoint` with the relative URL to POST to, then every
//                                message for the session follows as an `event: message`:
//                                responses, related and unsolicited notifications, requests to
//                                the client (sampling, elicitation, roots). Keep-alive comments
//                                every 15 s. Closing the stream ends the session.
//   POST /messages?sessionId=ID  one JSON-RPC message from the client, answered 202 at once;
//                                its response (if any) goes out on the session's SSE stream.
// The paths are fixed (the SDKs' convention). HttpEndpoint routes them here after its Host and
// Origin checks; the body limit is the HTTP server's.

#include "proxy/client_stream.hpp"
#include "proxy/mcp_server.hpp"
#include "proxy/edge_access.hpp"
#include "proxy/session_manager.hpp"
#include "transport/http_server.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mcproxy::proxy {

class LegacySseEndpoint {
 public:
  static constexpr std::string_view kSsePath = "/sse";
  static constexpr std::string_view kMessagesPath = "/messages";

  LegacySseEndpoint(McpServer& server, SessionManager& sessions);
  ~LegacySseEndpoint();

  static bool serves(std::string_view path) noexcept {
    return path == kSsePath || path == kMessagesPath;
  }
  // `caller` (admitted by HttpEndpoint) owns the session a GET /sse creates; POST /messages
  // reaches only a session of the same caller.
  boost::asio::awaitable<void> handle(transport::HttpRequest& request,
                                      transport::HttpExchange& exchange, const Caller& caller);
  // Refuses new streams and wakes the open ones so that they end (shutdown).
  void stop() noexcept;

 private:
  class Connection;

  boost::asio::awaitable<void> handle_sse(transport::HttpRequest& request,
                                          transport::HttpExchange& exchange, const Caller& caller);
  boost::asio::awaitable<void> handle_message(transport::HttpRequest& request,
                                              transport::HttpExchange& exchange, const Caller& caller);

  McpServer& server_;
  SessionManager& sessions_;
  bool stopping_ = false;
  // Open SSE streams by session id: only these sessions accept POST /messages.
  std::unordered_map<std::string, std::shared_ptr<Connection>> connections_;
};

}  // namespace mcproxy::proxy
