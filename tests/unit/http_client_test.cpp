// The bounded HTTP client (transport/http_client.hpp) against a real HTTP server on loopback
// (MCProxy's own Beast server, transport/http_server.hpp): a whole response, keep-alive reuse,
// the body cap, redirects not followed, the deadline, and URL parsing.

#include "transport/http_client.hpp"
#include "transport/http_server.hpp"

#include "support_asio.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using mcproxy::transport::HttpClient;
using mcproxy::transport::HttpClientOptions;
using mcproxy::transport::HttpUrl;

// A loopback server with a few routes, and what it saw.
struct TestServer {
  explicit TestServer(asio::io_context& io) : hold(io, std::chrono::steady_clock::time_point::max()) {
    mcproxy::transport::HttpServerOptions options;
    options.port = 0;
    server = std::make_shared<mcproxy::transport::HttpServer>(
        io.get_executor(), options,
        [this](mcproxy::transport::HttpRequest& req, mcproxy::transport::HttpExchange& ex) -> asio::awaitable<void> {
          ++requests;
          last_host = std::string(req[http::field::host]);
          std::string target(req.target());
          mcproxy::transport::HttpResponse res(http::status::ok, 11);
          if (target == "/big") {
            res.body() = std::string(100'000, 'x');
          } else if (target == "/redirect") {
            res.result(http::status::found);
            res.set(http::field::location, "http://elsewhere.example/steal");
          } else if (target == "/slow") {
            co_await hold.async_wait(asio::as_tuple(asio::use_awaitable));
            res.body() = "late";
          } else {
            res.set(http::field::content_type, "application/json");
            res.body() = R"({"keys":[]})";
          }
          res.prepare_payload();
          co_await ex.respond(std::move(res));
        });
    server->listen();
    server->start_accepting();
    url = "http://127.0.0.1:" + std::to_string(server->local_endpoint().port());
  }
  void stop() {
    hold.cancel();
    server->stop();
  }

  std::shared_ptr<mcproxy::transport::HttpServer> server;
  asio::steady_timer hold;
  std::string url;
  int requests = 0;
  std::string last_host;
};

http::request<http::string_body> get(std::string target) {
  return http::request<http::string_body>(http::verb::get, target, 11);
}

}  // namespace

TEST_SUITE("http client") {
  TEST_CASE("URLs: origin, default ports, Host header, target with query; bad ones are refused") {
    auto u = HttpUrl::parse("https://example.com/a/b?x=1");
    CHECK(u.tls);
    CHECK(u.host == "example.com");
    CHECK(u.port == "443");
    CHECK(u.host_header == "example.com");
    CHECK(u.target == "/a/b?x=1");
    auto p = HttpUrl::parse("http://127.0.0.1:8080");
    CHECK_FALSE(p.tls);
    CHECK(p.port == "8080");
    CHECK(p.host_header == "127.0.0.1:8080");
    CHECK(p.target == "/");
    CHECK_THROWS_WITH_AS(HttpUrl::parse("ftp://x/"), doctest::Contains("not a valid http(s) URL"), std::runtime_error);
    CHECK_THROWS_AS(HttpUrl::parse("not a url"), std::runtime_error);
    // The error never shows credentials from the URL.
    try {
      HttpUrl::parse("ftp://user:hunter2@x/");
      FAIL("expected an error");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    }
  }

  TEST_CASE("fetch: a whole response; the connection is reused for the next request") {
    asio::io_context io;
    TestServer server(io);
    HttpClient client(io.get_executor(), HttpUrl::parse(server.url), HttpClientOptions{"test"});
    mcproxy::test::run_on(io, [&]() -> asio::awaitable<void> {
      auto first = co_await client.fetch(get("/jwks"), std::chrono::seconds(5), 1 << 20);
      CHECK(first.status == 200);
      CHECK(first.body == R"({"keys":[]})");
      CHECK(first.headers[http::field::content_type] == "application/json");
      CHECK(server.last_host == server.url.substr(7));  // host:port
      auto second = co_await client.fetch(get("/jwks"), std::chrono::seconds(5), 1 << 20);
      CHECK(second.status == 200);
      CHECK(server.requests == 2);
      CHECK(server.server->connections() == 1);  // one keep-alive connection for both
      client.stop();
      server.stop();
    }());
  }

  TEST_CASE("fetch: a body over the cap is an error naming the cap") {
    asio::io_context io;
    TestServer server(io);
    HttpClient client(io.get_executor(), HttpUrl::parse(server.url), HttpClientOptions{"test"});
    mcproxy::test::run_on(io, [&]() -> asio::awaitable<void> {
      std::string error;
      try {
        co_await client.fetch(get("/big"), std::chrono::seconds(5), 10'000);
      } catch (const std::runtime_error& e) {
        error = e.what();
      }
      CHECK(error.find("over 10000 bytes") != std::string::npos);
      client.stop();
      server.stop();
    }());
  }

  TEST_CASE("fetch: a redirect is returned, never followed") {
    asio::io_context io;
    TestServer server(io);
    HttpClient client(io.get_executor(), HttpUrl::parse(server.url), HttpClientOptions{"test"});
    mcproxy::test::run_on(io, [&]() -> asio::awaitable<void> {
      auto res = co_await client.fetch(get("/redirect"), std::chrono::seconds(5), 1 << 20);
      CHECK(res.status == 302);
      CHECK(res.headers[http::field::location] == "http://elsewhere.example/steal");
      CHECK(server.requests == 1);
      client.stop();
      server.stop();
    }());
  }

  TEST_CASE("fetch: no answer within the deadline is an error, in about that time") {
    asio::io_context io;
    TestServer server(io);
    HttpClient client(io.get_executor(), HttpUrl::parse(server.url), HttpClientOptions{"test"});
    mcproxy::test::run_on(io, [&]() -> asio::awaitable<void> {
      auto started = std::chrono::steady_clock::now();
      std::string error;
      try {
        co_await client.fetch(get("/slow"), std::chrono::milliseconds(300), 1 << 20);
      } catch (const std::runtime_error& e) {
        error = e.what();
      }
      auto took = std::chrono::steady_clock::now() - started;
      CHECK(error.find("no response in time") != std::string::npos);
      CHECK(took >= std::chrono::milliseconds(250));
      CHECK(took < std::chrono::seconds(5));
      client.stop();
      server.stop();
    }());
  }

  TEST_CASE("connect: a closed port fails with the address in the message") {
    asio::io_context io;
    unsigned short port;
    {
      TestServer server(io);  // a port that was just free, now closed again
      port = server.server->local_endpoint().port();
      server.stop();
    }
    HttpClientOptions options{"test"};
    options.connect_timeout = std::chrono::milliseconds(2000);
    HttpClient client(io.get_executor(), HttpUrl::parse("http://127.0.0.1:" + std::to_string(port)), options);
    std::string error;
    mcproxy::test::run_on(io, [&]() -> asio::awaitable<void> {
      try {
        co_await client.fetch(get("/"), std::chrono::seconds(2), 1 << 20);
      } catch (const std::runtime_error& e) {
        error = e.what();
      }
    }());
    CHECK(error.find("cannot connect to 127.0.0.1:" + std::to_string(port)) != std::string::npos);
  }
}
