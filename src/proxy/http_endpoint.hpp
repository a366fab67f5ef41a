#pragma once
// Streamable HTTP, the downstream side (MCP-DIGEST §4): POST /mcp carries one JSON-RPC message
// (or a 2025-03-26 batch) and gets JSON or an SSE stream back; 202 for notifications and
// responses; sessions with a random Mcp-Session-Id, ended by DELETE or idleness (then 404);
// MCP-Protocol-Version checked; Host and Origin validated against DNS rebinding; GET /health.

#include "config/config.hpp"
#include "proxy/aggregator.hpp"
#include "proxy/downstream_session.hpp"
#include "proxy/mcp_server.hpp"
#include "transport/http_server.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

namespace mcproxy::proxy {

class HttpEndpoint {
 public:
  HttpEndpoint(McpServer& server, Aggregator& aggregator, config::HttpServerConfig config);

  boost::asio::awaitable<void> handle(transport::HttpRequest& request,
                                      transport::HttpExchange& exchange);
  std::size_t session_count() const noexcept { return sessions_.size(); }
  // The port actually bound (for messages when port 0 was asked for).
  void set_bound_port(unsigned short port) noexcept { bound_port_ = port; }

 private:
  boost::asio::awaitable<void> handle_post(transport::HttpRequest& request,
                                           transport::HttpExchange& exchange);
  boost::asio::awaitable<void> handle_delete(transport::HttpRequest& request,
                                             transport::HttpExchange& exchange);
  transport::HttpResponse health() const;
  bool host_allowed(std::string_view host) const;
  bool origin_allowed(std::string_view origin) const;
  void expire_idle_sessions();
  std::shared_ptr<DownstreamSession> create_session();

  McpServer& server_;
  Aggregator& aggregator_;
  config::HttpServerConfig config_;
  bool loopback_only_;
  unsigned short bound_port_ = 0;
  std::unordered_map<std::string, std::shared_ptr<DownstreamSession>> sessions_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// 128 bits from the kernel's CSPRNG, as 32 hex characters (visible ASCII, as the spec asks).
std::string new_session_id();

}  // namespace mcproxy::proxy
