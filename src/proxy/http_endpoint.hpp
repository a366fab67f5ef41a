#pragma once
// Streamable HTTP, the downstream side (MCP-DIGEST §4):
//   POST /mcp   one JSON-RPC message (or a 2025-03-26 batch). A request is answered with JSON,
//               or, as soon as something related must reach the client first (progress,
//               sampling, elicitation, logging), with an SSE stream that ends with the response.
//               Notifications and responses get 202. A client that closes the stream cancels
//               its request.
//   GET /mcp    the standalone SSE stream for messages not tied to a request (list_changed,
//               resources/updated...), one per session, resumable with Last-Event-ID,
//               keep-alive comments when idle.
//   DELETE /mcp ends the session.
//   GET /health JSON state of every backend (details only for an admin, or on loopback with
//               no auth).
//   GET /metrics  Prometheus text (metrics_exposition.hpp): a bearer with the metrics or admin
//               role, or loopback without auth.
//   /ui         the dashboard and its API (Dashboard), on the core.
//   GET /.well-known/oauth-protected-resource[<endpoint>]  RFC 9728 metadata (with auth).
//   /mcp/<profile>  a profile's own endpoint (the same protocol, its own sessions).
//   GET /sse, POST /messages   the legacy HTTP+SSE transport (2024-11-05): LegacySseEndpoint.
// With `auth`, every MCP request carries a bearer credential (Authenticator), checked on the
// connection's strand; a missing or bad one gets 401 with WWW-Authenticate naming the
// metadata. A session belongs to the identity and endpoint that created it: with any other
// it is "not found" (404).
// Sessions have a random Mcp-Session-Id (404 once ended); MCP-Protocol-Version is checked;
// Host and Origin are validated against DNS rebinding (OriginPolicy); /health is HealthReport.
//
// handle() starts on the connection's strand, where it checks the request and parses a POST
// body; what needs sessions or backends then runs on the core executor (on_core), with the
// connection's coroutine waiting. Only immutable members are read on the connection's strand.

#include "config/config.hpp"
#include "proxy/dashboard.hpp"
#include "proxy/edge_access.hpp"
#include "proxy/health.hpp"
#include "proxy/legacy_sse_endpoint.hpp"
#include "proxy/mcp_server.hpp"
#include "proxy/origin_policy.hpp"
#include "proxy/session_manager.hpp"
#include "transport/http_server.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace mcproxy::proxy {

class HttpEndpoint {
 public:
  void set_config_status(const ConfigStatus* status) noexcept {
    config_status_ = status;
    dashboard_.set_config_status(status);
  }
  HttpEndpoint(McpServer& server, SessionManager& sessions, const config::Config& config,
               boost::asio::any_io_executor core);

  boost::asio::awaitable<void> handle(transport::HttpRequest& request,
                                      transport::HttpExchange& exchange);
  // Reload: the new allowedHosts / allowedOrigins (connections already checked keep theirs).
  void set_policy(const config::HttpServerConfig& http) {
    policy_.store(std::make_shared<const OriginPolicy>(http));
  }
  void set_access(std::shared_ptr<const EdgeAccess> access) { access_.store(std::move(access)); }
  // Ends open GET streams (shutdown).
  void stop() noexcept {
    stopping_ = true;
    legacy_.stop();
    dashboard_.stop();
  }

 private:
  // Runs `work` on the core with the exchange (its DisconnectWatch, its PostStream) there.
  boost::asio::awaitable<void> on_core(transport::HttpExchange& exchange,
                                       std::function<boost::asio::awaitable<void>()> work);
  // The caller of an MCP request: authenticated when auth is on (nullopt: refused, answered).
  boost::asio::awaitable<std::optional<Caller>> admit(transport::HttpRequest& request,
                                                      transport::HttpExchange& exchange, const EdgeAccess& access,
                                                      std::string endpoint, std::string profile);
  boost::asio::awaitable<void> handle_health(transport::HttpRequest& request, transport::HttpExchange& exchange,
                                             const EdgeAccess& access);
  // GET /metrics: with auth, a bearer with the "metrics" or "admin" role; without, loopback only.
  boost::asio::awaitable<void> handle_metrics(transport::HttpRequest& request, transport::HttpExchange& exchange,
                                              const EdgeAccess& access);
  transport::HttpResponse resource_metadata(const EdgeAccess& access, std::string_view endpoint) const;
  boost::asio::awaitable<void> handle_post(transport::HttpRequest& request,
                                           transport::HttpExchange& exchange, const Caller& caller);
  boost::asio::awaitable<void> serve_post(transport::HttpRequest& request, transport::HttpExchange& exchange,
                                          const Caller& caller,
                                          std::vector<mcp::Message>& messages,
                                          std::vector<boost::json::object>& immediate_errors, bool batch,
                                          bool json_ok, bool sse_ok);
  // One request of the stateless era (http_modern.cpp): envelope and headers checked, served on
  // a session that lives as long as the request.
  boost::asio::awaitable<void> serve_modern(transport::HttpRequest& request, transport::HttpExchange& exchange,
                                            const Caller& caller, mcp::Message& message, bool json_ok,
                                            bool sse_ok);
  // Serves `messages` on `session`, answering on the POST: as JSON, or as an event stream that
  // carries their related messages first.
  boost::asio::awaitable<void> answer_on_stream(transport::HttpRequest& request, transport::HttpExchange& exchange,
                                                std::shared_ptr<DownstreamSession> session,
                                                std::vector<mcp::Message>& messages,
                                                std::vector<boost::json::object>& immediate_errors, bool batch,
                                                bool json_ok, bool sse_ok);
  boost::asio::awaitable<void> handle_get(transport::HttpRequest& request,
                                          transport::HttpExchange& exchange, const Caller& caller);
  boost::asio::awaitable<void> handle_delete(transport::HttpRequest& request,
                                             transport::HttpExchange& exchange, const Caller& caller);
  // The caller's session, or nullptr after answering 404 (ended, unknown, or another's).
  boost::asio::awaitable<std::shared_ptr<DownstreamSession>> session_of(std::string_view id, const Caller& caller,
                                                                        transport::HttpExchange& exchange);
  transport::HttpResponse health(bool details) const;

  McpServer& server_;
  SessionManager& sessions_;
  const config::Config& config_;  // core only: a reload replaces it
  const std::string path_;        // bound once
  boost::asio::any_io_executor core_;
  std::atomic<std::shared_ptr<const OriginPolicy>> policy_;  // read on connection strands
  std::atomic<std::shared_ptr<const EdgeAccess>> access_;    // read on connection strands
  bool stopping_ = false;
  const ConfigStatus* config_status_ = nullptr;
  LegacySseEndpoint legacy_;
  Dashboard dashboard_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// 128 bits from the kernel's CSPRNG, as 32 hex characters (visible ASCII, as the spec asks).
std::string new_session_id();

}  // namespace mcproxy::proxy
