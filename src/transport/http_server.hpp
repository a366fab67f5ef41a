#pragma once
// A small coroutine HTTP/1.1 server on Boost.Beast: one coroutine per connection, keep-alive,
// a body limit enforced while reading (413 before the body is buffered), idle timeouts, and
// responses that are either complete or a Server-Sent Events stream written chunk by chunk.
// It knows nothing of MCP: the handler decides what each request gets.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace mcproxy::transport {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// The answer to one request, written by the handler: either respond() once, or
// start_event_stream() then any number of send_event() and finally end_event_stream().
class HttpExchange {
 public:
  HttpExchange(boost::beast::tcp_stream& stream, const HttpRequest& request)
      : stream_(stream), request_(request) {}

  boost::asio::awaitable<void> respond(HttpResponse response);
  // Sends the header of a `text/event-stream` response (chunked). Extra headers come from
  // `headers` (its status and body are ignored).
  boost::asio::awaitable<void> start_event_stream(HttpResponse headers);
  // Writes raw SSE text (one or more complete events). Returns false if the client is gone.
  boost::asio::awaitable<bool> send_event(std::string_view sse_text);
  boost::asio::awaitable<void> end_event_stream();

  bool responded() const noexcept { return responded_; }
  bool streaming() const noexcept { return streaming_; }
  boost::asio::ip::tcp::socket& socket() noexcept { return stream_.socket(); }
  boost::asio::any_io_executor executor() { return stream_.get_executor(); }
  bool keep_alive() const noexcept { return keep_alive_; }
  void close_after() noexcept { keep_alive_ = false; }

 private:
  boost::beast::tcp_stream& stream_;
  const HttpRequest& request_;
  bool responded_ = false;
  bool streaming_ = false;
  bool keep_alive_ = true;
};

using HttpHandler = std::function<boost::asio::awaitable<void>(HttpRequest&, HttpExchange&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::size_t max_body_bytes = 16u << 20;
  std::size_t max_header_bytes = 64u << 10;
  std::chrono::seconds idle_timeout{120};
  std::chrono::seconds read_timeout{60};
};

class HttpServer : public std::enable_shared_from_this<HttpServer> {
 public:
  HttpServer(boost::asio::any_io_executor executor, HttpServerOptions options, HttpHandler handler);

  // Binds and listens; throws std::runtime_error naming the address if that fails.
  void listen();
  void start_accepting();
  // Stops accepting and closes idle connections; streams in progress end on their own.
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::beast::tcp_stream stream);

  boost::asio::any_io_executor executor_;
  HttpServerOptions options_;
  HttpHandler handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  bool stopping_ = false;
};

// "text/event-stream" event text: optional id, "data:" lines for each line of `data`.
std::string format_sse_event(std::string_view data, std::string_view id = {},
                             std::string_view event = {});

}  // namespace mcproxy::transport
