#include "transport/http_transport.hpp"

#include "mcp/jsonrpc.hpp"
#include "support/redaction.hpp"
#include "transport/sse_parser.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <openssl/ssl.h>

#include <optional>
#include <variant>

namespace mcproxy::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct HttpTransport::Connection {
  template <class... Args>
  explicit Connection(Args&&... args) : stream(std::forward<Args>(args)...) {}

  std::variant<beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false;

  beast::tcp_stream& tcp() {
    if (auto* s = std::get_if<beast::tcp_stream>(&stream)) return *s;
    return beast::get_lowest_layer(std::get<1>(stream));
  }
  void close() {
    boost::system::error_code ec;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp().socket().close(ec);
  }
  template <class Message>
  awaitable<boost::system::error_code> write(Message& message) {
    co_return co_await std::visit(
        [&](auto& s) -> awaitable<boost::system::error_code> {
          auto [ec, n] = co_await http::async_write(s, message, kTuple);
          co_return ec;
        },
        stream);
  }
  template <class Parser>
  awaitable<boost::system::error_code> read_header(Parser& parser) {
    co_return co_await std::visit(
        [&](auto& s) -> awaitable<boost::system::error_code> {
          auto [ec, n] = co_await http::async_read_header(s, buffer, parser, kTuple);
          co_return ec;
        },
        stream);
  }
  template <class Parser>
  awaitable<boost::system::error_code> read_some(Parser& parser) {
    co_return co_await std::visit(
        [&](auto& s) -> awaitable<boost::system::error_code> {
          auto [ec, n] = co_await http::async_read_some(s, buffer, parser, kTuple);
          co_return ec;
        },
        stream);
  }
};

// One request and its response being read.
struct HttpTransport::Exchange {
  explicit Exchange(std::size_t max_message_bytes) : sse(max_message_bytes) {}
  std::unique_ptr<Connection> connection;
  // Re-made for each attempt (a parser that saw an error is not reused).
  std::optional<http::response_parser<http::buffer_body>> parser{std::in_place};
  std::string body;  // JSON (or error) bodies
  SseParser sse;
  bool event_stream = false;
  bool resumable = false;   // the server gave event ids or a retry delay
  bool standalone = false;  // the GET stream: its event ids are what Last-Event-ID resumes
};

namespace {

// Lists a long-lived connection (a stream) so shutdown can close it; unlists it when done.
template <class Connection>
struct BusyMark {
  BusyMark(std::vector<Connection*>& list, Connection* c) : list(list), c(c) { list.push_back(c); }
  ~BusyMark() { std::erase(list, c); }
  std::vector<Connection*>& list;
  Connection* c;
};

std::string_view content_type(const http::response_header<>& h) { return h[http::field::content_type]; }

struct Envelope {
  json::value id;           // set for a request
  std::string_view method;  // empty for a response
};

// The id and method of an outgoing message. The proxy serializes its own requests as
// {"jsonrpc":"2.0","id":N,"method":"..." (make_request's key order), so reading that prefix
// avoids parsing every message a second time; anything else gets a full parse.
Envelope peek_envelope(std::string_view message) {
  constexpr std::string_view kPrefix = R"({"jsonrpc":"2.0","id":)";
  if (message.starts_with(kPrefix)) {
    std::size_t i = kPrefix.size();
    std::int64_t n = 0;
    std::size_t digits = 0;
    while (i < message.size() && message[i] >= '0' && message[i] <= '9' && digits < 18)
      n = n * 10 + (message[i++] - '0'), ++digits;
    constexpr std::string_view kMethod = R"(,"method":")";
    if (digits > 0 && message.substr(i).starts_with(kMethod)) {
      i += kMethod.size();
      auto end = message.find('"', i);
      if (end != std::string_view::npos) return Envelope{json::value(n), message.substr(i, end - i)};
    }
    if (digits > 0 && message.substr(i).starts_with(R"(,"result")")) return Envelope{};
  }
  // Not the proxy's own request shape (e.g. an error reply): a streaming read of the envelope,
  // which builds nothing and has no depth limit. Only "initialize" matters to the caller, and
  // the proxy's initialize always has the shape above.
  auto peeked = mcp::peek_envelope(message);
  Envelope e;
  if (peeked.has_method) {
    e.id = std::move(peeked.id);
    e.method = "other";
  }
  return e;
}

// Whether an error body says the session is the problem ("No valid session ID provided").
bool mentions_session(std::string_view body) {
  std::string lower(body.substr(0, 4096));
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("session") != std::string::npos;
}

}  // namespace

HttpTransport::HttpTransport(asio::any_io_executor executor, HttpTransportOptions options)
    : executor_(executor), options_(std::move(options)) {}

HttpTransport::~HttpTransport() {
  for (auto& c : idle_) c->close();
}

awaitable<void> HttpTransport::start() {
  auto parsed = boost::urls::parse_uri(options_.url);
  if (!parsed) throw std::runtime_error(fmt::format("\"{}\" is not a valid URL", support::redact_url(options_.url)));
  url_.tls = parsed->scheme() == "https";
  url_.host = parsed->host();
  url_.port = parsed->has_port() ? std::string(parsed->port()) : (url_.tls ? "443" : "80");
  // Host names the port unless it is the scheme's default (RFC 9110 §7.2).
  host_header_ = url_.host;
  if (url_.port != (url_.tls ? "443" : "80")) host_header_ += ":" + url_.port;
  url_.target = std::string(parsed->encoded_path().empty() ? "/" : std::string_view(parsed->encoded_path()));
  if (parsed->has_query()) url_.target += "?" + std::string(parsed->encoded_query());
  if (url_.tls) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    if (options_.insecure) {
      spdlog::warn("[{}] TLS certificate and host name checks are OFF (tls.insecure): anyone on the "
                   "path can impersonate {}",
                   options_.name, url_.host);
      tls_->set_verify_mode(asio::ssl::verify_none);
    } else {
      tls_->set_default_verify_paths();
      if (!options_.ca_file.empty()) {
        boost::system::error_code ec;
        tls_->load_verify_file(options_.ca_file, ec);
        if (ec)
          throw std::runtime_error(fmt::format("cannot read tls.caFile \"{}\": {}", options_.ca_file, ec.message()));
      }
      tls_->set_verify_mode(asio::ssl::verify_peer);
    }
  }
  if (options_.mode == HttpTransportOptions::Mode::sse) co_await open_legacy();
}

void HttpTransport::negotiated(std::string_view protocol_version) {
  protocol_version_ = protocol_version;
  if (legacy_ || get_stream_started_ || stopping_) return;
  get_stream_started_ = true;
  auto self = shared_from_this();
  asio::co_spawn(executor_, [self] { return self->get_stream_loop(); }, [name = options_.name](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::warn("[{}] GET stream ended: {}", name, ex.what());
    }
  });
}

awaitable<std::unique_ptr<HttpTransport::Connection>> HttpTransport::connect() {
  // IP literals and localhost need no resolver. (Asio's resolver runs on an internal thread
  // that Boost.Process stops and restarts around each fork; a lookup pending while a stdio
  // backend is spawned can be lost, so it is avoided where it is not needed.)
  std::vector<tcp::endpoint> endpoints;
  unsigned short port = static_cast<unsigned short>(std::stoi(url_.port));
  boost::system::error_code aec;
  std::string literal = url_.host;
  if (literal.size() > 2 && literal.front() == '[') literal = literal.substr(1, literal.size() - 2);
  auto address = asio::ip::make_address(literal, aec);
  if (!aec) {
    endpoints.emplace_back(address, port);
  } else if (url_.host == "localhost") {
    endpoints.emplace_back(asio::ip::make_address("127.0.0.1"), port);
    endpoints.emplace_back(asio::ip::make_address("::1"), port);
  } else {
    tcp::resolver resolver(executor_);
    auto [rec, results] = co_await resolver.async_resolve(url_.host, url_.port, kTuple);
    if (rec) throw std::runtime_error(fmt::format("cannot resolve {}: {}", url_.host, rec.message()));
    for (auto& r : results) endpoints.push_back(r.endpoint());
  }
  beast::tcp_stream tcp_stream(executor_);
  tcp_stream.expires_after(options_.connect_timeout);
  auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, kTuple);
  if (cec) {
    throw std::runtime_error(fmt::format("cannot connect to {}:{}: {}", url_.host, url_.port,
                                         cec == beast::error::timeout ? "timed out (connectTimeoutMs)" : cec.message()));
  }
  tcp_stream.socket().set_option(tcp::no_delay(true));
  if (!url_.tls) {
    tcp_stream.expires_never();
    co_return std::make_unique<Connection>(std::in_place_index<0>, std::move(tcp_stream));
  }
  auto connection = std::make_unique<Connection>(std::in_place_index<1>, std::move(tcp_stream), *tls_);
  auto& tls = std::get<1>(connection->stream);
  // SNI, and the name the certificate must carry.
  SSL_set_tlsext_host_name(tls.native_handle(), url_.host.c_str());
  if (!options_.insecure) tls.set_verify_callback(asio::ssl::host_name_verification(url_.host));
  auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, kTuple);
  if (hec) {
    throw std::runtime_error(fmt::format("TLS handshake with {} failed: {}{}", url_.host, hec.message(),
                                         options_.insecure ? "" : " (check tls.caFile, or set tls.insecure for a test server)"));
  }
  beast::get_lowest_layer(tls).expires_never();
  co_return connection;
}

awaitable<std::unique_ptr<HttpTransport::Connection>> HttpTransport::acquire() {
  // Servers close idle keep-alive connections (Node.js after 5 s): older ones are not tried.
  auto fresh_enough = std::chrono::steady_clock::now() - std::chrono::seconds(4);
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (c->tcp().socket().is_open() && c->idle_since > fresh_enough) {
      c->reused = true;
      co_return c;
    }
    c->close();
  }
  co_return co_await connect();
}

void HttpTransport::release(std::unique_ptr<Connection> connection) {
  if (stopping_ || idle_.size() >= options_.max_idle_connections) {
    connection->close();
    return;
  }
  connection->idle_since = std::chrono::steady_clock::now();
  connection->buffer.clear();
  idle_.push_back(std::move(connection));
}

void HttpTransport::send(std::string message) {
  if (stopping_) return;
  auto self = shared_from_this();
  asio::co_spawn(executor_,
                 [self, m = std::move(message)]() mutable -> awaitable<void> {
                   if (self->legacy_) {
                     json::value id;
                     boost::system::error_code ec;
                     auto v = json::parse(m, ec);
                     if (!ec && v.is_object() && v.get_object().contains("method"))
                       if (auto* i = v.get_object().if_contains("id")) id = *i;
                     co_await self->legacy_post(std::move(m), std::move(id));
                   } else {
                     co_await self->post(std::move(m));
                   }
                 },
                 [name = options_.name](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     spdlog::warn("[{}] send failed: {}", name, ex.what());
                   }
                 });
}

void HttpTransport::deliver(std::string_view payload) {
  if (!on_message || payload.empty()) return;
  // A 2025-03-26 server may answer with a batch.
  if (payload.front() == '[') {
    boost::system::error_code ec;
    auto v = json::parse(payload, ec);
    if (!ec && v.is_array()) {
      for (auto& item : v.get_array()) on_message(json::serialize(item));
      return;
    }
  }
  on_message(payload);
}

void HttpTransport::fail_request(const json::value& id, int code, std::string message) {
  if (id.is_null() || !on_message) return;
  on_message(json::serialize(mcp::make_error(id, code, message)));
}

void HttpTransport::report_closed(std::string reason) {
  if (closed_reported_ || stopping_) return;
  closed_reported_ = true;
  if (on_closed) on_closed(std::move(reason));
}

std::string HttpTransport::request_error(std::string_view what) const {
  return fmt::format("backend '{}' ({}): {}", options_.name, support::redact_url(options_.url), what);
}

awaitable<bool> HttpTransport::read_body(Exchange& x, bool deliver_json) {
  char chunk[16 * 1024];
  while (!x.parser->is_done()) {
    x.parser->get().body().data = chunk;
    x.parser->get().body().size = sizeof chunk;
    auto ec = co_await x.connection->read_some(*x.parser);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return false;
    std::size_t got = sizeof chunk - x.parser->get().body().size;
    if (x.event_stream) {
      bool fits = x.sse.feed(std::string_view(chunk, got), [&](SseEvent&& event) {
        // Only the GET stream is resumed with Last-Event-ID; ids of POST streams belong to
        // those streams (sending one on a GET asks the server to replay that POST instead).
        if (x.standalone && !event.id.empty()) last_event_id_ = event.id;
        if (!event.id.empty()) x.resumable = true;
        if (event.event == "message" && !event.data.empty()) deliver(event.data);
      });
      if (!fits) {
        overflows_.warn("sse", fmt::format("[{}] sent an SSE event over {} bytes (maxMessageBytes): "
                                           "the stream is given up",
                                           options_.name, options_.max_message_bytes));
        co_return false;
      }
      if (x.sse.retry_ms()) x.resumable = true;
    } else {
      x.body.append(chunk, got);
      if (x.body.size() > options_.max_message_bytes) {
        overflows_.warn("body", fmt::format("[{}] sent a response body over {} bytes (maxMessageBytes)",
                                            options_.name, options_.max_message_bytes));
        co_return false;
      }
    }
  }
  if (!x.event_stream && deliver_json && !x.body.empty()) deliver(x.body);
  co_return true;
}

awaitable<std::string> HttpTransport::exchange(http::request<http::string_body>& req, Exchange& x,
                                                std::chrono::milliseconds timeout) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string failure;
    try {
      if (attempt == 0) x.connection = co_await acquire();
      else x.connection = co_await connect();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) co_return failure;
    bool reused = x.connection->reused;
    x.connection->tcp().expires_after(timeout);
    x.parser.emplace();
    x.parser->body_limit(boost::none);
    auto ec = co_await x.connection->write(req);
    if (!ec) ec = co_await x.connection->read_header(*x.parser);
    if (!ec) co_return std::string();
    x.connection->close();
    // A reused keep-alive connection that the server had closed meanwhile never delivered the
    // request: one more try on a new connection. Anything else is the answer.
    if (!reused || x.parser->got_some())
      co_return ec == beast::error::timeout ? std::string("no response in time") : ec.message();
  }
  co_return std::string("the connection closed before any response");
}

awaitable<void> HttpTransport::post(std::string message) {
  // What the message is decides what a failure means: only a request has a caller to tell.
  auto envelope = peek_envelope(message);
  json::value id = envelope.id;
  bool is_initialize = envelope.method == "initialize";

  http::request<http::string_body> req(http::verb::post, url_.target, 11);
  req.set(http::field::host, host_header_);
  req.set(http::field::user_agent, "mcproxy/" MCPROXY_VERSION);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "application/json, text/event-stream");
  if (!session_id_.empty()) req.set("Mcp-Session-Id", session_id_);
  if (!protocol_version_.empty()) req.set("MCP-Protocol-Version", protocol_version_);
  for (auto& [k, v] : options_.headers) req.set(k, v);
  req.body() = std::move(message);
  req.prepare_payload();
  Exchange x(options_.max_message_bytes);
  auto failure = co_await exchange(req, x, options_.io_timeout);
  if (!failure.empty()) {
    fail_request(id, mcp::error_code::kBackendUnavailable, request_error(failure));
    // The server is gone (or unreachable): the connection is over, the backend reconnects.
    if (!x.connection || !x.connection->tcp().socket().is_open())
      report_closed(fmt::format("the server cannot be reached: {}", failure));
    co_return;
  }
  auto& head = x.parser->get();
  auto status = head.result_int();
  if (is_initialize) {
    if (auto sid = head["mcp-session-id"]; !sid.empty()) session_id_ = std::string(sid);
  }
  if (is_initialize && options_.mode == HttpTransportOptions::Mode::auto_detect &&
      (status == 400 || status == 404 || status == 405)) {
    x.connection->close();
    spdlog::info("[{}] initialize got HTTP {}: trying the legacy HTTP+SSE transport", options_.name, status);
    try {
      co_await open_legacy();
    } catch (const std::exception& e) {
      fail_request(id, mcp::error_code::kBackendUnavailable,
                   request_error(fmt::format("neither Streamable HTTP (HTTP {}) nor legacy SSE works: {}", status, e.what())));
      co_return;
    }
    co_await legacy_post(req.body(), id);
    co_return;
  }
  x.event_stream = status == 200 && content_type(head).starts_with("text/event-stream");
  bool ok = co_await read_body(x, status == 200);
  bool keep = ok && head.keep_alive() && x.parser->is_done();
  if (status == 200 || status == 202) {
    if (keep) release(std::move(x.connection));
    else x.connection->close();
    if (!ok && !id.is_null()) {
      fail_request(id, mcp::error_code::kBackendUnavailable, request_error("the response stream broke off"));
    } else if (status == 200 && id.is_int64() && awaiting && awaiting(id.get_int64()) &&
               !(x.event_stream && x.resumable)) {
      // The exchange is over and did not answer the request (garbage, another id, a stream that
      // ended early): fail it now rather than at its deadline. A stream the server marked as
      // resumable (event ids, retry) may still deliver it later.
      fail_request(id, mcp::error_code::kBackendUnavailable,
                   request_error(x.event_stream ? "the response stream ended without an answer"
                                                : "the response body is not an answer to the request"));
    }
    co_return;
  }
  if (keep) release(std::move(x.connection));
  else x.connection->close();
  // A server that no longer knows our session (it restarted, or expired it) refuses with 404
  // as the spec says, or 400 naming the session (the reference servers): the request was not
  // processed, so the backend may send it again on a new session.
  bool stale_session = !session_id_.empty() && !is_initialize &&
                       (status == 404 || (status == 400 && mentions_session(x.body)));
  if (stale_session) {
    fail_request(id, mcp::error_code::kUpstreamSessionExpired,
                 request_error(fmt::format("the server no longer knows the session (HTTP {})", status)));
    report_closed(fmt::format("the server no longer knows the session (HTTP {}); re-initializing", status));
    co_return;
  }
  std::string detail = x.body.size() > 300 ? x.body.substr(0, 300) + "..." : x.body;
  // A JSON-RPC error in the body is the server's own answer: pass it on unchanged.
  if (!id.is_null() && !x.body.empty()) {
    boost::system::error_code ec;
    auto v = json::parse(x.body, ec);
    if (!ec && v.is_object() && v.get_object().contains("error")) {
      auto& o = v.get_object();
      o["id"] = id;
      deliver(json::serialize(o));
      co_return;
    }
  }
  std::string hint = status == 401 || status == 403 ? " (check the backend's auth/headers settings)" : "";
  fail_request(id, mcp::error_code::kBackendUnavailable,
               request_error(fmt::format("HTTP {}{}{}{}", status, hint, detail.empty() ? "" : ": ", detail)));
}

awaitable<void> HttpTransport::get_stream_loop() {
  auto self = shared_from_this();
  std::chrono::milliseconds delay{1000};
  while (!stopping_) {
    Exchange x(options_.max_message_bytes);
    std::string failure;
    try {
      x.connection = co_await connect();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) {
      spdlog::debug("[{}] GET stream: {}", options_.name, failure);
      asio::steady_timer t(executor_, delay);
      co_await t.async_wait(kTuple);
      delay = std::min(delay * 2, std::chrono::milliseconds(30'000));
      continue;
    }
    BusyMark busy{busy_, x.connection.get()};
    http::request<http::empty_body> req(http::verb::get, url_.target, 11);
    req.set(http::field::host, host_header_);
    req.set(http::field::accept, "text/event-stream");
    req.set(http::field::user_agent, "mcproxy/" MCPROXY_VERSION);
    if (!session_id_.empty()) req.set("Mcp-Session-Id", session_id_);
    if (!protocol_version_.empty()) req.set("MCP-Protocol-Version", protocol_version_);
    if (!last_event_id_.empty()) req.set("Last-Event-ID", last_event_id_);
    for (auto& [k, v] : options_.headers) req.set(k, v);
    auto write_error = co_await x.connection->write(req);
    if (write_error) continue;
    x.parser->body_limit(boost::none);
    auto read_error = co_await x.connection->read_header(*x.parser);
    if (read_error) continue;
    auto status = x.parser->get().result_int();
    if (status == 405 || status == 406) {
      spdlog::debug("[{}] the server offers no GET stream (HTTP {})", options_.name, status);
      x.connection->close();
      co_return;
    }
    if (!session_id_.empty() && (status == 404 || status == 400)) {
      x.connection->close();
      report_closed(fmt::format("the server no longer knows the session (HTTP {} on the GET stream); "
                                "re-initializing",
                                status));
      co_return;
    }
    if (status != 200) {
      x.connection->close();
      asio::steady_timer t(executor_, delay);
      co_await t.async_wait(kTuple);
      delay = std::min(delay * 2, std::chrono::milliseconds(30'000));
      continue;
    }
    x.event_stream = true;
    x.standalone = true;
    bool whole = co_await read_body(x, false);
    x.connection->close();
    if (stopping_) break;
    if (!whole && x.sse.overflowed()) {
      // A server that floods its GET stream is retried with backoff, not at once.
      asio::steady_timer t(executor_, delay);
      co_await t.async_wait(kTuple);
      delay = std::min(delay * 2, std::chrono::milliseconds(30'000));
      continue;
    }
    delay = std::chrono::milliseconds(1000);
    // The server closed the stream: come back after its retry hint (or a second).
    asio::steady_timer t(executor_, std::chrono::milliseconds(std::min<std::uint64_t>(x.sse.retry_ms().value_or(1000), 60'000)));
    co_await t.async_wait(kTuple);
  }
}

awaitable<void> HttpTransport::open_legacy() {
  legacy_ = true;
  auto ready = std::make_shared<asio::steady_timer>(executor_, std::chrono::steady_clock::time_point::max());
  auto self = shared_from_this();
  asio::co_spawn(executor_, [self, ready] { return self->legacy_stream(ready); },
                 [self](std::exception_ptr e) {
                   std::string why = "the SSE stream closed";
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       why = ex.what();
                     }
                   }
                   self->report_closed(why);
                 });
  ready->expires_after(options_.connect_timeout);
  auto [ec] = co_await ready->async_wait(kTuple);
  if (endpoint_.host.empty()) {
    throw std::runtime_error(fmt::format("no \"endpoint\" event on the SSE stream of {} within {} ms",
                                         support::redact_url(options_.url), options_.connect_timeout.count()));
  }
}

awaitable<void> HttpTransport::legacy_stream(std::shared_ptr<asio::steady_timer> ready) {
  Exchange x(options_.max_message_bytes);
  x.connection = co_await connect();
  BusyMark busy{busy_, x.connection.get()};
  http::request<http::empty_body> req(http::verb::get, url_.target, 11);
  req.set(http::field::host, host_header_);
  req.set(http::field::accept, "text/event-stream");
  req.set(http::field::user_agent, "mcproxy/" MCPROXY_VERSION);
  for (auto& [k, v] : options_.headers) req.set(k, v);
  auto write_error = co_await x.connection->write(req);
  if (write_error) throw std::runtime_error(write_error.message());
  x.parser->body_limit(boost::none);
  auto read_error = co_await x.connection->read_header(*x.parser);
  if (read_error) throw std::runtime_error(read_error.message());
  auto status = x.parser->get().result_int();
  if (status != 200 || !content_type(x.parser->get()).starts_with("text/event-stream"))
    throw std::runtime_error(fmt::format("GET {} answered HTTP {} without an event stream",
                                         support::redact_url(options_.url), status));
  char chunk[16 * 1024];
  while (!x.parser->is_done() && !stopping_) {
    x.parser->get().body().data = chunk;
    x.parser->get().body().size = sizeof chunk;
    auto ec = co_await x.connection->read_some(*x.parser);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) break;
    std::size_t got = sizeof chunk - x.parser->get().body().size;
    bool fits = x.sse.feed(std::string_view(chunk, got), [&](SseEvent&& event) {
      if (event.event == "endpoint") {
        // Relative to the SSE URL (the TypeScript SDK sends "/message?sessionId=...").
        auto base = boost::urls::parse_uri(options_.url);
        auto ref = boost::urls::parse_uri_reference(event.data);
        if (!base || !ref) return;
        boost::urls::url resolved;
        if (!boost::urls::resolve(*base, *ref, resolved)) return;
        endpoint_.tls = resolved.scheme() == "https";
        endpoint_.host = resolved.host();
        endpoint_.port = resolved.has_port() ? std::string(resolved.port()) : url_.port;
        endpoint_.target = std::string(resolved.encoded_path());
        if (resolved.has_query()) endpoint_.target += "?" + std::string(resolved.encoded_query());
        if (endpoint_.host != url_.host) {
          spdlog::error("[{}] the SSE endpoint is on another host ({}): refused", options_.name, endpoint_.host);
          endpoint_ = {};
          return;
        }
        ready->cancel();
      } else if (event.event == "message" && !event.data.empty()) {
        deliver(event.data);
      }
    });
    if (!fits) {
      x.connection->close();
      throw std::runtime_error(fmt::format("the SSE stream sent an event over {} bytes (maxMessageBytes)",
                                           options_.max_message_bytes));
    }
  }
  x.connection->close();
}

awaitable<void> HttpTransport::legacy_post(std::string message, json::value id) {
  http::request<http::string_body> req(http::verb::post, endpoint_.target, 11);
  req.set(http::field::host, host_header_);
  req.set(http::field::user_agent, "mcproxy/" MCPROXY_VERSION);
  req.set(http::field::content_type, "application/json");
  for (auto& [k, v] : options_.headers) req.set(k, v);
  req.body() = std::move(message);
  req.prepare_payload();
  Exchange x(options_.max_message_bytes);
  auto failure = co_await exchange(req, x, options_.connect_timeout);
  if (!failure.empty()) {
    fail_request(id, mcp::error_code::kBackendUnavailable, request_error(failure));
    co_return;
  }
  bool ok = co_await read_body(x, false);
  auto status = x.parser->get().result_int();
  x.connection->tcp().expires_never();
  if (ok && x.parser->get().keep_alive()) release(std::move(x.connection));
  else x.connection->close();
  if (status / 100 != 2) {
    if (status == 404) report_closed("the server ended the SSE session (HTTP 404)");
    fail_request(id, mcp::error_code::kBackendUnavailable, request_error(fmt::format("HTTP {} on POST", status)));
  }
}

awaitable<void> HttpTransport::shutdown() {
  if (stopping_) co_return;
  auto self = shared_from_this();
  if (!legacy_ && !session_id_.empty()) {
    // Best effort, bounded: tell the server the session is over.
    try {
      auto c = co_await acquire();
      http::request<http::empty_body> req(http::verb::delete_, url_.target, 11);
      req.set(http::field::host, host_header_);
      req.set("Mcp-Session-Id", session_id_);
      if (!protocol_version_.empty()) req.set("MCP-Protocol-Version", protocol_version_);
      for (auto& [k, v] : options_.headers) req.set(k, v);
      c->tcp().expires_after(std::chrono::seconds(2));
      auto write_error = co_await c->write(req);
      if (!write_error) {
        http::response_parser<http::string_body> parser;
        co_await c->read_header(parser);
      }
      c->close();
    } catch (const std::exception&) {
    }
  }
  stopping_ = true;
  for (auto* c : busy_) c->close();
  for (auto& c : idle_) c->close();
  idle_.clear();
}

}  // namespace mcproxy::transport
