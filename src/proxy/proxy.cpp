#include "proxy/proxy.hpp"

#include "mcp/jsonrpc.hpp"
#include "proxy/aggregator.hpp"
#include "proxy/backend.hpp"
#include "proxy/config_watcher.hpp"
#include "proxy/http_endpoint.hpp"
#include "proxy/mcp_server.hpp"
#include "proxy/relay.hpp"
#include "proxy/session_manager.hpp"
#include "proxy/stdio_endpoint.hpp"
#include "support/redaction.hpp"
#include "transport/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>

#include <csignal>
#include <cstdlib>
#include <cstring>

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


}  // namespace

namespace {

std::string now_iso() {
  return fmt::format("{:%FT%T}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

}  // namespace

int run_proxy(config::Config config, middleware::Plan plan, Downstream downstream,
              std::vector<std::pair<std::string, std::string>> credentials) {
  asio::io_context io(1);
  auto executor = io.get_executor();
  ::signal(SIGPIPE, SIG_IGN);
  mcp::set_max_json_depth(config.http.max_json_depth);

  Relay relay;
  std::vector<std::shared_ptr<Backend>> backends;  // shared mode only; per-client ones live in sessions
  for (auto& server : config.servers) {
    if (server.session_mode == config::SessionMode::per_client && !server.disabled) continue;
    backends.push_back(
        std::make_shared<Backend>(executor, server, &relay, shared_client_capabilities(),
                                  plan.client_for(server.name)));
  }
  auto shared = std::make_shared<Aggregator>(backends, config.naming, config.http.page_size);
  SessionManager sessions(executor, config, plan, relay, shared);
  McpServer server(sessions, plan.proxy);
  relay.proxy_pipeline = [&server](DownstreamSession& s) { return server.pipeline_for(s); };
  ConfigStatus config_status;
  config_status.loaded_at = now_iso();
  // host/port/path are bound once; a reload that changes them says so.
  const auto bound_http = config.http;

  std::shared_ptr<transport::HttpServer> http;
  std::unique_ptr<HttpEndpoint> endpoint;
  std::unique_ptr<StdioEndpoint> stdio;
  if (downstream == Downstream::http) {
    endpoint = std::make_unique<HttpEndpoint>(server, sessions, config);
    endpoint->set_config_status(&config_status);
    transport::HttpServerOptions options;
    options.host = config.http.host;
    options.port = config.http.port;
    options.max_body_bytes = config.http.max_body_bytes;
    options.max_connections = config.http.max_connections;
    options.header_timeout = config.http.header_timeout;
    options.idle_timeout = config.http.idle_timeout;
    options.write_timeout = config.http.write_stall_timeout;
    if (const char* sndbuf = std::getenv("MCPROXY_TEST_SNDBUF")) options.send_buffer_bytes = std::atoi(sndbuf);
    http = std::make_shared<transport::HttpServer>(
        executor, options, [&endpoint](transport::HttpRequest& req, transport::HttpExchange& ex) {
          return endpoint->handle(req, ex);
        });
    // Bind before starting anything, so a busy port fails fast and leaves no child behind.
    http->listen();
  }

  int exit_code = 0;
  bool stopping = false;
  asio::signal_set signals(io, SIGINT, SIGTERM);

  // Hot reload: validate the new file first (a bad edit changes nothing); then start added
  // servers, stop removed ones, restart changed ones (their settings or their client
  // middleware), keep unchanged ones with their sessions and calls in flight, rebuild the proxy
  // middleware, and tell every client that the lists changed.
  bool reloading = false;
  auto reload = [&](std::string why) -> awaitable<void> {
    if (reloading || stopping) co_return;
    reloading = true;
    struct Done {
      bool& flag;
      ~Done() { flag = false; }
    } done{reloading};
    spdlog::info("reloading {} ({})", config.source, why);
    config::Config next;
    middleware::Plan next_plan;
    std::string failure;
    try {
      next = config::load_config_file(config.source, credentials);
      next_plan = middleware::compile_plan(next);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty()) {
      spdlog::error("the new configuration is invalid; still running the previous one:\n{}", failure);
      config_status.last_error = failure;
      co_return;
    }
    support::set_secrets(next.secrets);
    for (auto& w : next.warnings) spdlog::warn("{}: {}", next.source, w);
    if (next.http.host != bound_http.host || next.http.port != bound_http.port ||
        next.http.path != bound_http.path)
      spdlog::warn("httpServer host, port and path changes take effect after a restart");
    next.http.host = bound_http.host;
    next.http.port = bound_http.port;
    next.http.path = bound_http.path;

    std::vector<std::shared_ptr<Backend>> kept, started, stopped;
    std::vector<std::shared_ptr<Backend>> next_backends;
    for (auto& s : next.servers) {
      if (s.session_mode == config::SessionMode::per_client && !s.disabled) continue;
      std::shared_ptr<Backend> existing;
      for (auto& b : backends)
        if (b->name() == s.name) existing = b;
      bool same = existing && existing->config() == s &&
                  config.middleware.client_for(s.name) == next.middleware.client_for(s.name);
      if (same) {
        kept.push_back(existing);
        next_backends.push_back(existing);
      } else {
        if (existing) stopped.push_back(existing);
        auto b = std::make_shared<Backend>(executor, s, &relay, shared_client_capabilities(),
                                           next_plan.client_for(s.name));
        started.push_back(b);
        next_backends.push_back(b);
      }
    }
    for (auto& b : backends)
      if (std::find(next_backends.begin(), next_backends.end(), b) == next_backends.end() &&
          std::find(stopped.begin(), stopped.end(), b) == stopped.end())
        stopped.push_back(b);

    // The new objects take the place of the old ones (components hold references to them).
    config = std::move(next);
    plan = std::move(next_plan);
    mcp::set_max_json_depth(config.http.max_json_depth);
    co_await stop_all(stopped, "its configuration changed (reload): the server is restarted");
    co_await start_all(started);
    backends = std::move(next_backends);
    shared->set_backends(backends, config.naming, config.http.page_size);
    server.set_proxy_middleware(plan.proxy);
    co_await shared->refresh();
    ++config_status.generation;
    config_status.loaded_at = now_iso();
    config_status.last_error.clear();
    relay.broadcast_list_changed();
    spdlog::info("configuration {} loaded: {} servers kept, {} started, {} stopped (a restarted "
                 "server counts in both)",
                 config_status.generation, kept.size(), started.size(), stopped.size());
  };
  auto spawn_reload = [&](std::string why) {
    asio::co_spawn(io, reload(std::move(why)), [](std::exception_ptr e) { log_exception("reload", e); });
  };
  asio::signal_set hangup(io, SIGHUP);
  std::function<void()> wait_hangup = [&] {
    hangup.async_wait([&](boost::system::error_code ec, int) {
      if (ec || stopping) return;
      spawn_reload("SIGHUP");
      wait_hangup();
    });
  };
  wait_hangup();
  auto watcher = std::make_shared<ConfigWatcher>(executor, config.source, [&] { spawn_reload("the file changed"); });

  auto shutdown = [&]() -> awaitable<void> {
    watcher->stop();
    hangup.cancel();
    if (http) http->stop();  // no new connections
    // Requests in flight may finish, within a bound; then the sessions end (cancelling the rest).
    auto deadline = std::chrono::steady_clock::now() + config.http.shutdown_grace;
    if (auto n = sessions.requests_in_flight(); n > 0)
      spdlog::info("waiting up to {} s for {} requests in flight", config.http.shutdown_grace.count(), n);
    asio::steady_timer wait(io);
    while (sessions.requests_in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
      wait.expires_after(std::chrono::milliseconds(50));
      co_await wait.async_wait(kTuple);
    }
    if (endpoint) endpoint->stop();
    co_await sessions.end_all();
    spdlog::info("stopping {} backends", backends.size());
    co_await stop_all(backends);
    if (stdio) co_await stdio->flush();
    spdlog::info("MCProxy stopped");
    io.stop();
  };
  auto begin_shutdown = [&](std::string_view why) {
    if (stopping) return;
    stopping = true;
    spdlog::info("{}: shutting down", why);
    asio::co_spawn(io, shutdown(), [](std::exception_ptr e) { log_exception("shutdown", e); });
  };

  signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    begin_shutdown(fmt::format("received {} (send it again to exit at once)", strsignal(signo)));
    signals.async_wait([&](boost::system::error_code ec2, int) {
      if (ec2) return;
      spdlog::warn("second signal: exiting now");
      exit_code = 130;
      io.stop();
    });
  });

  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        spdlog::info("starting {} backends", backends.size());
        // Progress while they start: one line as each one is ready (or not).
        std::size_t finished = 0, total = backends.size();
        // Named first: a lambda (or std::function) built inside a co_await expression is
        // destroyed twice by GCC 12.
        std::function<void(Backend&)> progress = [&finished, total](Backend& b) {
          ++finished;
          spdlog::info("[{}/{}] {} is {}", finished, total, b.name(), to_string(b.state()));
        };
        co_await start_all(backends, progress);
        if (stopping) co_return;
        std::size_t up = 0;
        for (auto& b : backends) up += b->up();
        co_await shared->refresh();
        if (up < backends.size())
          spdlog::warn("{} of {} backends are up; the others are left out", up, backends.size());
        watcher->start();
        if (downstream == Downstream::stdio) {
          stdio = std::make_unique<StdioEndpoint>(executor, server, sessions,
                                                  config.http.max_body_bytes,
                                                  [&] { begin_shutdown("end of input"); });
          stdio->start();
          spdlog::info("MCProxy serving MCP on stdin/stdout");
          co_return;
        }
        auto host = config.http.host.find(':') != std::string::npos ? "[" + config.http.host + "]"
                                                                     : config.http.host;
        std::string url = fmt::format("http://{}:{}{}", host, http->local_endpoint().port(),
                                      config.http.path);
        http->start_accepting();
        // Sessions that clients abandoned (no DELETE) end after the idle timeout, and with them
        // their per-client backends.
        asio::co_spawn(io, [&]() -> awaitable<void> {
          asio::steady_timer sweep(io);
          while (!stopping) {
            sweep.expires_after(std::min<std::chrono::seconds>(config.http.session_idle_timeout, std::chrono::seconds(60)));
            co_await sweep.async_wait(kTuple);
            if (!stopping) sessions.expire_idle();
          }
        }, [](std::exception_ptr e) { log_exception("session sweep", e); });
        spdlog::info("MCProxy listening on {} (health: {}:{}/health)", url,
                     fmt::format("http://{}", host), http->local_endpoint().port());
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        log_exception("start-up", e);
        exit_code = 1;
        begin_shutdown("start-up failed");
      });

  io.run();
  return exit_code;
}

}  // namespace mcproxy::proxy
