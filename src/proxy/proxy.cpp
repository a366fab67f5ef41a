#include "proxy/proxy.hpp"

#include "mcp/jsonrpc.hpp"
#include "proxy/aggregator.hpp"
#include "proxy/backend.hpp"
#include "proxy/config_watcher.hpp"
#include "proxy/mcp_server.hpp"
#include "proxy/relay.hpp"
#include "proxy/session_manager.hpp"
#include "proxy/stdio_endpoint.hpp"
#include "proxy/call_feed.hpp"
#include "proxy/pin_guard.hpp"
#include "proxy/proxy_metrics.hpp"
#include "support/digest.hpp"
#include "support/redaction.hpp"
#include "transport/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

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

std::string now_iso() {
  return fmt::format("{:%FT%T}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

// httpServer.threads, 0 meaning one per core; stdio serves one client and needs no more than one.
std::size_t resolve_threads(const config::HttpServerConfig& http, Downstream downstream) {
  if (downstream == Downstream::stdio) return 1;
  if (http.threads > 0) return http.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

bool shared_mode(const config::ServerConfig& server) {
  return server.session_mode != config::SessionMode::per_client || server.disabled;
}

}  // namespace

Proxy::Proxy(config::Config config, middleware::Plan plan, Downstream downstream,
             std::vector<std::pair<std::string, std::string>> credentials)
    : threads_(resolve_threads(config.http, downstream)),
      io_(static_cast<int>(threads_)),
      core_(threads_ > 1 ? asio::any_io_executor(asio::make_strand(io_)) : asio::any_io_executor(io_.get_executor())),
      config_(std::move(config)),
      plan_(std::move(plan)),
      downstream_(downstream),
      credentials_(std::move(credentials)),
      bound_http_(config_.http),
      relay_(std::make_unique<Relay>()) {
  relay_->metrics = std::make_shared<ProxyMetrics>();
  relay_->feed = std::make_shared<CallFeed>();
  ::signal(SIGPIPE, SIG_IGN);
  mcp::set_max_json_depth(config_.http.max_json_depth);
  if (downstream_ == Downstream::http) check_exposure(config_);
  update_access_state(access_, config_);
  if (config_.pins.enabled) relay_->pins = std::make_shared<PinGuard>(config_.pins, access_.audit);
  asio::any_io_executor executor = core_;
  for (auto& server : config_.servers) {
    if (!shared_mode(server)) continue;
    backends_.push_back(std::make_shared<Backend>(executor, server, relay_.get(), shared_client_capabilities(),
                                                  plan_.client_for(server.name)));
  }
  shared_ = std::make_shared<Aggregator>(backends_, config_.naming, config_.http.page_size);
  sessions_ = std::make_unique<SessionManager>(executor, config_, plan_, *relay_, shared_);
  server_ = std::make_unique<McpServer>(*sessions_, proxy_chain(access_, config_, plan_.proxy));
  relay_->proxy_pipeline = [server = server_.get()](DownstreamSession& s) { return server->pipeline_for(s); };
  // This instance's name in the requestStates it signs (several instances may share the key).
  server_->set_bridge(std::make_shared<InputBridge>(executor, *sessions_, config_.bridge,
                                                    support::base64url_encode(support::random_bytes(6))));
  if (config_.bridge.state_key.empty())
    spdlog::debug("bridge: requestStates are signed with a key made for this process (bridge.stateKey shares one)");
  config_status_.loaded_at = now_iso();

  if (downstream_ == Downstream::http) {
    endpoint_ = std::make_unique<HttpEndpoint>(*server_, *sessions_, config_, executor);
    endpoint_->set_config_status(&config_status_);
    transport::HttpServerOptions options;
    options.host = config_.http.host;
    options.port = config_.http.port;
    options.max_body_bytes = config_.http.max_body_bytes;
    options.max_connections = config_.http.max_connections;
    options.header_timeout = config_.http.header_timeout;
    options.idle_timeout = config_.http.idle_timeout;
    options.write_timeout = config_.http.write_stall_timeout;
    options.strand_per_connection = threads_ > 1;
    if (const char* sndbuf = std::getenv("MCPROXY_TEST_SNDBUF")) options.send_buffer_bytes = std::atoi(sndbuf);
    // Connections get strands of their own on the whole pool: their reading, HTTP parsing and
    // JSON parsing run beside the core.
    http_ = std::make_shared<transport::HttpServer>(
        executor, io_.get_executor(), options, [endpoint = endpoint_.get()](transport::HttpRequest& req, transport::HttpExchange& ex) {
          return endpoint->handle(req, ex);
        });
    // Bind before starting anything, so a busy port fails fast and leaves no child behind.
    http_->listen();
    endpoint_->set_access(make_edge_access(access_, config_, http_->local_endpoint().port()));
  }
  watcher_ = std::make_shared<ConfigWatcher>(executor, config_.source, [this] { spawn_reload("the file changed"); });
}

Proxy::~Proxy() = default;

int Proxy::run() {
  wait_for_signals();
  wait_for_hangup();
  asio::co_spawn(core_, start(), [this](std::exception_ptr e) {
    if (!e) return;
    log_exception("start-up", e);
    exit_code_ = 1;
    begin_shutdown("start-up failed");
  });
  // Every thread lives until the last backend has stopped (shutdown() stops io_ after that):
  // a child's PR_SET_PDEATHSIG follows the thread that forked it, so none may end earlier.
  std::vector<std::thread> pool;
  pool.reserve(threads_ - 1);
  for (std::size_t i = 1; i < threads_; ++i) pool.emplace_back([this] { io_.run(); });
  if (threads_ > 1) spdlog::debug("serving with {} threads", threads_);
  io_.run();
  for (auto& t : pool) t.join();
  return exit_code_;
}

void Proxy::wait_for_signals() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    begin_shutdown(fmt::format("received {} (send it again to exit at once)", strsignal(signo)));
    signals_.async_wait([this](boost::system::error_code ec2, int) {
      if (ec2) return;
      spdlog::warn("second signal: exiting now");
      exit_code_ = 130;
      io_.stop();
    });
  });
}

void Proxy::wait_for_hangup() {
  hangup_.async_wait([this](boost::system::error_code ec, int) {
    if (ec || stopping_) return;
    spawn_reload("SIGHUP");
    wait_for_hangup();
  });
}

awaitable<void> Proxy::start() {
  spdlog::info("starting {} backends", backends_.size());
  // Progress while they start: one line as each one is ready (or not).
  std::size_t finished = 0, total = backends_.size();
  // Named first: a lambda (or std::function) built inside a co_await expression is destroyed
  // twice by GCC 12.
  std::function<void(Backend&)> progress = [&finished, total](Backend& b) {
    ++finished;
    spdlog::info("[{}/{}] {} is {}", finished, total, b.name(), to_string(b.state()));
  };
  // The JWKS of a URL, fetched beside the backends (a failure is logged; tokens retry it).
  auto fetch_keys = [authenticator = access_.authenticator]() -> awaitable<void> { co_await authenticator->start(); };
  background_.spawn("JWKS fetch", std::move(fetch_keys));
  co_await start_all(backends_, progress);
  if (stopping_) co_return;
  std::size_t up = 0;
  for (auto& b : backends_) up += b->up();
  co_await shared_->refresh();
  if (up < backends_.size()) spdlog::warn("{} of {} backends are up; the others are left out", up, backends_.size());
  watcher_->start();
  if (downstream_ == Downstream::stdio) {
    stdio_ = std::make_unique<StdioEndpoint>(core_, *server_, *sessions_, config_.http.max_body_bytes,
                                             [this] { begin_shutdown("end of input"); });
    stdio_->start();
    spdlog::info("MCProxy serving MCP on stdin/stdout");
    co_return;
  }
  auto host = config_.http.host.find(':') != std::string::npos ? "[" + config_.http.host + "]" : config_.http.host;
  std::string url = fmt::format("http://{}:{}{}", host, http_->local_endpoint().port(), config_.http.path);
  http_->start_accepting();
  auto sweep = [this] { return sweep_idle_sessions(); };
  background_.spawn("session sweep", std::move(sweep));
  auto pins = [this] { return watch_pins(); };
  background_.spawn("pin file watch", std::move(pins));
  spdlog::info("MCProxy listening on {} (health: {}:{}/health)", url, fmt::format("http://{}", host),
               http_->local_endpoint().port());
}

// Sessions that clients abandoned (no DELETE) end after the idle timeout, and with them their
// per-client backends.
awaitable<void> Proxy::sweep_idle_sessions() {
  asio::steady_timer sweep(core_);
  while (!stopping_) {
    sweep.expires_after(std::min<std::chrono::seconds>(config_.http.session_idle_timeout, std::chrono::seconds(60)));
    co_await sweep.async_wait(kTuple);
    if (!stopping_) sessions_->expire_idle();
  }
}

awaitable<void> Proxy::watch_pins() {
  asio::steady_timer tick(core_);
  while (!stopping_) {
    tick.expires_after(std::chrono::seconds(1));
    co_await tick.async_wait(kTuple);
    auto pins = relay_->pins;
    if (stopping_ || !pins) continue;
    bool changed = pins->reload_if_changed();
    if (!changed) continue;
    spdlog::info("pins: {} changed: relisting the tools of every server", pins->config().file);
    for (auto& b : backends_) b->relist_tools();
  }
}

void Proxy::spawn_reload(std::string why) {
  asio::co_spawn(core_, reload(std::move(why)), [](std::exception_ptr e) { log_exception("reload", e); });
}

awaitable<void> Proxy::reload(std::string why) {
  if (reloading_ || stopping_) co_return;
  reloading_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{reloading_};
  spdlog::info("reloading {} ({})", config_.source, why);
  config::Config next;
  middleware::Plan next_plan;
  std::string failure;
  AccessState next_access = access_;
  std::string wanted_host;
  try {
    next = config::load_config_file(config_.source, credentials_);
    next_plan = middleware::compile_plan(next);
    wanted_host = next.http.host;
    next.http.host = bound_http_.host;  // bound once: the exposure check is of the bound address
    // A reload must not drop authentication from an exposed address either.
    if (downstream_ == Downstream::http) check_exposure(next);
    update_access_state(next_access, next);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    spdlog::error("the new configuration is invalid; still running the previous one:\n{}", failure);
    config_status_.last_error = failure;
    relay_->metrics->reloads_failed.add();
    co_return;
  }
  support::set_secrets(next.secrets);
  for (auto& w : next.warnings) spdlog::warn("{}: {}", next.source, w);
  if (wanted_host != bound_http_.host || next.http.port != bound_http_.port || next.http.path != bound_http_.path)
    spdlog::warn("httpServer host, port and path changes take effect after a restart");
  next.http.port = bound_http_.port;
  next.http.path = bound_http_.path;

  std::vector<std::shared_ptr<Backend>> kept, started, stopped;
  std::vector<std::shared_ptr<Backend>> next_backends;
  for (auto& s : next.servers) {
    if (!shared_mode(s)) continue;
    std::shared_ptr<Backend> existing;
    for (auto& b : backends_)
      if (b->name() == s.name) existing = b;
    bool same = existing && existing->config() == s &&
                config_.middleware.client_for(s.name) == next.middleware.client_for(s.name);
    if (same) {
      kept.push_back(existing);
      next_backends.push_back(existing);
    } else {
      if (existing) stopped.push_back(existing);
      auto b = std::make_shared<Backend>(core_, s, relay_.get(), shared_client_capabilities(),
                                         next_plan.client_for(s.name));
      started.push_back(b);
      next_backends.push_back(b);
    }
  }
  for (auto& b : backends_)
    if (std::find(next_backends.begin(), next_backends.end(), b) == next_backends.end() &&
        std::find(stopped.begin(), stopped.end(), b) == stopped.end())
      stopped.push_back(b);

  // The new objects take the place of the old ones (components hold references to them).
  config_ = std::move(next);
  plan_ = std::move(next_plan);
  mcp::set_max_json_depth(config_.http.max_json_depth);
  co_await stop_all(stopped, "its configuration changed (reload): the server is restarted");
  co_await start_all(started);
  backends_ = std::move(next_backends);
  shared_->set_backends(backends_, config_.naming, config_.http.page_size);
  access_ = std::move(next_access);
  if (!config_.pins.enabled) {
    relay_->pins.reset();
  } else if (!relay_->pins || !(relay_->pins->config() == config_.pins)) {
    try {
      relay_->pins = std::make_shared<PinGuard>(config_.pins, access_.audit);
    } catch (const std::exception& e) {
      spdlog::error("pins: {} (pinning keeps its previous state)", e.what());
    }
  }
  server_->set_proxy_middleware(proxy_chain(access_, config_, plan_.proxy));
  if (endpoint_) {
    endpoint_->set_policy(config_.http);
    endpoint_->set_access(make_edge_access(access_, config_, http_->local_endpoint().port()));
  }
  if (access_.authenticator->enabled()) {
    auto fetch_keys = [authenticator = access_.authenticator]() -> awaitable<void> { co_await authenticator->start(); };
    background_.spawn("JWKS fetch", std::move(fetch_keys));
  }
  co_await shared_->refresh();
  ++config_status_.generation;
  config_status_.loaded_at = now_iso();
  config_status_.last_error.clear();
  relay_->metrics->reloads_ok.add();
  relay_->broadcast_list_changed();
  spdlog::info("configuration {} loaded: {} servers kept, {} started, {} stopped (a restarted "
               "server counts in both)",
               config_status_.generation, kept.size(), started.size(), stopped.size());
}

void Proxy::begin_shutdown(std::string_view why) {
  if (stopping_) return;
  stopping_ = true;
  spdlog::info("{}: shutting down", why);
  asio::co_spawn(core_, shutdown(), [](std::exception_ptr e) { log_exception("shutdown", e); });
}

awaitable<void> Proxy::shutdown() {
  background_.cancel();  // the idle sweep ends now, not at its next tick
  watcher_->stop();
  hangup_.cancel();
  if (http_) http_->stop();  // no new connections
  // Gracefully: requests in flight may finish within the grace period (woken by the last one,
  // not polled). Then hard: the rest are cancelled and answered "MCProxy is stopping" (a short
  // bound for those answers to go out), and the sessions end.
  auto deadline = std::chrono::steady_clock::now() + config_.http.shutdown_grace;
  if (auto* bridge = server_->bridge())
    if (auto n = bridge->abandon_waiting(); n > 0)
      spdlog::info("{} requests waiting for their clients' input: cancelled", n);
  relay_->cancel_listeners();
  if (auto n = server_->requests_in_flight(); n > 0)
    spdlog::info("waiting up to {} s for {} requests in flight", config_.http.shutdown_grace.count(), n);
  bool drained = co_await server_->drain(deadline);
  if (!drained) {
    spdlog::warn("{} requests still running after the grace period: cancelling them", server_->requests_in_flight());
    sessions_->cancel_all(mcp::Cancellation::Reason::shutdown);
    co_await server_->drain(std::chrono::steady_clock::now() + std::chrono::seconds(2));
  }
  if (endpoint_) endpoint_->stop();
  co_await sessions_->end_all();
  spdlog::info("stopping {} backends", backends_.size());
  co_await stop_all(backends_);
  if (stdio_) co_await stdio_->flush();
  spdlog::info("MCProxy stopped");
  io_.stop();
}

int run_proxy(config::Config config, middleware::Plan plan, Downstream downstream,
              std::vector<std::pair<std::string, std::string>> credentials) {
  Proxy proxy(std::move(config), std::move(plan), downstream, std::move(credentials));
  return proxy.run();
}

}  // namespace mcproxy::proxy
