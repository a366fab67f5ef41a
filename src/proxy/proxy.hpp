#pragma once
// The whole proxy's life, as one object: build the shared backends from the config, start them
// in parallel, serve downstream (Streamable HTTP, or stdio for desktop clients), reload the
// config on change or SIGHUP, and on SIGINT/SIGTERM (or end of stdin) stop: stop accepting, let
// requests in flight finish within the grace period, cancel the rest ("MCProxy is stopping"),
// end every session, stop every backend. No child is left behind. A second signal exits at
// once. Threads: see "Concurrency" in docs/ARCHITECTURE.md: httpServer.threads run one
// io_context; the proxy's MCP state (sessions, backends, catalogue, middleware) lives on one
// strand, `core_`; the byte work of each HTTP connection runs on its own strand beside it.

#include "config/config.hpp"
#include "middleware/plan.hpp"
#include "proxy/access_setup.hpp"
#include "proxy/http_endpoint.hpp"
#include "support/task_group.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

#include <csignal>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mcproxy::transport {
class HttpServer;
}

namespace mcproxy::proxy {

enum class Downstream { http, stdio };

class Aggregator;
class Backend;
class ConfigWatcher;
class McpServer;
class Relay;
class SessionManager;
class StdioEndpoint;

class Proxy {
 public:
  // `credentials` are kept for reloading the config file (it is watched, and SIGHUP reloads it).
  // Binds the HTTP port here, so a busy port fails before any child starts.
  Proxy(config::Config config, middleware::Plan plan, Downstream downstream,
        std::vector<std::pair<std::string, std::string>> credentials);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // Starts, serves until a signal (or, for stdio, the end of stdin), then stops. Returns the
  // process exit code.
  int run();

 private:
  boost::asio::awaitable<void> start();
  // Validates the new file first (a bad edit changes nothing); then starts added servers, stops
  // removed ones, restarts changed ones (their settings or their client middleware), keeps
  // unchanged ones with their sessions and calls in flight, rebuilds the proxy middleware, and
  // tells every client that the lists changed.
  boost::asio::awaitable<void> reload(std::string why);
  void spawn_reload(std::string why);
  boost::asio::awaitable<void> shutdown();
  void begin_shutdown(std::string_view why);
  void wait_for_signals();
  void wait_for_hangup();
  boost::asio::awaitable<void> sweep_idle_sessions();
  // Polls the pin file (an approval by `mcproxy pins approve`) and relists the tools when it
  // changed, so clients get list_changed.
  boost::asio::awaitable<void> watch_pins();

  std::size_t threads_;  // resolved: httpServer.threads, or one per core
  boost::asio::io_context io_;
  // Everything the proxy knows about MCP runs here, one handler at a time: a strand on several
  // threads, the io_context itself on one (no strand, no hop: the single-threaded fast path).
  boost::asio::any_io_executor core_;
  // The config and plan are replaced in place on reload: components hold references to them.
  config::Config config_;
  middleware::Plan plan_;
  Downstream downstream_;
  std::vector<std::pair<std::string, std::string>> credentials_;
  const config::HttpServerConfig bound_http_;  // host/port/path are bound once

  std::unique_ptr<Relay> relay_;
  std::vector<std::shared_ptr<Backend>> backends_;  // shared mode only; per-client ones live in sessions
  std::shared_ptr<Aggregator> shared_;
  std::unique_ptr<SessionManager> sessions_;
  std::unique_ptr<McpServer> server_;
  AccessState access_;  // profiles, limits, audit log, authenticator
  ConfigStatus config_status_;

  std::shared_ptr<transport::HttpServer> http_;
  std::unique_ptr<HttpEndpoint> endpoint_;
  std::unique_ptr<StdioEndpoint> stdio_;
  std::shared_ptr<ConfigWatcher> watcher_;
  boost::asio::signal_set signals_{core_, SIGINT, SIGTERM};
  boost::asio::signal_set hangup_{core_, SIGHUP};

  support::TaskGroup background_{core_};  // the idle-session sweep

  int exit_code_ = 0;
  bool stopping_ = false;
  bool reloading_ = false;
};

// Runs a Proxy; returns the process exit code.
int run_proxy(config::Config config, middleware::Plan plan, Downstream downstream = Downstream::http,
              std::vector<std::pair<std::string, std::string>> credentials = {});

}  // namespace mcproxy::proxy
