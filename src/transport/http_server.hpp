#pragma once
// A small coroutine HTTP/1.1 server on Boost.Beast: one coroutine per connection, keep-alive,
// a body limit enforced while reading (413 before the body is buffered), and responses that
// are either complete or a Server-Sent Events stream written chunk by chunk. Every wait is
// bounded: a request header must arrive within headerTimeout of its first byte (of the
// connection's start for the first request), a body within bodyTimeout, an idle keep-alive
// connection is closed after idleTimeout, and a write to a client that stopped reading fails
// after writeTimeout. At most maxConnections are open: at the cap the oldest idle connection
// is closed to admit a new one (a flood of idle sockets cannot lock out a real client), and
// running out of file descriptors does the same instead of spinning. Refusals are logged once
// per cause. It knows nothing of MCP: the handler decides what each request gets.
//
// Threads: the accept loop runs on the server's executor; each connection on a strand of its
// own, made on the `connections` executor (the whole thread pool), so the reading and parsing
// of different connections run in parallel. The handler starts on the connection's strand; it
// may carry the exchange to another executor (HttpExchange::set_executor) as long as the
// connection's coroutine waits meanwhile (it does: it awaits the handler).

#include "support/log_once.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>

namespace mcproxy::transport {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// The answer to one request, written by the handler: either respond() once, or
// start_event_stream() then any number of send_event() and finally end_event_stream().
class HttpExchange {
 public:
  HttpExchange(boost::beast::tcp_stream& stream, const HttpRequest& request,
               std::chrono::milliseconds write_timeout)
      : stream_(stream), request_(request), write_timeout_(write_timeout), executor_(stream.get_executor()) {}

  boost::asio::awaitable<void> respond(HttpResponse response);
  // Sends the header of a `text/event-stream` response (chunked). Extra headers come from
  // `headers` (its status and body are ignored).
  boost::asio::awaitable<void> start_event_stream(HttpResponse headers);
  // Writes raw SSE text (one or more complete events). Returns false if the client is gone or
  // did not take the bytes within the write timeout (the connection is then closed).
  boost::asio::awaitable<bool> send_event(std::string_view sse_text);
  boost::asio::awaitable<void> end_event_stream();

  bool responded() const noexcept { return responded_; }
  bool streaming() const noexcept { return streaming_; }
  boost::asio::ip::tcp::socket& socket() noexcept { return stream_.socket(); }
  // Where the handler runs now: the connection's strand, or the executor the handler moved
  // the exchange to (what runs beside the exchange, e.g. a DisconnectWatch, runs there too).
  boost::asio::any_io_executor executor() const { return executor_; }
  void set_executor(boost::asio::any_io_executor executor) { executor_ = std::move(executor); }
  bool keep_alive() const noexcept { return keep_alive_; }
  void close_after() noexcept { keep_alive_ = false; }

 private:
  boost::beast::tcp_stream& stream_;
  const HttpRequest& request_;
  std::chrono::milliseconds write_timeout_;
  bool responded_ = false;
  bool streaming_ = false;
  bool keep_alive_ = true;
  boost::asio::any_io_executor executor_;
};

using HttpHandler = std::function<boost::asio::awaitable<void>(HttpRequest&, HttpExchange&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::size_t max_body_bytes = 16u << 20;
  std::size_t max_header_bytes = 64u << 10;
  std::size_t max_connections = 1024;
  std::chrono::milliseconds idle_timeout{120'000};    // keep-alive, between requests
  std::chrono::milliseconds header_timeout{10'000};   // one request header
  std::chrono::milliseconds body_timeout{60'000};     // one request body
  std::chrono::milliseconds write_timeout{30'000};    // one write to the client
  // Test-only: SO_SNDBUF of accepted sockets (MCPROXY_TEST_SNDBUF), so that a test can fill a
  // client's pipe with a few KB instead of the kernel's megabytes. 0 leaves the default.
  int send_buffer_bytes = 0;
  // Each connection on a strand of its own made on the `connections` executor (a thread pool);
  // off (one thread: no strand needed), connections run on that executor itself.
  bool strand_per_connection = false;
};

class HttpServer : public std::enable_shared_from_this<HttpServer> {
 public:
  // `connections`: where each connection's strand is made (default: `executor`).
  HttpServer(boost::asio::any_io_executor executor, HttpServerOptions options, HttpHandler handler);
  HttpServer(boost::asio::any_io_executor executor, boost::asio::any_io_executor connections,
             HttpServerOptions options, HttpHandler handler);

  // Binds and listens; throws std::runtime_error naming the address if that fails.
  void listen();
  void start_accepting();
  // Stops accepting and closes idle connections; streams in progress end on their own.
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  std::size_t connections() const {
    std::lock_guard lock(mutex_);
    return connections_.size();
  }

  // Serves one already-connected socket until it closes (the accept loop's per-connection
  // work; also how the fuzzer feeds requests over a socketpair).
  boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket);

 private:
  // One open connection as the accept loop sees it. `stream` is touched only on the
  // connection's own strand (closing it from elsewhere is posted there); the other fields
  // under mutex_.
  struct Connection {
    boost::beast::tcp_stream* stream;  // null once the connection's coroutine ended
    boost::asio::any_io_executor executor;
    bool idle = true;  // waiting for a request (not inside the handler)
    bool closing = false;  // evicted or stopped: no longer counted
    std::chrono::steady_clock::time_point idle_since = std::chrono::steady_clock::now();
  };
  using ConnectionList = std::list<std::shared_ptr<Connection>>;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::beast::tcp_stream& stream, Connection& self);
  void set_idle(Connection& c, bool idle);
  // Closes the connection idle for longest; false if every connection is busy.
  bool evict_oldest_idle();
  // Cancels (and with `close`, closes) an idle connection's socket, on that connection's strand.
  void interrupt(const std::shared_ptr<Connection>& c, bool close);

  boost::asio::any_io_executor executor_;
  boost::asio::any_io_executor connection_pool_;
  HttpServerOptions options_;
  HttpHandler handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_ = false;
  mutable std::mutex mutex_;
  ConnectionList connections_;
  support::LogOncePerCause refusals_;
};

// "text/event-stream" event text: optional id, "data:" lines for each line of `data`.
std::string format_sse_event(std::string_view data, std::string_view id = {},
                             std::string_view event = {});

}  // namespace mcproxy::transport
