#include "transport/http_client.hpp"

#include "support/redaction.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <openssl/ssl.h>

#include <algorithm>
#include <stdexcept>

namespace mcproxy::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

HttpUrl HttpUrl::parse(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") || parsed->host().empty())
    throw std::runtime_error(fmt::format("\"{}\" is not a valid http(s) URL", support::redact_url(std::string(url))));
  HttpUrl u;
  u.tls = parsed->scheme() == "https";
  u.host = parsed->host();
  u.port = parsed->has_port() ? std::string(parsed->port()) : (u.tls ? "443" : "80");
  // Host names the port unless it is the scheme's default (RFC 9110 §7.2).
  u.host_header = u.host;
  if (u.port != (u.tls ? "443" : "80")) u.host_header += ":" + u.port;
  u.target = std::string(parsed->encoded_path().empty() ? "/" : std::string_view(parsed->encoded_path()));
  if (parsed->has_query()) u.target += "?" + std::string(parsed->encoded_query());
  return u;
}

// --- HttpConnection ----------------------------------------------------------------------------

beast::tcp_stream& HttpConnection::tcp() {
  if (auto* s = std::get_if<beast::tcp_stream>(&stream_)) return *s;
  return beast::get_lowest_layer(std::get<1>(stream_));
}

void HttpConnection::close() {
  boost::system::error_code ec;
  tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
  tcp().socket().close(ec);
}

namespace {

// Coroutines (not plain functions returning the awaitable): the visiting lambda must live until
// the write or read completes, which it does as a temporary of the co_await expression.
template <class Stream, class Message>
awaitable<boost::system::error_code> write_on(Stream& stream, Message& message) {
  co_return co_await std::visit(
      [&](auto& s) -> awaitable<boost::system::error_code> {
        auto [ec, n] = co_await http::async_write(s, message, kTuple);
        co_return ec;
      },
      stream);
}

template <class Stream, class Parser>
awaitable<boost::system::error_code> read_header_on(Stream& stream, beast::flat_buffer& buffer, Parser& parser) {
  co_return co_await std::visit(
      [&](auto& s) -> awaitable<boost::system::error_code> {
        auto [ec, n] = co_await http::async_read_header(s, buffer, parser, kTuple);
        co_return ec;
      },
      stream);
}

}  // namespace

awaitable<boost::system::error_code> HttpConnection::write(http::request<http::string_body>& m) {
  co_return co_await write_on(stream_, m);
}
awaitable<boost::system::error_code> HttpConnection::write(http::request<http::empty_body>& m) {
  co_return co_await write_on(stream_, m);
}
awaitable<boost::system::error_code> HttpConnection::read_header(HttpResponseParser& parser) {
  co_return co_await read_header_on(stream_, buffer_, parser);
}
awaitable<boost::system::error_code> HttpConnection::read_header(http::response_parser<http::string_body>& parser) {
  co_return co_await read_header_on(stream_, buffer_, parser);
}
awaitable<boost::system::error_code> HttpConnection::read_some(HttpResponseParser& parser) {
  co_return co_await std::visit(
      [&](auto& s) -> awaitable<boost::system::error_code> {
        auto [ec, n] = co_await http::async_read_some(s, buffer_, parser, kTuple);
        co_return ec;
      },
      stream_);
}

// --- HttpClient --------------------------------------------------------------------------------

HttpClient::HttpClient(asio::any_io_executor executor, HttpUrl origin, HttpClientOptions options)
    : executor_(std::move(executor)), origin_(std::move(origin)), options_(std::move(options)) {
  if (!origin_.tls) return;
  tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  if (options_.insecure) {
    spdlog::warn("[{}] TLS certificate and host name checks are OFF (tls.insecure): anyone on the "
                 "path can impersonate {}",
                 options_.name, origin_.host);
    tls_->set_verify_mode(asio::ssl::verify_none);
    return;
  }
  tls_->set_default_verify_paths();
  if (!options_.ca_file.empty()) {
    boost::system::error_code ec;
    tls_->load_verify_file(options_.ca_file, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot read tls.caFile \"{}\": {}", options_.ca_file, ec.message()));
  }
  tls_->set_verify_mode(asio::ssl::verify_peer);
}

HttpClient::~HttpClient() { stop(); }

awaitable<std::unique_ptr<HttpConnection>> HttpClient::connect() {
  // IP literals and localhost need no resolver. (Asio's resolver runs on an internal thread
  // that Boost.Process stops and restarts around each fork; a lookup pending while a stdio
  // backend is spawned can be lost, so it is avoided where it is not needed.)
  std::vector<tcp::endpoint> endpoints;
  unsigned short port = static_cast<unsigned short>(std::stoi(origin_.port));
  boost::system::error_code aec;
  std::string literal = origin_.host;
  if (literal.size() > 2 && literal.front() == '[') literal = literal.substr(1, literal.size() - 2);
  auto address = asio::ip::make_address(literal, aec);
  if (!aec) {
    endpoints.emplace_back(address, port);
  } else if (origin_.host == "localhost") {
    endpoints.emplace_back(asio::ip::make_address("127.0.0.1"), port);
    endpoints.emplace_back(asio::ip::make_address("::1"), port);
  } else {
    tcp::resolver resolver(executor_);
    auto [rec, results] = co_await resolver.async_resolve(origin_.host, origin_.port, kTuple);
    if (rec) throw std::runtime_error(fmt::format("cannot resolve {}: {}", origin_.host, rec.message()));
    for (auto& r : results) endpoints.push_back(r.endpoint());
  }
  beast::tcp_stream tcp_stream(executor_);
  tcp_stream.expires_after(options_.connect_timeout);
  auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, kTuple);
  if (cec) {
    throw std::runtime_error(fmt::format("cannot connect to {}:{}: {}", origin_.host, origin_.port,
                                         cec == beast::error::timeout ? "timed out (connectTimeoutMs)" : cec.message()));
  }
  tcp_stream.socket().set_option(tcp::no_delay(true));
  if (!origin_.tls) {
    tcp_stream.expires_never();
    co_return std::make_unique<HttpConnection>(std::in_place_index<0>, std::move(tcp_stream));
  }
  auto connection = std::make_unique<HttpConnection>(std::in_place_index<1>, std::move(tcp_stream), *tls_);
  auto& tls = std::get<1>(connection->stream_);
  // SNI, and the name the certificate must carry.
  SSL_set_tlsext_host_name(tls.native_handle(), origin_.host.c_str());
  if (!options_.insecure) tls.set_verify_callback(asio::ssl::host_name_verification(origin_.host));
  auto [hec] = co_await tls.async_handshake(asio::ssl::stream_base::client, kTuple);
  if (hec) {
    throw std::runtime_error(fmt::format("TLS handshake with {} failed: {}{}", origin_.host, hec.message(),
                                         options_.insecure ? "" : " (check tls.caFile, or set tls.insecure for a test server)"));
  }
  beast::get_lowest_layer(tls).expires_never();
  co_return connection;
}

awaitable<std::unique_ptr<HttpConnection>> HttpClient::acquire() {
  // Servers close idle keep-alive connections (Node.js after 5 s): older ones are not tried.
  auto fresh_enough = std::chrono::steady_clock::now() - std::chrono::seconds(4);
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (c->tcp().socket().is_open() && c->idle_since_ > fresh_enough) {
      c->reused_ = true;
      co_return c;
    }
    c->close();
  }
  co_return co_await connect();
}

void HttpClient::release(std::unique_ptr<HttpConnection> connection) {
  if (!connection) return;
  if (stopped_ || idle_.size() >= options_.max_idle_connections) {
    connection->close();
    return;
  }
  connection->tcp().expires_never();
  connection->idle_since_ = std::chrono::steady_clock::now();
  connection->buffer_.clear();
  idle_.push_back(std::move(connection));
}

awaitable<std::string> HttpClient::exchange(http::request<http::string_body>& req,
                                            std::unique_ptr<HttpConnection>& connection,
                                            std::optional<HttpResponseParser>& parser,
                                            std::chrono::milliseconds timeout) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string failure;
    try {
      if (attempt == 0) connection = co_await acquire();
      else connection = co_await connect();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) co_return failure;
    bool reused = connection->reused();
    connection->tcp().expires_after(timeout);
    parser.emplace();
    parser->body_limit(boost::none);
    auto ec = co_await connection->write(req);
    if (!ec) ec = co_await connection->read_header(*parser);
    if (!ec) co_return std::string();
    connection->close();
    // A reused keep-alive connection that the server had closed meanwhile never delivered the
    // request: one more try on a new connection. Anything else is the answer.
    if (!reused || parser->got_some())
      co_return ec == beast::error::timeout ? std::string("no response in time") : ec.message();
  }
  co_return std::string("the connection closed before any response");
}

awaitable<HttpClient::Response> HttpClient::fetch(http::request<http::string_body> req,
                                                  std::chrono::milliseconds timeout, std::size_t max_body_bytes) {
  if (req[http::field::host].empty()) req.set(http::field::host, origin_.host_header);
  if (req[http::field::user_agent].empty()) req.set(http::field::user_agent, "mcproxy/" MCPROXY_VERSION);
  req.prepare_payload();
  std::unique_ptr<HttpConnection> connection;
  std::optional<HttpResponseParser> parser;
  // One deadline for the whole exchange, body included (exchange() set it on the connection).
  auto failure = co_await exchange(req, connection, parser, timeout);
  if (!failure.empty()) throw std::runtime_error(fmt::format("{} {}: {}", req.method_string(), origin_.host_header, failure));
  Response response;
  response.status = parser->get().result_int();
  for (auto& field : parser->get()) response.headers.insert(field.name_string(), field.value());
  char chunk[16 * 1024];
  while (!parser->is_done()) {
    parser->get().body().data = chunk;
    parser->get().body().size = sizeof chunk;
    auto ec = co_await connection->read_some(*parser);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      connection->close();
      throw std::runtime_error(fmt::format("{} {}: the response broke off: {}", req.method_string(), origin_.host_header,
                                           ec == beast::error::timeout ? "no complete response in time" : ec.message()));
    }
    response.body.append(chunk, sizeof chunk - parser->get().body().size);
    if (response.body.size() > max_body_bytes) {
      connection->close();
      throw std::runtime_error(fmt::format("{} {}: the response body is over {} bytes", req.method_string(),
                                           origin_.host_header, max_body_bytes));
    }
  }
  if (parser->get().keep_alive()) release(std::move(connection));
  else connection->close();
  co_return response;
}

HttpClient::Busy::Busy(HttpClient& c, HttpConnection* conn) : client(c), connection(conn) {
  client.busy_.push_back(connection);
}
HttpClient::Busy::~Busy() { std::erase(client.busy_, connection); }

void HttpClient::stop() {
  stopped_ = true;
  for (auto* c : busy_) c->close();
  for (auto& c : idle_) c->close();
  idle_.clear();
}

}  // namespace mcproxy::transport
