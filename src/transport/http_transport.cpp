#include "transport/http_transport.hpp"

#include "mcp/jsonrpc.hpp"
#include "support/redaction.hpp"
#include "transport/http_transport_exchange.hpp"
#include "transport/sse_parser.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <optional>

namespace mcproxy::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {


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
    : executor_(executor), options_(std::move(options)), tasks_(executor) {}

HttpTransport::~HttpTransport() = default;

awaitable<void> HttpTransport::start() {
  url_ = HttpUrl::parse(options_.url);
  HttpClientOptions client;
  client.name = options_.name;
  client.ca_file = options_.ca_file;
  client.insecure = options_.insecure;
  client.connect_timeout = options_.connect_timeout;
  client.max_idle_connections = options_.max_idle_connections;
  client_ = std::make_unique<HttpClient>(executor_, url_, std::move(client));
  if (options_.mode == HttpTransportOptions::Mode::sse) co_await open_legacy();
}

void HttpTransport::negotiated(std::string_view protocol_version) {
  protocol_version_ = protocol_version;
  if (legacy_ || get_stream_started_ || stopping_) return;
  get_stream_started_ = true;
  auto self = shared_from_this();
  auto stream = [self] { return self->get_stream_loop(); };
  tasks_.spawn(fmt::format("[{}] GET stream ended", options_.name), std::move(stream));
}

void HttpTransport::send_request(std::string message, const RequestHeaders& headers) {
  if (stopping_) return;
  auto self = shared_from_this();
  auto exchange = [self, m = std::move(message), h = headers]() mutable -> awaitable<void> {
    if (self->legacy_) {
      json::value id;
      boost::system::error_code ec;
      auto v = json::parse(m, ec);
      if (!ec && v.is_object() && v.get_object().contains("method"))
        if (auto* i = v.get_object().if_contains("id")) id = *i;
      co_await self->legacy_post(std::move(m), std::move(id));
    } else {
      co_await self->post(std::move(m), std::move(h));
    }
  };
  tasks_.spawn(fmt::format("[{}] send failed", options_.name), std::move(exchange));
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
  co_return co_await client_->exchange(req, x.connection, x.parser, timeout);
}

http::request<http::string_body> HttpTransport::json_post(const std::string& target, std::string message) const {
  http::request<http::string_body> req(http::verb::post, target, 11);
  req.set(http::field::host, url_.host_header);
  req.set(http::field::user_agent, "mcproxy/" MCPROXY_VERSION);
  req.set(http::field::content_type, "application/json");
  add_auth_headers(req);  // after ours: the config may override
  req.body() = std::move(message);
  req.prepare_payload();
  return req;
}

awaitable<void> HttpTransport::post(std::string message, RequestHeaders headers, bool retried) {
  // What the message is decides what a failure means: only a request has a caller to tell.
  auto envelope = peek_envelope(message);
  json::value id = envelope.id;
  bool is_initialize = envelope.method == "initialize";

  auto req = json_post(url_.target, std::move(message));
  req.set(http::field::accept, "application/json, text/event-stream");
  if (!session_id_.empty()) req.set("Mcp-Session-Id", session_id_);
  if (!protocol_version_.empty()) req.set("MCP-Protocol-Version", protocol_version_);
  if (!headers.protocol_version.empty()) {  // the stateless era: the standard headers
    req.set("MCP-Protocol-Version", headers.protocol_version);
    req.set("Mcp-Method", headers.method);
    if (!headers.name.empty()) req.set("Mcp-Name", headers.name);
    for (auto& [name, value] : headers.params) req.set("Mcp-Param-" + name, value);
  }
  if (!headers.traceparent.empty()) req.set("traceparent", headers.traceparent);  // W3C Trace Context
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
    if (keep) client_->release(std::move(x.connection));
    else x.connection->close();
    if (options_.credentials) options_.credentials->accepted();
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
  if (keep) client_->release(std::move(x.connection));
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
  // Refused for its credentials: they may be renewed (a refresh) and the request sent once more,
  // or a login is needed and the request fails saying how.
  std::string challenge(head[http::field::www_authenticate]);
  if (options_.credentials && (status == 401 || (status == 403 && !challenge.empty()))) {
    bool again = co_await options_.credentials->refused(status, challenge);
    if (again && !retried) {
      co_await post(std::move(req.body()), std::move(headers), true);
      co_return;
    }
    fail_request(id, mcp::error_code::kBackendUnavailable, request_error(options_.credentials->refusal()));
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
      x.connection = co_await client_->connect();
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
    HttpClient::Busy busy{*client_, x.connection.get()};
    http::request<http::empty_body> req(http::verb::get, url_.target, 11);
    req.set(http::field::host, url_.host_header);
    req.set(http::field::accept, "text/event-stream");
    req.set(http::field::user_agent, "mcproxy/" MCPROXY_VERSION);
    if (!session_id_.empty()) req.set("Mcp-Session-Id", session_id_);
    if (!protocol_version_.empty()) req.set("MCP-Protocol-Version", protocol_version_);
    if (!last_event_id_.empty()) req.set("Last-Event-ID", last_event_id_);
    add_auth_headers(req);
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

awaitable<void> HttpTransport::shutdown() {
  if (stopping_ || !client_) {
    stopping_ = true;
    co_return;
  }
  auto self = shared_from_this();
  if (!legacy_ && !session_id_.empty()) {
    // Best effort, bounded: tell the server the session is over.
    try {
      auto c = co_await client_->acquire();
      http::request<http::empty_body> req(http::verb::delete_, url_.target, 11);
      req.set(http::field::host, url_.host_header);
      req.set("Mcp-Session-Id", session_id_);
      if (!protocol_version_.empty()) req.set("MCP-Protocol-Version", protocol_version_);
      add_auth_headers(req);
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
  client_->stop();
  tasks_.cancel();  // the GET stream and any exchange still running end now
}

}  // namespace mcproxy::transport
