#pragma once
// The live dashboard at /ui: the page (embedded assets, ui_assets.hpp) and its JSON API, all on
// the core (it reads backends, sessions and the catalogue; the traffic is one operator's).
//
//   GET  /ui, /ui/<asset>      the page, its script and style (no data: served to anyone)
//   GET  /ui/api/whoami        {authRequired, identity, csrf}
//   POST /ui/api/login         {"token": key or JWT} -> a session cookie; POST /ui/api/logout
//   GET  /ui/api/state         backends (state, counts, latency), sessions by transport, config
//   GET  /ui/api/catalogue     every tool (server, schema, pin state, calls), prompt, resource
//   GET  /ui/api/sessions      every client session (client, identity, protocol, age, in flight)
//   GET  /ui/api/events        SSE: `call` per request (the live feed), `state` every second,
//                              `catalogue` when the catalogue changed
//   POST /ui/api/pins/approve  a tool's changed definition approved (pins), its server relisted
//   POST /ui/api/call          the inspector: tools/call, resources/read or prompts/get through
//                              the proxy as the dashboard user (same middleware, limits, audit)
//
// Safety. With `auth`, the API needs an identity with the admin role. A browser cannot send a
// bearer header while navigating and EventSource cannot set headers, so the page trades the key
// or JWT (POST body, never a URL) for a random session cookie: HttpOnly, SameSite=Strict,
// Path=/ui, one hour. Without auth the dashboard answers loopback clients only. Requests that
// act (call, logout) must carry X-MCProxy-CSRF with the token whoami/login gave: another web
// page can neither read it nor set that header on a cross-site request. Host and Origin are
// checked before any of this, as for /mcp (HttpEndpoint). A program may instead send an admin's
// bearer with each GET (`mcproxy status`); it reads, and cannot act.

#include "config/config.hpp"
#include "proxy/call_feed.hpp"
#include "proxy/edge_access.hpp"
#include "proxy/health.hpp"
#include "proxy/identity.hpp"
#include "proxy/mcp_server.hpp"
#include "proxy/session_manager.hpp"
#include "transport/http_server.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace mcproxy::proxy {

class Dashboard {
 public:
  Dashboard(McpServer& server, SessionManager& sessions, const config::Config& config);
  void set_config_status(const ConfigStatus* status) noexcept { config_status_ = status; }

  static bool serves(std::string_view path) noexcept { return path == "/ui" || path.starts_with("/ui/"); }
  // On the core. `loopback` says whether the client connected from a loopback address.
  boost::asio::awaitable<void> handle(transport::HttpRequest& request, transport::HttpExchange& exchange,
                                      const EdgeAccess& access, bool loopback);
  // Ends the event streams (shutdown).
  void stop();

  // The JSON views (also what `mcproxy status` reads).
  boost::json::object state() const;
  boost::json::object catalogue() const;
  boost::json::object sessions() const;

  static constexpr std::chrono::seconds kLoginLifetime{3600};
  static constexpr std::size_t kMaxLogins = 64;

 private:
  struct Login {
    Identity identity;
    std::string csrf;
    std::chrono::steady_clock::time_point expires;
    std::shared_ptr<DownstreamSession> session;  // the inspector's MCP session, made on first use
    bool bearer_only = false;  // a program's bearer, for this request only: reads, never acts
  };
  // The caller's login (auth on: by cookie; off: the one anonymous login), or null.
  std::shared_ptr<Login> login_of(const transport::HttpRequest& request, bool auth_on);
  boost::asio::awaitable<void> log_in(transport::HttpRequest& request, transport::HttpExchange& exchange,
                                      const EdgeAccess& access);
  boost::asio::awaitable<void> call(transport::HttpRequest& request, transport::HttpExchange& exchange,
                                    Login& login);
  boost::asio::awaitable<void> events(transport::HttpRequest& request, transport::HttpExchange& exchange,
                                      const Login& login);
  boost::asio::awaitable<void> approve_pin(transport::HttpRequest& request, transport::HttpExchange& exchange,
                                           const Login& login);
  // The login's MCP session, initialized (again, if it expired or ended).
  boost::asio::awaitable<std::shared_ptr<DownstreamSession>> session_for(Login& login);

  McpServer& server_;
  SessionManager& sessions_;
  const config::Config& config_;
  const ConfigStatus* config_status_ = nullptr;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  // Held by shared_ptr: a request keeps its login across its awaits even if it is signed out.
  std::unordered_map<std::string, std::shared_ptr<Login>> logins_;  // by SHA-256 of the cookie
  std::shared_ptr<Login> anonymous_;                                // without auth (loopback only)
  std::uint64_t next_call_id_ = 1;
  bool stopping_ = false;
};

}  // namespace mcproxy::proxy
