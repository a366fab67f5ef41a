// HttpTransport, the legacy HTTP+SSE side (2024-11-05): GET the URL, wait for the `endpoint`
// event (same host only), POST every message there; everything the server says arrives as
// `message` events on that one stream. Used when the config says "sse", or by auto-detection
// when initialize over Streamable HTTP gets 400, 404 or 405 (HttpTransport::post).
#include "transport/http_transport.hpp"

#include "mcp/jsonrpc.hpp"
#include "support/redaction.hpp"
#include "transport/http_transport_exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::transport {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

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
  x.connection = co_await client_->connect();
  HttpClient::Busy busy{*client_, x.connection.get()};
  http::request<http::empty_body> req(http::verb::get, url_.target, 11);
  req.set(http::field::host, url_.host_header);
  req.set(http::field::accept, "text/event-stream");
  req.set(http::field::user_agent, "mcproxy/" MCPROXY_VERSION);
  add_auth_headers(req);
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
  auto req = json_post(endpoint_.target, std::move(message));
  Exchange x(options_.max_message_bytes);
  auto failure = co_await exchange(req, x, options_.connect_timeout);
  if (!failure.empty()) {
    fail_request(id, mcp::error_code::kBackendUnavailable, request_error(failure));
    co_return;
  }
  bool ok = co_await read_body(x, false);
  auto status = x.parser->get().result_int();
  x.connection->tcp().expires_never();
  if (ok && x.parser->get().keep_alive()) client_->release(std::move(x.connection));
  else x.connection->close();
  if (status / 100 != 2) {
    if (status == 404) report_closed("the server ended the SSE session (HTTP 404)");
    fail_request(id, mcp::error_code::kBackendUnavailable, request_error(fmt::format("HTTP {} on POST", status)));
  }
}

}  // namespace mcproxy::transport
