#include "proxy/http_endpoint.hpp"

#include "mcp/jsonrpc.hpp"
#include "mcp/protocol.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include <sys/random.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::awaitable;
using transport::HttpExchange;
using transport::HttpRequest;
using transport::HttpResponse;
namespace ec = mcp::error_code;

namespace {

HttpResponse json_response(http::status status, const json::object& body) {
  HttpResponse res(status, 11);
  res.set(http::field::content_type, "application/json");
  res.body() = json::serialize(body);
  return res;
}

// An HTTP-level refusal with a JSON-RPC error body without id, as the SDKs send.
HttpResponse error_response(http::status status, int code, std::string_view message) {
  return json_response(status, mcp::make_error(nullptr, code, message));
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "localhost:8080" -> "localhost", "[::1]:80" -> "::1".
std::string_view strip_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(1, close - 1);
  }
  auto colon = host.find(':');
  if (colon != std::string_view::npos && host.find(':', colon + 1) == std::string_view::npos)
    return host.substr(0, colon);
  return host;
}

bool is_loopback_name(std::string_view host) {
  std::string h = lower(host);
  if (h == "localhost" || h.ends_with(".localhost")) return true;
  boost::system::error_code err;
  auto address = asio::ip::make_address(h, err);
  return !err && address.is_loopback();
}

// Whether an Accept header admits `type` ("application/json" or "text/event-stream").
bool accepts(std::string_view accept, std::string_view type) {
  if (accept.empty()) return true;
  std::string a = lower(accept);
  std::string family = std::string(type.substr(0, type.find('/'))) + "/*";
  return a.find(type) != std::string::npos || a.find("*/*") != std::string::npos ||
         a.find(family) != std::string::npos;
}

}  // namespace

std::string new_session_id() {
  unsigned char bytes[16];
  std::size_t filled = 0;
  while (filled < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed: cannot create a session id");
    }
    filled += static_cast<std::size_t>(n);
  }
  std::string id;
  id.reserve(32);
  for (unsigned char b : bytes) id += fmt::format("{:02x}", b);
  return id;
}

HttpEndpoint::HttpEndpoint(McpServer& server, Aggregator& aggregator, config::HttpServerConfig config)
    : server_(server), aggregator_(aggregator), config_(std::move(config)) {
  boost::system::error_code err;
  auto address = asio::ip::make_address(config_.host == "localhost" ? "127.0.0.1" : config_.host, err);
  loopback_only_ = !err && address.is_loopback();
}

bool HttpEndpoint::host_allowed(std::string_view host) const {
  for (auto& allowed : config_.allowed_hosts)
    if (lower(allowed) == lower(host) || lower(allowed) == lower(strip_port(host))) return true;
  // Bound to loopback, only loopback names may reach us (DNS rebinding defence). When bound to
  // another address, the operator decides with allowedHosts; without it any Host is served.
  if (!loopback_only_) return config_.allowed_hosts.empty();
  return !host.empty() && is_loopback_name(strip_port(host));
}

bool HttpEndpoint::origin_allowed(std::string_view origin) const {
  for (auto& allowed : config_.allowed_origins)
    if (allowed == "*" || lower(allowed) == lower(origin)) return true;
  // Otherwise only pages served from this machine's loopback names.
  auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return false;
  auto scheme = lower(origin.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return false;
  auto rest = origin.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('/'));
  return is_loopback_name(strip_port(rest));
}

std::shared_ptr<DownstreamSession> HttpEndpoint::create_session() {
  expire_idle_sessions();
  if (sessions_.size() >= config_.max_sessions) return nullptr;
  auto session = std::make_shared<DownstreamSession>();
  session->id = new_session_id();
  sessions_.emplace(session->id, session);
  return session;
}

void HttpEndpoint::expire_idle_sessions() {
  auto now = std::chrono::steady_clock::now();
  std::erase_if(sessions_, [&](auto& entry) {
    bool idle = now - entry.second->last_activity > config_.session_idle_timeout;
    if (idle) spdlog::info("session {} expired after {} s without requests", entry.second->label(),
                           config_.session_idle_timeout.count());
    return idle;
  });
}

awaitable<void> HttpEndpoint::handle(HttpRequest& request, HttpExchange& exchange) {
  std::string_view host = request[http::field::host];
  if (!host_allowed(host)) {
    spdlog::warn("refused a request for Host \"{}\" (not a loopback name; see httpServer.allowedHosts)", host);
    co_await exchange.respond(error_response(http::status::forbidden, ec::kInvalidRequest,
                                             "Forbidden: Host header is not allowed"));
    co_return;
  }
  if (auto origin = request[http::field::origin]; !origin.empty() && !origin_allowed(origin)) {
    spdlog::warn("refused a request from Origin \"{}\" (see httpServer.allowedOrigins)", origin);
    co_await exchange.respond(error_response(http::status::forbidden, ec::kInvalidRequest,
                                             "Forbidden: Origin is not allowed"));
    co_return;
  }
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/health" || path == "/healthz") {
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      auto res = error_response(http::status::method_not_allowed, ec::kInvalidRequest, "Method not allowed");
      res.set(http::field::allow, "GET");
      co_await exchange.respond(std::move(res));
      co_return;
    }
    co_await exchange.respond(health());
    co_return;
  }
  if (path != config_.path) {
    co_await exchange.respond(error_response(
        http::status::not_found, ec::kInvalidRequest,
        fmt::format("Not found: the MCP endpoint is {} (and /health)", config_.path)));
    co_return;
  }
  switch (request.method()) {
    case http::verb::post: co_await handle_post(request, exchange); break;
    case http::verb::delete_: co_await handle_delete(request, exchange); break;
    default: {
      // GET (the standalone SSE stream) is not offered yet: 405 tells clients to go on without.
      auto res = error_response(http::status::method_not_allowed, ec::kInvalidRequest,
                                "Method not allowed");
      res.set(http::field::allow, "POST, DELETE");
      co_await exchange.respond(std::move(res));
    }
  }
}

awaitable<void> HttpEndpoint::handle_post(HttpRequest& request, HttpExchange& exchange) {
  std::string content_type = lower(request[http::field::content_type]);
  if (content_type.find("application/json") == std::string::npos) {
    co_await exchange.respond(error_response(http::status::unsupported_media_type, ec::kInvalidRequest,
                                             "Unsupported Media Type: Content-Type must be application/json"));
    co_return;
  }
  std::string_view accept = request[http::field::accept];
  bool json_ok = accepts(accept, "application/json");
  bool sse_ok = accepts(accept, "text/event-stream");
  if (!json_ok && !sse_ok) {
    co_await exchange.respond(error_response(
        http::status::not_acceptable, ec::kInvalidRequest,
        "Not Acceptable: Accept must allow application/json and text/event-stream"));
    co_return;
  }
  if (auto version = request["mcp-protocol-version"];
      !version.empty() && !mcp::is_supported_protocol_version(version)) {
    co_await exchange.respond(error_response(
        http::status::bad_request, ec::kInvalidRequest,
        fmt::format("Bad Request: unsupported MCP-Protocol-Version \"{}\" (supported: 2025-11-25, "
                    "2025-06-18, 2025-03-26, 2024-11-05)",
                    std::string_view(version))));
    co_return;
  }

  // Parse before looking up the session, so a malformed body is answered -32700 either way.
  json::value body;
  std::optional<json::object> parse_error;
  try {
    body = mcp::parse_json(request.body());
  } catch (const mcp::ProtocolError& e) {
    parse_error = mcp::make_error(nullptr, e);
  }
  if (parse_error) {
    co_await exchange.respond(json_response(http::status::bad_request, *parse_error));
    co_return;
  }

  std::vector<mcp::Message> messages;
  std::vector<json::object> immediate_errors;
  bool batch = body.is_array();
  auto classify = [&](json::value v) {
    try {
      messages.push_back(mcp::classify_message(std::move(v)));
    } catch (const mcp::ProtocolError& e) {
      immediate_errors.push_back(mcp::make_error(e.id(), e));
    }
  };
  if (batch) {
    if (body.get_array().empty()) {
      co_await exchange.respond(json_response(
          http::status::bad_request,
          mcp::make_error(nullptr, ec::kInvalidRequest, "Invalid Request: empty batch")));
      co_return;
    }
    for (auto& v : body.get_array()) classify(std::move(v));
  } else {
    classify(std::move(body));
  }

  bool has_initialize = std::any_of(messages.begin(), messages.end(), [](auto& m) {
    return m.is_request() && m.method() == "initialize";
  });
  std::shared_ptr<DownstreamSession> session;
  std::string_view session_header = request["mcp-session-id"];
  if (has_initialize) {
    if (batch && messages.size() > 1) {
      co_await exchange.respond(json_response(
          http::status::bad_request,
          mcp::make_error(nullptr, ec::kInvalidRequest,
                          "Invalid Request: initialize must not be part of a batch")));
      co_return;
    }
    session = create_session();
    if (!session) {
      co_await exchange.respond(error_response(
          http::status::service_unavailable, ec::kInternalError,
          fmt::format("Too many sessions ({}, httpServer.maxSessions): try again later",
                      config_.max_sessions)));
      co_return;
    }
  } else if (session_header.empty()) {
    if (!immediate_errors.empty() && messages.empty()) {
      co_await exchange.respond(json_response(http::status::bad_request, immediate_errors.front()));
      co_return;
    }
    co_await exchange.respond(error_response(
        http::status::bad_request, ec::kInvalidRequest,
        "Bad Request: Mcp-Session-Id header is required (send initialize first)"));
    co_return;
  } else {
    auto it = sessions_.find(std::string(session_header));
    if (it == sessions_.end()) {
      co_await exchange.respond(error_response(
          http::status::not_found, -32001,
          "Session not found: it ended or never existed; initialize a new one"));
      co_return;
    }
    session = it->second;
  }

  std::vector<json::object> responses = std::move(immediate_errors);
  bool any_request = false;
  for (auto& message : messages) {
    any_request |= message.is_request();
    if (auto reply = co_await server_.handle(*session, std::move(message))) responses.push_back(std::move(*reply));
  }
  if (has_initialize && !session->initialize_seen) {
    // initialize failed (e.g. bad params): do not keep a half-made session.
    sessions_.erase(session->id);
  }

  if (responses.empty()) {
    HttpResponse res(http::status::accepted, 11);
    co_await exchange.respond(std::move(res));
    co_return;
  }
  std::string payload;
  if (batch) {
    json::array arr;
    for (auto& r : responses) arr.push_back(std::move(r));
    payload = json::serialize(arr);
  } else {
    payload = json::serialize(responses.front());
  }
  // An invalid single message that was not a request is refused with 400.
  http::status status = (!any_request && !batch) ? http::status::bad_request : http::status::ok;
  if (json_ok || status != http::status::ok) {
    HttpResponse res(status, 11);
    res.set(http::field::content_type, "application/json");
    if (has_initialize && session->initialize_seen) res.set("Mcp-Session-Id", session->id);
    res.body() = std::move(payload);
    co_await exchange.respond(std::move(res));
  } else {
    HttpResponse headers(http::status::ok, 11);
    if (has_initialize && session->initialize_seen) headers.set("Mcp-Session-Id", session->id);
    co_await exchange.start_event_stream(std::move(headers));
    co_await exchange.send_event(transport::format_sse_event(payload, "", "message"));
    co_await exchange.end_event_stream();
  }
}

awaitable<void> HttpEndpoint::handle_delete(HttpRequest& request, HttpExchange& exchange) {
  std::string_view session_header = request["mcp-session-id"];
  if (session_header.empty()) {
    co_await exchange.respond(error_response(http::status::bad_request, ec::kInvalidRequest,
                                             "Bad Request: Mcp-Session-Id header is required"));
    co_return;
  }
  auto it = sessions_.find(std::string(session_header));
  if (it == sessions_.end()) {
    co_await exchange.respond(error_response(http::status::not_found, -32001, "Session not found"));
    co_return;
  }
  spdlog::info("session {} ended by the client", it->second->label());
  sessions_.erase(it);
  co_await exchange.respond(HttpResponse(http::status::no_content, 11));
}

HttpResponse HttpEndpoint::health() const {
  json::array backends;
  std::size_t active = 0, up = 0;
  for (auto& b : aggregator_.backends()) {
    backends.push_back(b->health());
    if (b->state() == BackendState::disabled) continue;
    ++active;
    if (b->up()) ++up;
  }
  json::object body;
  body["status"] = up == active ? "ok" : (up > 0 ? "degraded" : "down");
  body["version"] = MCPROXY_VERSION;
  body["uptimeSeconds"] =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_).count();
  body["sessions"] = sessions_.size();
  body["backends"] = std::move(backends);
  auto res = json_response(up > 0 || active == 0 ? http::status::ok : http::status::service_unavailable, body);
  res.set(http::field::cache_control, "no-store");
  return res;
}

}  // namespace mcproxy::proxy
