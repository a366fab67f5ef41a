#include "proxy/dashboard.hpp"

#include "mcp/error.hpp"
#include "mcp/protocol.hpp"
#include "middleware/params.hpp"
#include "proxy/aggregator.hpp"
#include "proxy/authenticator.hpp"
#include "proxy/backend.hpp"
#include "proxy/http_endpoint.hpp"
#include "proxy/http_replies.hpp"
#include "proxy/pin_guard.hpp"
#include "proxy/proxy_metrics.hpp"
#include "proxy/relay.hpp"
#include "proxy/ui_assets.hpp"
#include "support/digest.hpp"
#include "transport/disconnect_watch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <charconv>

namespace mcproxy::proxy {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using asio::awaitable;
using transport::DisconnectWatch;
using transport::HttpExchange;
using transport::HttpRequest;
using transport::HttpResponse;

namespace {

constexpr std::string_view kCookie = "mcproxy_ui";
constexpr std::string_view kCsrfHeader = "x-mcproxy-csrf";
constexpr auto kStateInterval = std::chrono::seconds(1);

// What the page may load and talk to: itself only (no inline script, no third party).
void harden(HttpResponse& res) {
  res.set("Content-Security-Policy",
          "default-src 'self'; img-src 'self' data:; media-src 'self' data:; style-src 'self'; script-src 'self'; "
          "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set(http::field::cache_control, "no-store");
}

HttpResponse api_json(http::status status, const json::object& body) {
  auto res = json_response(status, body);
  harden(res);
  return res;
}

HttpResponse api_error(http::status status, std::string_view message) {
  return api_json(status, json::object{{"error", message}});
}

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto end = header.find(';');
    auto part = header.substr(0, end);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return {};
}

json::value text_or_null(std::string_view s) { return s.empty() ? json::value(nullptr) : json::value(s); }

double ms_or_null(double seconds) { return seconds < 0 ? -1 : seconds * 1000; }

json::value quantile_ms(const BackendStats& stats, double q) {
  double v = ms_or_null(stats.latency_quantile(q));
  return v < 0 ? json::value(nullptr) : json::value(v);
}

}  // namespace

Dashboard::Dashboard(McpServer& server, SessionManager& sessions, const config::Config& config)
    : server_(server), sessions_(sessions), config_(config) {
  anonymous_ = std::make_shared<Login>();
  anonymous_->csrf = new_session_id();
}

void Dashboard::stop() {
  stopping_ = true;
  if (auto& feed = sessions_.relay().feed) feed->wake_all();
}

std::shared_ptr<Dashboard::Login> Dashboard::login_of(const HttpRequest& request, bool auth_on) {
  if (!auth_on) return anonymous_;
  std::string token = cookie_value(request[http::field::cookie], kCookie);
  if (token.empty()) return nullptr;
  auto it = logins_.find(support::sha256_hex(token));
  if (it == logins_.end()) return nullptr;
  if (std::chrono::steady_clock::now() > it->second->expires) {
    if (auto& s = it->second->session) sessions_.end(s->id(), "the dashboard login expired");
    logins_.erase(it);
    return nullptr;
  }
  return it->second;
}

awaitable<void> Dashboard::handle(HttpRequest& request, HttpExchange& exchange, const EdgeAccess& access,
                                  bool loopback) {
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  bool auth_on = access.auth_on();
  if (!auth_on && !loopback) {
    co_await exchange.respond(api_error(http::status::forbidden,
                                        "the dashboard is served to loopback clients only when no \"auth\" is "
                                        "configured (README, Security)"));
    co_return;
  }
  std::string_view rest = path.substr(3);  // after "/ui"
  if (!rest.starts_with("/api/")) {
    std::string name = rest.empty() || rest == "/" ? std::string("index.html") : std::string(rest.substr(1));
    auto file = ui_asset(name);
    if (!file) {
      co_await exchange.respond(api_error(http::status::not_found, "no such dashboard file"));
      co_return;
    }
    HttpResponse res(http::status::ok, 11);
    res.set(http::field::content_type, file->content_type);
    res.body() = std::move(file->body);
    res.prepare_payload();
    harden(res);
    co_await exchange.respond(std::move(res));
    co_return;
  }
  std::string_view api = rest.substr(5);
  bool get = request.method() == http::verb::get;
  bool post = request.method() == http::verb::post;
  if (api == "login" && post) {
    co_await log_in(request, exchange, access);
    co_return;
  }
  std::shared_ptr<Login> login = login_of(request, auth_on);
  if (!login && auth_on && !request[http::field::authorization].empty()) {
    // A program (mcproxy status, a script) sends its bearer each time: a login of this request
    // only. No CSRF token is needed then: a browser never adds that header on its own.
    std::string audience = access.resource_base + config_.http.path;
    auto outcome = co_await access.authenticator->authenticate(request[http::field::authorization],
                                                               std::move(audience), true);
    if (outcome.identity && outcome.identity->has_role("admin")) {
      login = std::make_shared<Login>();
      login->identity = std::move(*outcome.identity);
      login->expires = std::chrono::steady_clock::now();
      login->bearer_only = true;
    } else if (!outcome.identity) {
      if (auto& m = sessions_.relay().metrics) m->auth_failures.add();
    }
  }
  if (api == "whoami" && get) {
    json::object who{{"authRequired", auth_on}};
    who["identity"] = login ? text_or_null(login->identity.name) : json::value(nullptr);
    who["csrf"] = login ? json::value(login->csrf) : json::value(nullptr);
    co_await exchange.respond(api_json(http::status::ok, who));
    co_return;
  }
  if (!login) {
    co_await exchange.respond(api_error(http::status::unauthorized, "sign in with a key or token of an admin"));
    co_return;
  }
  if (post && login->bearer_only) {
    co_await exchange.respond(api_error(http::status::forbidden,
                                        "a bearer reads the dashboard API; to act, sign in (POST /ui/api/login)"));
    co_return;
  }
  if (post && request[kCsrfHeader] != login->csrf) {
    co_await exchange.respond(api_error(http::status::forbidden, "missing or wrong X-MCProxy-CSRF header"));
    co_return;
  }
  if (api == "state" && get) {
    auto body = state();
    body["identity"] = text_or_null(login->identity.name);
    co_await exchange.respond(api_json(http::status::ok, body));
  } else if (api == "catalogue" && get) {
    co_await sessions_.shared()->refresh();
    co_await exchange.respond(api_json(http::status::ok, catalogue()));
  } else if (api == "sessions" && get) {
    co_await exchange.respond(api_json(http::status::ok, sessions()));
  } else if (api == "events" && get) {
    co_await events(request, exchange, *login);
  } else if (api == "call" && post) {
    co_await call(request, exchange, *login);
  } else if (api == "pins/approve" && post) {
    co_await approve_pin(request, exchange, *login);
  } else if (api == "logout" && post) {
    if (login != anonymous_) {
      if (auto& s = login->session) sessions_.end(s->id(), "signed out of the dashboard");
      std::erase_if(logins_, [&login](auto& entry) { return entry.second == login; });
    }
    HttpResponse res(http::status::no_content, 11);
    res.set(http::field::set_cookie, fmt::format("{}=; Path=/ui; Max-Age=0; HttpOnly; SameSite=Strict", kCookie));
    harden(res);
    co_await exchange.respond(std::move(res));
  } else {
    co_await exchange.respond(api_error(http::status::not_found, "no such dashboard API (see docs/OBSERVABILITY.md)"));
  }
}

awaitable<void> Dashboard::log_in(HttpRequest& request, HttpExchange& exchange, const EdgeAccess& access) {
  if (!access.auth_on()) {
    json::object anonymous;
    anonymous["identity"] = nullptr;
    anonymous["csrf"] = anonymous_->csrf;
    co_await exchange.respond(api_json(http::status::ok, anonymous));
    co_return;
  }
  std::string token;
  boost::system::error_code ec;
  auto body = json::parse(request.body(), ec);
  if (!ec && body.is_object())
    if (auto* t = body.get_object().if_contains("token"); t && t->is_string()) token = t->get_string();
  if (token.empty()) {
    auto refused = api_error(http::status::bad_request, "expected {\"token\": \"<API key or JWT>\"}");
    co_await exchange.respond(std::move(refused));
    co_return;
  }
  std::string authorization = "Bearer " + token;
  std::string audience = access.resource_base + config_.http.path;
  auto outcome = co_await access.authenticator->authenticate(authorization, std::move(audience), true);
  if (!outcome.identity) {
    if (auto& m = sessions_.relay().metrics) m->auth_failures.add();
    audit_edge(access, nullptr, "auth-failed", outcome.description, "", "/ui");
    auto refused = api_error(http::status::unauthorized, fmt::format("not signed in: {}", outcome.description));
    co_await exchange.respond(std::move(refused));
    co_return;
  }
  if (!outcome.identity->has_role("admin")) {
    Caller caller;
    caller.identity = *outcome.identity;
    caller.endpoint = "/ui";
    audit_edge(access, &caller, "denied", "the dashboard needs the admin role", "", "/ui");
    auto refused = api_error(http::status::forbidden,
                             fmt::format("{} may not use the dashboard: it needs the \"admin\" role",
                                         outcome.identity->name));
    co_await exchange.respond(std::move(refused));
    co_return;
  }
  // Bounded: the oldest login goes first.
  while (logins_.size() >= kMaxLogins) {
    auto oldest = logins_.begin();
    for (auto it = logins_.begin(); it != logins_.end(); ++it)
      if (it->second->expires < oldest->second->expires) oldest = it;
    if (auto& s = oldest->second->session) sessions_.end(s->id(), "the dashboard login was replaced");
    logins_.erase(oldest);
  }
  std::string cookie = new_session_id();
  auto login = std::make_shared<Login>();
  login->identity = std::move(*outcome.identity);
  login->csrf = new_session_id();
  login->expires = std::chrono::steady_clock::now() + kLoginLifetime;
  json::object answer{{"identity", login->identity.name}, {"csrf", login->csrf}};
  spdlog::info("dashboard: {} signed in", login->identity.name);
  logins_[support::sha256_hex(cookie)] = std::move(login);
  auto res = api_json(http::status::ok, answer);
  res.set(http::field::set_cookie, fmt::format("{}={}; Path=/ui; Max-Age={}; HttpOnly; SameSite=Strict", kCookie,
                                               cookie, kLoginLifetime.count()));
  co_await exchange.respond(std::move(res));
}

json::object Dashboard::state() const {
  auto report = health_report(sessions_, config_, config_status_, started_);
  json::object out;
  out["version"] = MCPROXY_VERSION;
  out["uptimeSeconds"] = report.body["uptimeSeconds"];
  if (auto* c = report.body.if_contains("config")) out["config"] = *c;
  auto* metrics = sessions_.relay().metrics.get();
  auto now = std::chrono::steady_clock::now();
  json::array backends;
  std::uint64_t requests = 0, errors = 0, tool_calls = 0;
  for (auto& item : report.body["backends"].as_array()) {
    json::object b = item.as_object();
    std::string name(b["name"].as_string());
    b["restarts"] = 0;
    b["requests"] = 0;
    b["errors"] = 0;
    b["p50Ms"] = nullptr;
    b["p99Ms"] = nullptr;
    if (metrics) {
      auto it = metrics->backends().find(name);
      if (it != metrics->backends().end()) {
        auto& stats = *it->second;
        b["restarts"] = stats.restarts.value();
        b["requests"] = stats.total_requests();
        b["errors"] = stats.failed_requests();
        b["p50Ms"] = quantile_ms(stats, 0.5);
        b["p99Ms"] = quantile_ms(stats, 0.99);
        if (b["state"] == "up" && stats.up_since != std::chrono::steady_clock::time_point{})
          b["uptimeSeconds"] = std::chrono::duration_cast<std::chrono::seconds>(now - stats.up_since).count();
        requests += stats.total_requests();
        errors += stats.failed_requests();
        for (auto& [tool, counts] : stats.tools()) tool_calls += counts->total();
      }
    }
    backends.push_back(std::move(b));
  }
  out["backends"] = std::move(backends);
  json::object by_transport;
  for (std::size_t t = 0; t < kSessionTransports; ++t) by_transport[to_string(static_cast<SessionTransport>(t))] = 0;
  for (auto& [id, s] : sessions_.all()) {
    auto& n = by_transport[to_string(s->transport)];
    n = n.as_int64() + 1;
  }
  out["sessions"] = json::object{{"count", sessions_.size()}, {"byTransport", std::move(by_transport)}};
  out["totals"] = json::object{{"requests", requests}, {"errors", errors}, {"toolCalls", tool_calls}};
  return out;
}

json::object Dashboard::catalogue() const {
  auto& aggregator = *sessions_.shared();
  auto* metrics = sessions_.relay().metrics.get();
  auto* pins = sessions_.relay().pins.get();
  json::array tools;
  for (auto& item : aggregator.merged_list(ListKind::tools)) {
    auto* t = item.if_object();
    if (!t) continue;
    json::object out;
    std::string name(middleware::string_field(*t, "name"));
    out["name"] = name;
    const Aggregator::Route* route = aggregator.tool_route(name);
    std::string server = route && route->backend ? route->backend->name() : std::string();
    std::string original = route ? route->original : name;
    out["server"] = server;
    out["originalName"] = original;
    out["title"] = t->contains("title") ? t->at("title") : json::value(nullptr);
    out["description"] = middleware::string_field(*t, "description");
    out["inputSchema"] = t->contains("inputSchema") ? t->at("inputSchema") : json::value(json::object{});
    if (auto* o = t->if_contains("outputSchema")) out["outputSchema"] = *o;
    if (auto* a = t->if_contains("annotations")) out["annotations"] = *a;
    out["pin"] = pins ? pins->state_of(server, original) : std::string_view("none");
    std::uint64_t calls = 0, failed = 0;
    if (metrics && !server.empty()) {
      auto it = metrics->backends().find(server);
      if (it != metrics->backends().end()) {
        auto tool = it->second->tools().find(original);
        if (tool != it->second->tools().end()) {
          calls = tool->second->total();
          failed = tool->second->failed();
        }
      }
    }
    out["calls"] = calls;
    out["errors"] = failed;
    tools.push_back(std::move(out));
  }
  // Blocked by their pin: listed to no client, shown here so that an operator sees them.
  if (pins)
    for (auto& [server, tool] : pins->blocked_tools())
      tools.push_back(json::object{{"name", tool}, {"server", server}, {"originalName", tool}, {"title", nullptr},
                                   {"description", "blocked: its definition changed (mcproxy pins approve)"},
                                   {"inputSchema", json::object{}}, {"pin", "blocked"}, {"calls", 0}, {"errors", 0}});
  auto with_server = [&](ListKind kind, const char* key) {
    json::array out;
    for (auto& item : aggregator.merged_list(kind)) {
      auto* o = item.if_object();
      if (!o) continue;
      json::object entry = *o;
      std::string_view id = middleware::string_field(*o, key);
      std::string server;
      if (kind == ListKind::prompts) {
        if (auto* r = aggregator.prompt_route(std::string(id)); r && r->backend) server = r->backend->name();
      } else {
        server = aggregator.resource_owner(id);
      }
      entry["server"] = server;
      out.push_back(std::move(entry));
    }
    return out;
  };
  json::object out;
  out["tools"] = std::move(tools);
  out["prompts"] = with_server(ListKind::prompts, "name");
  out["resources"] = with_server(ListKind::resources, "uri");
  out["templates"] = with_server(ListKind::templates, "uriTemplate");
  out["generation"] = aggregator.catalogue_generation();
  return out;
}

json::object Dashboard::sessions() const {
  auto now = std::chrono::steady_clock::now();
  json::array list;
  for (auto& [id, s] : sessions_.all()) {
    json::object o;
    o["id"] = s->label();
    json::object client;
    client["name"] = text_or_null(middleware::string_field(s->client_info(), "name"));
    client["version"] = text_or_null(middleware::string_field(s->client_info(), "version"));
    o["client"] = std::move(client);
    o["identity"] = text_or_null(s->identity());
    o["profile"] = text_or_null(s->profile());
    o["transport"] = to_string(s->transport);
    o["protocolVersion"] = text_or_null(s->protocol_version());
    o["ageSeconds"] = std::chrono::duration_cast<std::chrono::seconds>(now - s->created_at).count();
    o["idleSeconds"] = std::chrono::duration_cast<std::chrono::seconds>(now - s->last_activity).count();
    o["inFlight"] = s->in_flight();
    list.push_back(std::move(o));
  }
  std::sort(list.begin(), list.end(), [](const json::value& a, const json::value& b) {
    return a.at("ageSeconds").as_int64() < b.at("ageSeconds").as_int64();
  });
  return json::object{{"count", list.size()}, {"sessions", std::move(list)}};
}

awaitable<void> Dashboard::events(HttpRequest& request, HttpExchange& exchange, const Login& login) {
  auto& feed = sessions_.relay().feed;
  if (!feed) {
    co_await exchange.respond(api_error(http::status::service_unavailable, "no live feed in this mode"));
    co_return;
  }
  HttpResponse head(http::status::ok, 11);
  harden(head);
  co_await exchange.start_event_stream(std::move(head));
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer wake(executor);
  feed->watch(&wake);
  struct Unwatch {
    CallFeed& feed;
    asio::steady_timer* timer;
    ~Unwatch() { feed.unwatch(timer); }
  } unwatch{*feed, &wake};
  DisconnectWatch watch(exchange, [&wake] { wake.cancel(); });
  // The recent past first, so the feed is not empty when the page opens.
  std::uint64_t after = feed->last_id() > 50 ? feed->last_id() - 50 : 0;
  if (auto last = request["last-event-id"]; !last.empty()) {
    // A reconnection (EventSource sends the last id it saw): only what it missed.
    std::uint64_t seen = 0;
    auto [end, err] = std::from_chars(last.data(), last.data() + last.size(), seen);
    if (err == std::errc() && end == last.data() + last.size() && seen <= feed->last_id()) after = seen;
  }
  std::uint64_t catalogue_seen = sessions_.shared()->catalogue_generation();
  auto next_state = std::chrono::steady_clock::now();
  auto identity = login.identity.name;
  while (!stopping_ && !watch.gone()) {
    for (auto& event : feed->after(after)) {
      after = event.id;
      bool sent = co_await exchange.send_event(
          transport::format_sse_event(json::serialize(event.to_json()), std::to_string(event.id), "call"));
      if (!sent) co_return;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= next_state) {
      next_state = now + kStateInterval;
      auto body = state();
      body["identity"] = text_or_null(identity);
      bool sent = co_await exchange.send_event(transport::format_sse_event(json::serialize(body), {}, "state"));
      if (!sent) co_return;
      co_await sessions_.shared()->refresh();
      auto generation = sessions_.shared()->catalogue_generation();
      if (generation != catalogue_seen) {
        catalogue_seen = generation;
        sent = co_await exchange.send_event(transport::format_sse_event("{}", {}, "catalogue"));
        if (!sent) co_return;
      }
    }
    if (stopping_ || watch.gone()) break;
    wake.expires_at(next_state);
    co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  watch.stop();
  co_await exchange.end_event_stream();
}

awaitable<void> Dashboard::approve_pin(HttpRequest& request, HttpExchange& exchange, const Login& login) {
  boost::system::error_code ec;
  auto body = json::parse(request.body(), ec);
  std::string server, tool;
  if (!ec && body.is_object()) {
    server = middleware::string_field(body.get_object(), "server");
    tool = middleware::string_field(body.get_object(), "tool");
  }
  auto pins = sessions_.relay().pins;
  HttpResponse res;
  if (server.empty() || tool.empty()) {
    res = api_error(http::status::bad_request, "expected {\"server\": \"...\", \"tool\": \"<its own name>\"}");
  } else if (!pins) {
    res = api_error(http::status::conflict, "pinning is off (the config's \"pins\" section)");
  } else {
    bool approved = false;
    std::string failure;
    try {
      approved = pins->approve(server, tool, login.identity.name);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) {
      res = api_error(http::status::internal_server_error, failure);
    } else if (!approved) {
      res = api_error(http::status::not_found, "no changed definition of that tool waits for approval");
    } else {
      // Listed again: the new definition is pinned, served, and clients hear list_changed.
      for (auto& b : *sessions_.shared()->backends())
        if (b->name() == server) b->relist_tools();
      res = api_json(http::status::ok, json::object{{"approved", true}, {"server", server}, {"tool", tool}});
    }
  }
  co_await exchange.respond(std::move(res));
}

awaitable<std::shared_ptr<DownstreamSession>> Dashboard::session_for(Login& login) {
  if (login.session && !login.session->closed() && sessions_.find(login.session->id()) == login.session)
    co_return login.session;
  auto session = sessions_.create(login.identity, "/ui", login.identity.profile, SessionTransport::dashboard);
  if (!session)
    throw mcp::McpError(mcp::error_code::kInvalidRequest,
                        "too many sessions (httpServer.maxSessions): the inspector cannot open one");
  json::object params{{"protocolVersion", mcp::kLatestProtocolVersion},
                      {"capabilities", json::object{}},
                      {"clientInfo", json::object{{"name", "mcproxy-dashboard"}, {"version", MCPROXY_VERSION}}}};
  mcp::Message init(mcp::MessageKind::request, mcp::make_request(0, "initialize", std::move(params)));
  auto reply = co_await server_.handle(session, std::move(init), nullptr);
  if (!reply || reply->find("\"result\"") == std::string::npos) {
    sessions_.end(session->id(), "the dashboard's initialize failed");
    throw mcp::McpError(mcp::error_code::kInternalError,
                        fmt::format("the inspector's session could not start: {}", reply ? *reply : "no answer"));
  }
  mcp::Message initialized(mcp::MessageKind::notification,
                           mcp::make_notification("notifications/initialized", json::object{}));
  co_await server_.handle(session, std::move(initialized), nullptr);
  login.session = session;
  co_return session;
}

awaitable<void> Dashboard::call(HttpRequest& request, HttpExchange& exchange, Login& login) {
  boost::system::error_code ec;
  auto body = json::parse(request.body(), ec);
  std::string method;
  json::object params;
  if (!ec && body.is_object()) {
    method = middleware::string_field(body.get_object(), "method");
    if (auto* p = body.get_object().if_contains("params"); p && p->is_object()) params = p->get_object();
  }
  if (method != "tools/call" && method != "resources/read" && method != "prompts/get") {
    co_await exchange.respond(api_error(http::status::bad_request,
                                        "expected {\"method\": \"tools/call\" | \"resources/read\" | \"prompts/get\", "
                                        "\"params\": {...}}"));
    co_return;
  }
  auto started = std::chrono::steady_clock::now();
  json::object answer;
  try {
    auto session = co_await session_for(login);
    mcp::Message message(mcp::MessageKind::request,
                         mcp::make_request(static_cast<std::int64_t>(next_call_id_++), method, std::move(params)));
    auto reply = co_await server_.handle(session, std::move(message), nullptr, request["traceparent"]);
    json::value parsed = reply ? json::parse(*reply, ec) : json::value();
    if (auto* o = parsed.if_object(); o && o->contains("result")) answer["result"] = o->at("result");
    else if (o && o->contains("error")) answer["error"] = o->at("error");
    else answer["error"] = json::object{{"code", mcp::error_code::kInternalError}, {"message", "no answer"}};
  } catch (const mcp::McpError& e) {
    answer["error"] = e.to_error_object();
  }
  answer["durationMs"] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  co_await exchange.respond(api_json(http::status::ok, answer));
}

}  // namespace mcproxy::proxy
