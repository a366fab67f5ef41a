#include "proxy/proxy.hpp"

#include "proxy/aggregator.hpp"
#include "proxy/backend.hpp"
#include "proxy/http_endpoint.hpp"
#include "proxy/mcp_server.hpp"
#include "transport/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <csignal>

namespace mcproxy::proxy {

namespace asio = boost::asio;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

void log_exception(std::string_view what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("{}: {}", what, ex.what());
  }
}

// Runs fn() for every backend concurrently and returns when all have finished.
template <class Fn>
awaitable<void> for_all_backends(const std::vector<std::shared_ptr<Backend>>& backends, Fn fn) {
  auto executor = co_await asio::this_coro::executor;
  auto remaining = std::make_shared<std::size_t>(backends.size());
  auto done = std::make_shared<asio::steady_timer>(executor, std::chrono::steady_clock::time_point::max());
  for (auto& b : backends) {
    asio::co_spawn(executor, fn(b), [remaining, done, name = b->name()](std::exception_ptr e) {
      log_exception(fmt::format("[{}]", name), e);
      if (--*remaining == 0) done->cancel();
    });
  }
  if (*remaining > 0) co_await done->async_wait(kTuple);
}

}  // namespace

int run_proxy(config::Config config, RunOptions options) {
  asio::io_context io(1);
  auto executor = io.get_executor();

  std::vector<std::shared_ptr<Backend>> backends;
  for (auto& server : config.servers) backends.push_back(std::make_shared<Backend>(executor, server));
  Aggregator aggregator(backends, config.naming);
  for (auto& b : backends) b->on_catalogue_changed = [&aggregator](Backend&) { aggregator.mark_dirty(); };
  McpServer server(aggregator);
  HttpEndpoint endpoint(server, aggregator, config.http);

  transport::HttpServerOptions http_options;
  http_options.host = config.http.host;
  http_options.port = config.http.port;
  http_options.max_body_bytes = config.http.max_body_bytes;
  auto http = std::make_shared<transport::HttpServer>(
      executor, http_options,
      [&endpoint](transport::HttpRequest& req, transport::HttpExchange& ex) {
        return endpoint.handle(req, ex);
      });
  // Bind before starting anything, so a busy port fails fast and leaves no child behind.
  http->listen();
  endpoint.set_bound_port(http->local_endpoint().port());

  int exit_code = 0;
  bool stopping = false;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signal(SIGPIPE, SIG_IGN);

  auto shutdown = [&]() -> awaitable<void> {
    http->stop();
    spdlog::info("stopping {} backends", backends.size());
    co_await for_all_backends(backends, [](std::shared_ptr<Backend> b) { return b->stop(); });
    spdlog::info("MCProxy stopped");
    io.stop();
  };

  signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    stopping = true;
    spdlog::info("received {}: shutting down (send it again to exit at once)", strsignal(signo));
    signals.async_wait([&](boost::system::error_code ec2, int) {
      if (ec2) return;
      spdlog::warn("second signal: exiting now");
      exit_code = 130;
      io.stop();
    });
    asio::co_spawn(io, shutdown(), [](std::exception_ptr e) { log_exception("shutdown", e); });
  });

  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        spdlog::info("starting {} backends", backends.size());
        co_await for_all_backends(backends, [](std::shared_ptr<Backend> b) { return b->start(); });
        if (stopping) co_return;
        std::size_t up = 0;
        for (auto& b : backends) up += b->up();
        co_await aggregator.refresh();
        auto host = config.http.host.find(':') != std::string::npos ? "[" + config.http.host + "]"
                                                                     : config.http.host;
        std::string url = fmt::format("http://{}:{}{}", host, http->local_endpoint().port(),
                                      config.http.path);
        if (up < backends.size()) {
          spdlog::warn("{} of {} backends are up; the others are left out (see {}/health)", up,
                       backends.size(), url.substr(0, url.size() - config.http.path.size()));
        }
        http->start_accepting();
        spdlog::info("MCProxy listening on {}", url);
        if (options.on_listening) options.on_listening(url);
      },
      [](std::exception_ptr e) { log_exception("start-up", e); });

  io.run();
  // Whatever is still alive (second signal): make sure no child outlives us.
  for (auto& b : backends) b.reset();
  return exit_code;
}

}  // namespace mcproxy::proxy
