#include "proxy/http_endpoint.hpp"

#include "mcp/jsonrpc.hpp"
#include "mcp/modern_envelope.hpp"
#include "mcp/protocol.hpp"
#include "proxy/health.hpp"
#include "proxy/metrics_exposition.hpp"
#include "proxy/proxy_metrics.hpp"
#include "proxy/http_replies.hpp"
#include "proxy/post_stream.hpp"
#include "transport/disconnect_watch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
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
using transport::DisconnectWatch;
using transport::HttpResponse;
namespace ec = mcp::error_code;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// The stateless era answers its request errors -32020, -32021 and -32022 with HTTP 400, also
// when a backend raised them (a server asked for a capability the client did not declare).
http::status modern_error_status(const std::string& response) {
  if (response.find("\"error\"") == std::string::npos) return http::status::ok;
  boost::system::error_code parse_error;
  auto doc = json::parse(response, parse_error);
  auto* error = !parse_error && doc.is_object() ? doc.get_object().if_contains("error") : nullptr;
  auto* code = error && error->is_object() ? error->get_object().if_contains("code") : nullptr;
  if (!code || !code->is_int64() || doc.get_object().contains("result")) return http::status::ok;
  auto c = code->get_int64();
  bool bad_request = c == ec::kHeaderMismatch || c == ec::kMissingClientCapability || c == ec::kUnsupportedProtocolVersion;
  return bad_request ? http::status::bad_request : http::status::ok;
}

// Methods answered from memory need no disconnect watch.
bool may_take_long(std::string_view method) {
  return !(method == "ping" || method == "initialize" || method.ends_with("/list"));
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

HttpEndpoint::HttpEndpoint(McpServer& server, SessionManager& sessions, const config::Config& config,
                           asio::any_io_executor core)
    : server_(server),
      sessions_(sessions),
      config_(config),
      path_(config.http.path),
      core_(std::move(core)),
      policy_(std::make_shared<const OriginPolicy>(config.http)),
      access_(std::make_shared<const EdgeAccess>()),
      legacy_(server, sessions),
      dashboard_(server, sessions, config) {}

awaitable<void> HttpEndpoint::on_core(HttpExchange& exchange, std::function<awaitable<void>()> work) {
  auto edge = exchange.executor();
  if (edge == core_) {  // one thread: the connection already runs on the core
    co_await work();
    co_return;
  }
  exchange.set_executor(core_);
  struct Back {
    HttpExchange& exchange;
    asio::any_io_executor edge;
    ~Back() { exchange.set_executor(edge); }
  } back{exchange, edge};
  co_await asio::co_spawn(core_, std::move(work), asio::use_awaitable);
}

namespace {

constexpr std::string_view kMetadataPath = "/.well-known/oauth-protected-resource";

std::string remote_of(HttpExchange& exchange) {
  boost::system::error_code err;
  auto endpoint = exchange.socket().remote_endpoint(err);
  return err ? std::string("?") : endpoint.address().to_string();
}

bool loopback_peer(HttpExchange& exchange) {
  boost::system::error_code err;
  auto endpoint = exchange.socket().remote_endpoint(err);
  return !err && endpoint.address().is_loopback();
}

// RFC 6750 §3: a quoted-string may not hold '"' or '\\'.
std::string quoted(std::string_view text) {
  std::string out;
  for (char c : text) out.push_back(c == '"' || c == '\\' ? '\'' : c);
  return out;
}

}  // namespace

// On the connection's strand: the checks that need nothing but the request (and the
// caller's credential), then the rest on the core.
awaitable<void> HttpEndpoint::handle(HttpRequest& request, HttpExchange& exchange) {
  std::string_view host = request[http::field::host];
  auto policy = policy_.load();
  if (!policy->host_allowed(host)) {
    spdlog::warn("refused a request for Host \"{}\" (not a loopback name; see httpServer.allowedHosts)", host);
    co_await exchange.respond(error_response(http::status::forbidden, ec::kInvalidRequest,
                                             "Forbidden: Host header is not allowed"));
    co_return;
  }
  if (auto origin = request[http::field::origin]; !origin.empty() && !policy->origin_allowed(origin)) {
    spdlog::warn("refused a request from Origin \"{}\" (see httpServer.allowedOrigins)", origin);
    co_await exchange.respond(error_response(http::status::forbidden, ec::kInvalidRequest,
                                             "Forbidden: Origin is not allowed"));
    co_return;
  }
  auto access = access_.load();
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/health" || path == "/healthz") {
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      co_await exchange.respond(method_not_allowed("GET"));
      co_return;
    }
    co_await handle_health(request, exchange, *access);
    co_return;
  }
  if (path.starts_with(kMetadataPath) && access->auth_on()) {
    std::string_view endpoint = path.substr(kMetadataPath.size());
    if (endpoint.empty()) endpoint = path_;
    if (endpoint != path_ && !access->profile_at(endpoint)) {
      co_await exchange.respond(error_response(http::status::not_found, ec::kInvalidRequest,
                                               "Not found: no MCP endpoint at that path"));
      co_return;
    }
    co_await exchange.respond(resource_metadata(*access, endpoint));
    co_return;
  }
  if (path == "/metrics") {
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      co_await exchange.respond(method_not_allowed("GET"));
      co_return;
    }
    co_await handle_metrics(request, exchange, *access);
    co_return;
  }
  if (Dashboard::serves(path)) {
    bool loopback = loopback_peer(exchange);
    std::function<awaitable<void>()> ui = [&] { return dashboard_.handle(request, exchange, *access, loopback); };
    co_await on_core(exchange, std::move(ui));
    co_return;
  }
  // Which MCP endpoint: the main one (and the legacy SSE paths), or a profile's own.
  std::string endpoint, profile;
  bool legacy = false;
  if (path == path_) {
    endpoint = path_;
  } else if (auto p = access->profile_at(path)) {
    endpoint = std::string(path);
    profile = *p;
  } else if (LegacySseEndpoint::serves(path)) {
    endpoint = path_;
    legacy = true;
  } else {
    co_await exchange.respond(error_response(http::status::not_found, ec::kInvalidRequest,
                                             fmt::format("Not found: the MCP endpoint is {} (and /health)", path_)));
    co_return;
  }
  auto admitted = co_await admit(request, exchange, *access, std::move(endpoint), std::move(profile));
  if (!admitted) co_return;
  const Caller& caller = *admitted;
  if (legacy) {
    std::function<awaitable<void>()> serve_legacy = [&] { return legacy_.handle(request, exchange, caller); };
    co_await on_core(exchange, std::move(serve_legacy));
    co_return;
  }
  switch (request.method()) {
    case http::verb::post: co_await handle_post(request, exchange, caller); break;
    case http::verb::get: {
      std::function<awaitable<void>()> get = [&] { return handle_get(request, exchange, caller); };
      co_await on_core(exchange, std::move(get));
      break;
    }
    case http::verb::delete_: {
      std::function<awaitable<void>()> del = [&] { return handle_delete(request, exchange, caller); };
      co_await on_core(exchange, std::move(del));
      break;
    }
    default: {
      co_await exchange.respond(method_not_allowed("GET, POST, DELETE"));
    }
  }
}

awaitable<std::optional<Caller>> HttpEndpoint::admit(HttpRequest& request, HttpExchange& exchange,
                                                     const EdgeAccess& access, std::string endpoint,
                                                     std::string profile) {
  Caller caller;
  caller.endpoint = std::move(endpoint);
  caller.profile = std::move(profile);
  if (!access.auth_on()) co_return caller;  // anonymous: the endpoint's profile, or everything
  caller.remote = remote_of(exchange);      // for the audit log (a system call: only with auth)

  std::string audience = access.resource_base + caller.endpoint;
  bool main = caller.endpoint == path_;
  auto outcome = co_await access.authenticator->authenticate(request[http::field::authorization], audience, main);
  if (!outcome.identity) {
    std::string metadata = fmt::format("{}{}{}", access.resource_base, kMetadataPath, main ? "" : caller.endpoint);
    std::string challenge = fmt::format("Bearer resource_metadata=\"{}\"", metadata);
    if (!access.scopes.empty()) {
      std::string scopes;
      for (auto& s : access.scopes) scopes += (scopes.empty() ? "" : " ") + s;
      challenge += fmt::format(", scope=\"{}\"", quoted(scopes));
    }
    if (!outcome.error.empty())
      challenge += fmt::format(", error=\"{}\", error_description=\"{}\"", outcome.error, quoted(outcome.description));
    spdlog::info("refused a request to {} from {}: {}", caller.endpoint, caller.remote, outcome.description);
    if (auto& m = sessions_.relay().metrics) m->auth_failures.add();  // (set once: safe to read here)
    audit_edge(access, nullptr, "auth-failed", outcome.description, caller.remote, caller.endpoint);
    auto res = error_response(http::status::unauthorized, ec::kInvalidRequest,
                              fmt::format("Unauthorized: {}", outcome.description));
    res.set(http::field::www_authenticate, challenge);
    exchange.close_after();  // whatever else it sent is not read
    co_await exchange.respond(std::move(res));
    co_return std::nullopt;
  }
  caller.identity = std::move(*outcome.identity);
  if (main) {
    caller.profile = caller.identity.profile;
  } else if (!caller.identity.may_use(caller.profile)) {
    spdlog::info("refused {} on {}: profile \"{}\" is not among its profiles", caller.identity.name, caller.endpoint,
                 caller.profile);
    audit_edge(access, &caller, "denied", "profile not allowed for this identity", caller.remote, caller.endpoint);
    auto res = error_response(http::status::forbidden, ec::kInvalidRequest,
                              fmt::format("Forbidden: {} may not use the profile \"{}\" served at {}",
                                          caller.identity.name, caller.profile, caller.endpoint));
    res.set(http::field::www_authenticate, "Bearer error=\"insufficient_scope\"");
    co_await exchange.respond(std::move(res));
    co_return std::nullopt;
  }
  co_return caller;
}

awaitable<void> HttpEndpoint::handle_health(HttpRequest& request, HttpExchange& exchange, const EdgeAccess& access) {
  // Backend details (commands, URLs, errors) only for an admin, or on loopback with no auth.
  bool details = !access.auth_on() && loopback_peer(exchange);
  if (access.auth_on() && !request[http::field::authorization].empty()) {
    auto outcome = co_await access.authenticator->authenticate(request[http::field::authorization],
                                                               access.resource_base + path_, true);
    details = outcome.identity && outcome.identity->has_role("admin");
  }
  std::function<awaitable<void>()> report = [&]() -> awaitable<void> { co_await exchange.respond(health(details)); };
  co_await on_core(exchange, std::move(report));
}

awaitable<void> HttpEndpoint::handle_metrics(HttpRequest& request, HttpExchange& exchange, const EdgeAccess& access) {
  if (access.auth_on()) {
    auto outcome = co_await access.authenticator->authenticate(request[http::field::authorization],
                                                               access.resource_base + path_, true);
    if (!outcome.identity) {
      if (auto& m = sessions_.relay().metrics) m->auth_failures.add();
      auto res = error_response(http::status::unauthorized, ec::kInvalidRequest,
                                fmt::format("Unauthorized: {} (a key or token with the \"metrics\" role)",
                                            outcome.description));
      res.set(http::field::www_authenticate, "Bearer");
      co_await exchange.respond(std::move(res));
      co_return;
    }
    if (!outcome.identity->has_role("metrics") && !outcome.identity->has_role("admin")) {
      co_await exchange.respond(error_response(http::status::forbidden, ec::kInvalidRequest,
                                               fmt::format("Forbidden: {} has neither the \"metrics\" nor the "
                                                           "\"admin\" role",
                                                           outcome.identity->name)));
      co_return;
    }
  } else if (!loopback_peer(exchange)) {
    co_await exchange.respond(error_response(http::status::forbidden, ec::kInvalidRequest,
                                             "Forbidden: without \"auth\", /metrics is served to loopback clients only"));
    co_return;
  }
  std::function<awaitable<void>()> scrape = [&]() -> awaitable<void> {
    HttpResponse res(http::status::ok, 11);
    res.set(http::field::content_type, kMetricsContentType);
    res.set(http::field::cache_control, "no-store");
    if (auto& m = sessions_.relay().metrics) res.body() = render_metrics(*m, sessions_, config_, config_status_);
    res.prepare_payload();
    co_await exchange.respond(std::move(res));
  };
  co_await on_core(exchange, std::move(scrape));
}

HttpResponse HttpEndpoint::resource_metadata(const EdgeAccess& access, std::string_view endpoint) const {
  json::object doc;
  doc["resource"] = access.resource_base + std::string(endpoint);
  json::array servers;
  for (auto& s : access.authorization_servers) servers.emplace_back(s);
  doc["authorization_servers"] = std::move(servers);
  if (!access.scopes.empty()) {
    json::array scopes;
    for (auto& s : access.scopes) scopes.emplace_back(s);
    doc["scopes_supported"] = std::move(scopes);
  }
  doc["bearer_methods_supported"] = json::array{"header"};
  auto profile = access.profile_at(endpoint);
  doc["resource_name"] = profile ? fmt::format("MCProxy ({})", *profile) : std::string("MCProxy");
  auto res = json_response(http::status::ok, doc);
  res.set(http::field::cache_control, "max-age=300");
  return res;
}

awaitable<std::shared_ptr<DownstreamSession>> HttpEndpoint::session_of(std::string_view id, const Caller& caller,
                                                                       HttpExchange& exchange) {
  bool mismatch = false;
  auto session = sessions_.find_for(std::string(id), caller.identity, caller.endpoint, &mismatch);
  if (mismatch) {
    // Another identity's session id (or one of another endpoint): as if it did not exist.
    spdlog::warn("refused session {}... to {} on {}: it belongs to another identity or endpoint",
                 std::string(id.substr(0, 8)), caller.identity.name.empty() ? "an anonymous caller" : caller.identity.name,
                 caller.endpoint);
    if (auto access = access_.load())
      audit_edge(*access, &caller, "denied", "session of another identity or endpoint", caller.remote, caller.endpoint);
  }
  if (!session)
    co_await exchange.respond(error_response(http::status::not_found, kSessionNotFound,
                                             "Session not found: it ended or never existed; initialize a new one"));
  co_return session;
}

awaitable<void> HttpEndpoint::handle_post(HttpRequest& request, HttpExchange& exchange, const Caller& caller) {
  std::string content_type = ascii_lower(request[http::field::content_type]);
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
  // Parse before looking up the session, so a malformed body is answered -32700 either way.
  json::value body;
  std::optional<json::object> parse_error;
  try {
    body = mcp::parse_json(request.body());
  } catch (const mcp::ProtocolError& e) {
    parse_error = mcp::make_error(e.id(), e);
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
  // Parsed here, on the connection's strand; served on the core.
  std::function<awaitable<void>()> serve = [&] {
    return serve_post(request, exchange, caller, messages, immediate_errors, batch, json_ok, sse_ok);
  };
  co_await on_core(exchange, std::move(serve));
}

awaitable<void> HttpEndpoint::serve_post(HttpRequest& request, HttpExchange& exchange, const Caller& caller,
                                         std::vector<mcp::Message>& messages,
                                         std::vector<json::object>& immediate_errors, bool batch, bool json_ok,
                                         bool sse_ok) {
  // The stateless era (2026-07-28): one request that carries its own envelope; no session.
  bool modern = std::any_of(messages.begin(), messages.end(), [](auto& m) {
    return !m.is_response() && mcp::claims_modern_era(m.params());
  });
  if (modern && (batch || messages.size() != 1)) {
    co_await exchange.respond(json_response(
        http::status::bad_request,
        mcp::make_error(nullptr, ec::kInvalidRequest,
                        "Invalid Request: a batch may not hold requests of protocol 2026-07-28 or later")));
    co_return;
  }
  if (modern) {
    co_await serve_modern(request, exchange, caller, messages.front(), json_ok, sse_ok);
    co_return;
  }
  // (A stateless request's version is checked against its envelope: -32022 or -32020.)
  if (auto version = request["mcp-protocol-version"]; !version.empty() &&
      !mcp::is_supported_protocol_version(version) && !mcp::is_modern_protocol_version(version)) {
    co_await exchange.respond(error_response(
        http::status::bad_request, ec::kInvalidRequest,
        fmt::format("Bad Request: unsupported MCP-Protocol-Version \"{}\" (supported: 2026-07-28, "
                    "2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05)",
                    std::string_view(version))));
    co_return;
  }
  if (auto version = request["mcp-protocol-version"]; mcp::is_modern_protocol_version(version)) {
    // A stateless request (its header says so) without the envelope its body must carry.
    json::value id = messages.size() == 1 && messages.front().is_request() ? messages.front().id() : json::value();
    auto error = mcp::make_error(
        id, ec::kInvalidParams,
        fmt::format("Invalid params: MCP-Protocol-Version is {} but params._meta names no \"{}\" (every request of "
                    "that revision carries it; send initialize for 2025-11-25 and older)",
                    std::string_view(version), mcp::kMetaProtocolVersion));
    co_await exchange.respond(json_response(http::status::bad_request, error));
    co_return;
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
    session = sessions_.create(caller.identity, caller.endpoint, caller.profile);
    if (session) session->set_languages(request[http::field::accept_language]);
    if (!session) {
      co_await exchange.respond(error_response(
          http::status::service_unavailable, ec::kInternalError,
          fmt::format("Too many sessions ({}, httpServer.maxSessions): try again later",
                      config_.http.max_sessions)));
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
    session = co_await session_of(session_header, caller, exchange);
    if (!session) co_return;
  }

  bool any_request = std::any_of(messages.begin(), messages.end(), [](auto& m) { return m.is_request(); });
  if (!any_request) {
    for (auto& message : messages) co_await server_.handle(session, std::move(message), nullptr);
    if (immediate_errors.empty()) {
      co_await exchange.respond(HttpResponse(http::status::accepted, 11));
    } else {
      // An invalid message that was not a request is refused with 400.
      co_await exchange.respond(json_response(http::status::bad_request, immediate_errors.front()));
    }
    co_return;
  }

  if (has_initialize) {
    // Nothing streams during initialize: it is answered as JSON, with the new session's id.
    // A client that goes away meanwhile can never learn that id: its session (and the
    // per-client servers starting for it) ends at once.
    DisconnectWatch watch(exchange, [this, id = session->id()] {
      sessions_.end(id, "the client went away during initialize");
    });
    auto reply = co_await server_.handle(session, std::move(messages.front()), nullptr, request["traceparent"]);
    watch.stop();
    if (watch.gone()) {
      exchange.close_after();
      co_return;
    }
    if (!session->initialize_seen()) {
      // initialize failed (e.g. bad params): do not keep a half-made session.
      sessions_.end(session->id(), "initialize failed");
    }
    HttpResponse res(http::status::ok, 11);
    res.set(http::field::content_type, "application/json");
    if (session->initialize_seen()) res.set("Mcp-Session-Id", session->id());
    res.body() = reply ? std::move(*reply) : json::serialize(mcp::make_error(nullptr, ec::kInternalError, "no response"));
    co_await exchange.respond(std::move(res));
    co_return;
  }

  co_await answer_on_stream(request, exchange, session, messages, immediate_errors, batch, json_ok, sse_ok);
}

awaitable<void> HttpEndpoint::answer_on_stream(HttpRequest& request, HttpExchange& exchange,
                                               std::shared_ptr<DownstreamSession> session,
                                               std::vector<mcp::Message>& messages,
                                               std::vector<json::object>& immediate_errors, bool batch, bool json_ok,
                                               bool sse_ok) {
  // One id to cancel when the client goes away (a batch is not watched: it answers as a whole).
  json::value watched_id;
  if (!batch && may_take_long(messages.front().method())) watched_id = messages.front().id();
  PostStream stream(exchange, *session, sse_ok, [session, watched_id] {
    if (!watched_id.is_null()) session->cancel(watched_id, mcp::Cancellation::Reason::disconnected);
  });
  std::optional<DisconnectWatch> watch;
  if (!watched_id.is_null()) {
    watch.emplace(exchange, [session, watched_id, &stream] {
      stream.abandon();
      session->cancel(watched_id, mcp::Cancellation::Reason::disconnected);
    });
  }
  // The request's processing and the stream's writer run side by side; this handler (and so
  // the exchange and its socket) ends only when both have.
  auto process = [&]() -> awaitable<void> {
    std::vector<std::string> responses;  // serialized
    for (auto& e : immediate_errors) responses.push_back(json::serialize(e));
    for (auto& message : messages) {
      auto reply = co_await server_.handle(session, std::move(message), &stream, request["traceparent"]);
      if (reply) responses.push_back(std::move(*reply));
    }
    if (watch) watch->stop();
    if (stream.abandoned()) co_return;  // nobody to answer
    if (responses.empty()) {
      // The client cancelled its request: no response at all (the stream just ends).
      stream.finish_without_response();
      co_return;
    }
    if (batch) {
      std::string array = "[";
      for (auto& r : responses) array.append(array.size() > 1 ? "," : "").append(r);
      array.push_back(']');
      stream.finish(std::move(array), json_ok);
    } else {
      auto status = session->stateless() ? modern_error_status(responses.front()) : http::status::ok;
      stream.finish(std::move(responses.front()), json_ok, status);
    }
  };
  co_await (process() && stream.write_loop());
  if (stream.abandoned()) exchange.close_after();
}

awaitable<void> HttpEndpoint::handle_get(HttpRequest& request, HttpExchange& exchange, const Caller& caller) {
  std::string_view accept = request[http::field::accept];
  if (!accept.empty() && !accepts(accept, "text/event-stream")) {
    co_await exchange.respond(error_response(http::status::not_acceptable, ec::kInvalidRequest,
                                             "Not Acceptable: GET needs Accept: text/event-stream"));
    co_return;
  }
  std::string_view session_header = request["mcp-session-id"];
  if (session_header.empty()) {
    co_await exchange.respond(error_response(http::status::bad_request, ec::kInvalidRequest,
                                             "Bad Request: Mcp-Session-Id header is required"));
    co_return;
  }
  auto session = co_await session_of(session_header, caller, exchange);
  if (!session) co_return;
  if (session->standalone_attached) {
    co_await exchange.respond(error_response(http::status::conflict, ec::kInvalidRequest,
                                             "Conflict: this session already has a GET stream open"));
    co_return;
  }
  std::uint64_t after = session->delivered_upto;
  if (auto last = request["last-event-id"]; !last.empty()) {
    try {
      after = std::stoull(std::string(last));
    } catch (const std::exception&) {
      // Not one of ours: replay what is kept.
      after = 0;
    }
  }
  session->standalone_attached = true;
  struct Detach {
    DownstreamSession& s;
    ~Detach() { s.standalone_attached = false; }
  } detach{*session};

  co_await exchange.start_event_stream(HttpResponse(http::status::ok, 11));
  DisconnectWatch watch(exchange, [session] { session->standalone_signal().cancel(); });
  auto& signal = session->standalone_signal();
  while (!session->closed() && !stopping_ && !watch.gone()) {
    // One event at a time, fetched anew after each write: the backlog moves meanwhile.
    for (auto event = session->event_after(after); event; event = session->event_after(after)) {
      bool sent = co_await exchange.send_event(
          transport::format_sse_event(*event->data, std::to_string(event->id), "message"));
      if (!sent) co_return;
      after = event->id;
      session->delivered_upto = std::max(session->delivered_upto, after);
      if (session->closed() || stopping_ || watch.gone()) break;
    }
    signal.expires_after(kKeepAliveInterval);
    auto [ec] = co_await signal.async_wait(kTuple);
    if (!ec) {  // idle: a comment keeps proxies from closing the stream
      bool alive = co_await exchange.send_event(": keep-alive\n\n");
      if (!alive) co_return;
      // An open GET stream is a client still there: its session is not idle.
      session->last_activity = std::chrono::steady_clock::now();
    }
  }
  watch.stop();
  co_await exchange.end_event_stream();
}

awaitable<void> HttpEndpoint::handle_delete(HttpRequest& request, HttpExchange& exchange, const Caller& caller) {
  std::string_view session_header = request["mcp-session-id"];
  if (session_header.empty()) {
    co_await exchange.respond(error_response(http::status::bad_request, ec::kInvalidRequest,
                                             "Bad Request: Mcp-Session-Id header is required"));
    co_return;
  }
  auto session = co_await session_of(session_header, caller, exchange);
  if (!session) co_return;
  sessions_.end(std::string(session_header), "closed by the client (DELETE)");
  co_await exchange.respond(HttpResponse(http::status::no_content, 11));
}

HttpResponse HttpEndpoint::health(bool details) const {
  auto report = health_report(sessions_, config_, config_status_, started_);
  if (!details) {
    // Only whether it serves: backend names, commands and errors are for admins.
    json::object brief{{"status", report.body.at("status")}, {"version", report.body.at("version")}};
    auto res = json_response(report.serving ? http::status::ok : http::status::service_unavailable, brief);
    res.set(http::field::cache_control, "no-store");
    return res;
  }
  auto res = json_response(report.serving ? http::status::ok : http::status::service_unavailable, report.body);
  res.set(http::field::cache_control, "no-store");
  return res;
}

}  // namespace mcproxy::proxy
