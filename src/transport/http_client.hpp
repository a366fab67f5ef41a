#pragma once
// A bounded HTTP/1.1 client for one origin (scheme, host, port): the part of talking to a remote
// server that knows nothing of MCP. Used by the MCP transport (http_transport.*) and meant for
// every other outbound HTTP the proxy makes (JWKS, OAuth metadata and tokens, remote modules,
// translation engines):
//   - TLS with OpenSSL: certificate and host name verified (system roots, or caFile), SNI;
//     `insecure` turns the checks off and says so in the log;
//   - a pool of keep-alive connections (capped; a reused one the server closed meanwhile is
//     retried once on a new connection, since it provably never carried the request);
//   - a connect timeout, and one deadline per exchange;
//   - fetch(): a whole response with its body capped, redirects never followed (a 3xx comes
//     back as it is: following one could carry credentials to another origin).
// Name resolution is skipped for IP literals and localhost (see connect()).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mcproxy::transport {

// An http(s) URL split for requests: the origin and the request target.
struct HttpUrl {
  bool tls = false;
  std::string host, port;    // port always set ("443" by default for https)
  std::string target = "/";  // path + query
  std::string host_header;   // host, with the port unless it is the scheme's default

  // Throws std::runtime_error (the URL redacted) when `url` is not an absolute http(s) URL.
  static HttpUrl parse(std::string_view url);
};

struct HttpClientOptions {
  std::string name;  // for logs and errors (a backend's name)
  std::string ca_file;
  bool insecure = false;
  std::chrono::milliseconds connect_timeout{10'000};
  std::size_t max_idle_connections = 64;
};

// One connection, plain or TLS, with its read buffer.
class HttpConnection {
 public:
  template <class... Args>
  explicit HttpConnection(Args&&... args) : stream_(std::forward<Args>(args)...) {}

  boost::beast::tcp_stream& tcp();
  bool reused() const noexcept { return reused_; }
  void close();

  boost::asio::awaitable<boost::system::error_code> write(boost::beast::http::request<boost::beast::http::string_body>& m);
  boost::asio::awaitable<boost::system::error_code> write(boost::beast::http::request<boost::beast::http::empty_body>& m);
  boost::asio::awaitable<boost::system::error_code> read_header(
      boost::beast::http::response_parser<boost::beast::http::buffer_body>& parser);
  boost::asio::awaitable<boost::system::error_code> read_header(
      boost::beast::http::response_parser<boost::beast::http::string_body>& parser);
  boost::asio::awaitable<boost::system::error_code> read_some(
      boost::beast::http::response_parser<boost::beast::http::buffer_body>& parser);

 private:
  friend class HttpClient;
  std::variant<boost::beast::tcp_stream, boost::beast::ssl_stream<boost::beast::tcp_stream>> stream_;
  boost::beast::flat_buffer buffer_;
  std::chrono::steady_clock::time_point idle_since_;
  bool reused_ = false;
};

using HttpResponseParser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;

class HttpClient {
 public:
  // Throws std::runtime_error when the caFile cannot be read.
  HttpClient(boost::asio::any_io_executor executor, HttpUrl origin, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const HttpUrl& origin() const noexcept { return origin_; }

  // A new connection (TCP, then TLS when https). Throws std::runtime_error with a message a
  // user can act on.
  boost::asio::awaitable<std::unique_ptr<HttpConnection>> connect();
  // An idle pooled connection if a fresh enough one is open, else a new one.
  boost::asio::awaitable<std::unique_ptr<HttpConnection>> acquire();
  // Back to the pool (closed instead when the pool is full or the client stopped).
  void release(std::unique_ptr<HttpConnection> connection);

  // Sends `req` on a pooled connection and reads the response header into `parser` (made anew
  // for each attempt), all within `timeout`; retries once on a new connection when a reused one
  // turns out closed. Returns a failure text, or "" (then `connection` holds the connection the
  // body is to be read from).
  boost::asio::awaitable<std::string> exchange(boost::beast::http::request<boost::beast::http::string_body>& req,
                                               std::unique_ptr<HttpConnection>& connection,
                                               std::optional<HttpResponseParser>& parser,
                                               std::chrono::milliseconds timeout);

  struct Response {
    unsigned status = 0;
    boost::beast::http::fields headers;
    std::string body;
  };
  // A whole request and response within `timeout`, the body capped at `max_body_bytes`. Host and
  // User-Agent are set when missing. Throws std::runtime_error on a connection failure, a
  // timeout, or a body over the cap.
  boost::asio::awaitable<Response> fetch(boost::beast::http::request<boost::beast::http::string_body> req,
                                         std::chrono::milliseconds timeout, std::size_t max_body_bytes);

  // Lists a long-lived connection (a stream) so that stop() can close it.
  struct Busy {
    Busy(HttpClient& client, HttpConnection* c);
    ~Busy();
    HttpClient& client;
    HttpConnection* connection;
  };

  // Closes every connection, idle and busy; nothing is pooled afterwards.
  void stop();
  bool stopped() const noexcept { return stopped_; }

 private:
  boost::asio::any_io_executor executor_;
  HttpUrl origin_;
  HttpClientOptions options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::vector<std::unique_ptr<HttpConnection>> idle_;
  std::vector<HttpConnection*> busy_;
  bool stopped_ = false;
};

}  // namespace mcproxy::transport
