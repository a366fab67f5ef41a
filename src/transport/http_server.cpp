#include "transport/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

awaitable<void> HttpExchange::respond(HttpResponse response) {
  responded_ = true;
  response.version(request_.version());
  response.keep_alive(keep_alive_ && request_.keep_alive());
  if (!response.keep_alive()) keep_alive_ = false;
  response.prepare_payload();
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await http::async_write(stream_, response, kTuple);
  if (ec) keep_alive_ = false;
  stream_.expires_never();
}

awaitable<void> HttpExchange::start_event_stream(HttpResponse headers) {
  responded_ = true;
  streaming_ = true;
  http::response<http::empty_body> res;
  for (auto& field : headers) res.set(field.name_string(), field.value());
  res.result(http::status::ok);
  res.version(request_.version());
  res.set(http::field::content_type, "text/event-stream");
  res.set(http::field::cache_control, "no-cache, no-transform");
  res.set("X-Accel-Buffering", "no");
  res.keep_alive(keep_alive_ && request_.keep_alive());
  if (!res.keep_alive()) keep_alive_ = false;
  res.chunked(true);
  http::response_serializer<http::empty_body> serializer(res);
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await http::async_write_header(stream_, serializer, kTuple);
  stream_.expires_never();
  if (ec) {
    keep_alive_ = false;
    streaming_ = false;
  }
}

awaitable<bool> HttpExchange::send_event(std::string_view sse_text) {
  if (!streaming_) co_return false;
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await asio::async_write(stream_, http::make_chunk(asio::buffer(sse_text)), kTuple);
  stream_.expires_never();
  if (ec) {
    // A timed-out write leaves a chunk half written: the connection cannot be used again.
    keep_alive_ = false;
    streaming_ = false;
    co_return false;
  }
  co_return true;
}

awaitable<void> HttpExchange::end_event_stream() {
  if (!streaming_) co_return;
  streaming_ = false;
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await asio::async_write(stream_, http::make_chunk_last(), kTuple);
  stream_.expires_never();
  if (ec) keep_alive_ = false;
}

std::string format_sse_event(std::string_view data, std::string_view id, std::string_view event) {
  std::string out;
  out.reserve(data.size() + 32);
  if (!event.empty()) out.append("event: ").append(event).append("\n");
  if (!id.empty()) out.append("id: ").append(id).append("\n");
  // Each line of the payload becomes its own data: line (serialized JSON has none).
  std::size_t start = 0;
  do {
    auto nl = data.find('\n', start);
    out.append("data: ").append(data.substr(start, nl - start)).append("\n");
    start = nl == std::string_view::npos ? data.size() + 1 : nl + 1;
  } while (start <= data.size());
  out.append("\n");
  return out;
}

HttpServer::HttpServer(asio::any_io_executor executor, HttpServerOptions options, HttpHandler handler)
    : HttpServer(executor, executor, std::move(options), std::move(handler)) {}

HttpServer::HttpServer(asio::any_io_executor executor, asio::any_io_executor connections,
                       HttpServerOptions options, HttpHandler handler)
    : executor_(executor),
      connection_pool_(std::move(connections)),
      options_(std::move(options)),
      handler_(std::move(handler)),
      acceptor_(executor) {}

void HttpServer::listen() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host, ec);
  if (ec) {
    throw std::runtime_error(fmt::format("httpServer.host: \"{}\" is not an IP address (use "
                                         "127.0.0.1, ::1 or 0.0.0.0)",
                                         options_.host));
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}{}", options_.host, options_.port,
                                         ec.message(),
                                         ec == asio::error::address_in_use
                                             ? " (another program uses this port: pick another with --port)"
                                             : ""));
  }
}

void HttpServer::start_accepting() {
  asio::co_spawn(executor_, [self = shared_from_this()] { return self->accept_loop(); },
                 [](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     spdlog::error("HTTP accept loop ended: {}", ex.what());
                   }
                 });
}

tcp::endpoint HttpServer::local_endpoint() const { return acceptor_.local_endpoint(); }

void HttpServer::stop() {
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  // Connections waiting for a request end now; those inside the handler end with it.
  std::lock_guard lock(mutex_);
  for (auto& c : connections_)
    if (c->idle) interrupt(c, false);
}

void HttpServer::interrupt(const std::shared_ptr<Connection>& c, bool close) {
  asio::post(c->executor, [self = shared_from_this(), c, close] {
    // On the connection's strand, so its coroutine is suspended; still idle means it waits
    // for a request (not inside a handler, which may use the socket from another executor).
    {
      std::lock_guard lock(self->mutex_);
      if (!c->stream) return;
      if (!c->idle) {
        c->closing = false;  // a request arrived meanwhile: it stays, and counts again
        return;
      }
    }
    c->stream->cancel();
    boost::system::error_code ignored;
    if (close) c->stream->socket().close(ignored);
  });
}

void HttpServer::set_idle(Connection& c, bool idle) {
  std::lock_guard lock(mutex_);
  c.idle = idle;
  if (idle) c.idle_since = std::chrono::steady_clock::now();
}

bool HttpServer::evict_oldest_idle() {
  std::lock_guard lock(mutex_);
  std::shared_ptr<Connection> oldest;
  for (auto& c : connections_)
    if (c->idle && !c->closing && (!oldest || c->idle_since < oldest->idle_since)) oldest = c;
  if (!oldest) return false;
  oldest->closing = true;  // counted once: its coroutine ends and unlists it soon
  interrupt(oldest, true);
  return true;
}

awaitable<void> HttpServer::accept_loop() {
  asio::steady_timer backoff(executor_);
  while (!stopping_) {
    // On several threads the accepted socket belongs to a new strand: its connection runs there.
    auto executor = options_.strand_per_connection ? asio::any_io_executor(asio::make_strand(connection_pool_))
                                                   : connection_pool_;
    auto [ec, socket] = co_await acceptor_.async_accept(executor, kTuple);
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
        // Out of file descriptors: free one by closing the oldest idle connection, else wait
        // (the listening socket stays readable, so retrying at once would spin).
        refusals_.warn("fd-limit", fmt::format("accept failed: {} (raise the file limit, or lower "
                                               "httpServer.maxConnections)",
                                               ec.message()));
        if (!evict_oldest_idle()) {
          backoff.expires_after(std::chrono::milliseconds(100));
          co_await backoff.async_wait(kTuple);
        }
        continue;
      }
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    // Count only connections still serving (an evicted one may not have unlisted itself yet).
    std::size_t live = 0;
    {
      std::lock_guard lock(mutex_);
      for (auto& c : connections_) live += c->closing ? 0 : 1;
    }
    if (live >= options_.max_connections && !evict_oldest_idle()) {
      refusals_.warn("maxConnections",
                     fmt::format("refused a connection: {} connections are open and none is idle "
                                 "(httpServer.maxConnections)",
                                 live));
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto strand = socket.get_executor();
    asio::co_spawn(strand,
                   [self = shared_from_this(), s = std::move(socket)]() mutable {
                     return self->serve_connection(std::move(s));
                   },
                   [](std::exception_ptr e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       spdlog::warn("HTTP connection ended with an error: {}", ex.what());
                     }
                   });
  }
}

awaitable<void> HttpServer::serve_connection(tcp::socket socket) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (options_.send_buffer_bytes > 0)
    socket.set_option(asio::socket_base::send_buffer_size(options_.send_buffer_bytes), ec);
  beast::tcp_stream stream(std::move(socket));
  auto self = shared_from_this();
  auto entry = std::make_shared<Connection>(Connection{&stream, stream.get_executor()});
  {
    std::lock_guard lock(mutex_);
    connections_.push_back(entry);
  }
  // Unlisted (and its stream forgotten) on this strand, where interrupt() looks at it.
  struct Unlist {
    HttpServer& server;
    std::shared_ptr<Connection> entry;
    ~Unlist() {
      std::lock_guard lock(server.mutex_);
      entry->stream = nullptr;
      server.connections_.remove(entry);
    }
  } unlist{*this, entry};
  co_await serve(stream, *entry);
}

namespace {

HttpResponse plain_response(http::status status, std::string body) {
  HttpResponse res(status, 11);
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

// After an early error response, read and discard what the client is still sending (bounded)
// so that closing the socket does not reset the connection before the client reads our answer.
awaitable<void> drain_and_close(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::vector<char> sink(64 * 1024);
  std::size_t total = 0;
  stream.expires_after(std::chrono::seconds(2));
  while (total < (256u << 20)) {
    auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (rec) break;
    total += n;
  }
  stream.socket().close(ec);
}

}  // namespace

awaitable<void> HttpServer::serve(beast::tcp_stream& stream, Connection& self) {
  beast::flat_buffer buffer;
  bool first = true;
  while (!stopping_) {
    set_idle(self, true);
    if (!first && buffer.size() == 0) {
      // Keep-alive: wait (up to idleTimeout) for the first byte of the next request; from
      // there, its header has headerTimeout like the first request's.
      stream.expires_after(options_.idle_timeout);
      auto [rec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
      if (rec) break;
      buffer.commit(n);
    }
    first = false;
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    stream.expires_after(options_.header_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    if (!ec && !parser.is_done()) {
      set_idle(self, false);  // a request is arriving: not a candidate for eviction
      stream.expires_after(options_.body_timeout);
      std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, kTuple);
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) {
      if (ec == beast::error::timeout && buffer.size() > 0)
        refusals_.warn("header-timeout",
                       "closed a connection whose request did not arrive in time "
                       "(httpServer.headerTimeoutSeconds)");
      break;
    }
    if (ec == http::error::body_limit) {
      auto res = plain_response(
          http::status::payload_too_large,
          fmt::format(R"x({{"jsonrpc":"2.0","id":null,"error":{{"code":-32600,"message":"Request body )x"
                      R"x(exceeds the limit of {} bytes (httpServer.maxBodyBytes)"}}}})x",
                      options_.max_body_bytes));
      res.keep_alive(false);
      res.prepare_payload();
      stream.expires_after(options_.write_timeout);
      co_await http::async_write(stream, res, kTuple);
      co_await drain_and_close(stream);
      co_return;
    }
    if (ec) {
      auto res = plain_response(http::status::bad_request,
                                fmt::format(R"({{"error":"malformed HTTP request: {}"}})", ec.message()));
      res.keep_alive(false);
      res.prepare_payload();
      stream.expires_after(options_.write_timeout);
      co_await http::async_write(stream, res, kTuple);
      co_await drain_and_close(stream);
      co_return;
    }
    set_idle(self, false);
    stream.expires_never();
    HttpRequest request = parser.release();
    HttpExchange exchange(stream, request, options_.write_timeout);
    co_await handler_(request, exchange);
    if (!exchange.responded()) {
      co_await exchange.respond(plain_response(http::status::internal_server_error,
                                               R"({"error":"no response was produced"})"));
    }
    if (!exchange.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

}  // namespace mcproxy::transport
