// Backend: its lifecycle (start, connect, reconnect with backoff, health checks, stop) and the
// request path through its client middleware to the wire and back (including the reverse path
// of what the server sends). Near 500 lines because both share the connection state they
// change (peer_, state_, the blip reconnect); the list cache, the session state it holds for
// clients and the /health view are in backend_lists.cpp, backend_session_state.cpp and
// backend_health.cpp.
#include "proxy/backend.hpp"
#include "proxy/downstream_session.hpp"

#include "mcp/log_level.hpp"
#include "mcp/protocol.hpp"
#include "middleware/params.hpp"
#include "middleware/plan.hpp"
#include "proxy/naming.hpp"
#include "proxy/pin_guard.hpp"
#include "proxy/relay.hpp"
#include "support/redaction.hpp"
#include "transport/http_transport.hpp"
#include "transport/stdio_child.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <random>

namespace mcproxy::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using mcp::McpError;

std::string_view to_string(BackendState s) noexcept {
  switch (s) {
    case BackendState::starting: return "starting";
    case BackendState::up: return "up";
    case BackendState::down: return "down";
    case BackendState::failed: return "failed";
    case BackendState::disabled: return "disabled";
  }
  return "?";
}

// The innermost service of a backend's pipeline: the wire. A context that is not the proxy's
// own record (a middleware made one) counts as the proxy's own request.
class Backend::Upstream final : public middleware::Service {
 public:
  explicit Upstream(Backend& backend) : backend_(backend) {}
  awaitable<json::value> request(middleware::Call call, middleware::RequestContext& ctx) override {
    ProxyRequest* request = proxy_request(ctx);
    ProxyRequest* client = request && request->session ? request : nullptr;
    bool pinned = backend_.relay_ && backend_.relay_->pins &&
                  (call.method == mcp::Method::tools_call || call.method == mcp::Method::tools_list);
    // No extra coroutine frame on the way to the wire unless pins have something to check.
    if (!pinned) return backend_.send_upstream(std::move(call), client);
    return pinned_request(std::move(call), client);
  }
  void notify(middleware::Call call) override {
    // The stateless era takes no notifications from a client (cancelling is the peer's own).
    if (backend_.modern_) return;
    if (backend_.up() && backend_.peer_) backend_.peer_->notify(call.name, std::move(call.params));
  }

 private:
  // Pins see the definitions exactly as the server sent them, before any middleware.
  awaitable<json::value> pinned_request(middleware::Call call, ProxyRequest* client) {
    if (call.method == mcp::Method::tools_call) {
      auto* name = call.params.if_contains("name");
      if (name && name->is_string()) backend_.relay_->pins->check_call(backend_.name(), name->get_string());
      co_return co_await backend_.send_upstream(std::move(call), client);
    }
    json::value result = co_await backend_.send_upstream(std::move(call), client);
    auto pins = backend_.relay_->pins;  // a reload may have replaced (or removed) it meanwhile
    if (pins) pins->screen(backend_.name(), result);
    co_return result;
  }

  Backend& backend_;
};

Backend::Backend(asio::any_io_executor executor, config::ServerConfig config, Relay* relay,
                 json::object client_capabilities,
                 const std::vector<middleware::Maker>& client_middleware,
                 std::weak_ptr<DownstreamSession> owner)
    : executor_(executor),
      config_(std::move(config)),
      relay_(relay),
      client_capabilities_(std::move(client_capabilities)),
      owner_(std::move(owner)),
      state_changed_(executor, std::chrono::steady_clock::time_point::max()),
      tasks_(executor) {
  chain_ = std::make_unique<middleware::Pipeline>(client_middleware, middleware::Site{config_.name},
                                                 std::make_shared<Upstream>(*this));
  if (config_.namespace_resources) uri_prefix_ = resource_namespace(config_.name);
  if (relay_ && relay_->metrics) stats_ = relay_->metrics->backend(config_.name);
}

void Backend::set_state(BackendState state, std::string error) {
  if (stats_ && state == BackendState::up && state_ != BackendState::up)
    stats_->up_since = std::chrono::steady_clock::now();
  state_ = state;
  state_since_ = std::chrono::system_clock::now();
  if (!error.empty()) last_error_ = std::move(error);
  state_changed_.cancel();
}

awaitable<bool> Backend::wait_until_up(std::chrono::steady_clock::time_point deadline) {
  while (!up() && !stopping_ && std::chrono::steady_clock::now() < deadline) {
    // Only a (re)connection in progress can bring it back soon.
    if (!reconnect_pending_ && !connecting_) break;
    state_changed_.expires_at(deadline);
    co_await state_changed_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return up();
}

awaitable<void> Backend::start() {
  if (config_.disabled) {
    set_state(BackendState::disabled, "disabled in the configuration");
    co_return;
  }
  bool connected = co_await connect_once();
  if (!connected) schedule_reconnect();
}

std::shared_ptr<mcp::MessageTransport> Backend::make_transport() {
  if (config_.transport == config::ServerTransport::stdio) {
    transport::StdioChildOptions options;
    options.name = config_.name;
    options.command = config_.command;
    options.args = config_.args;
    options.env = config_.env;
    options.env_passthrough = config_.env_passthrough;
    options.cwd = config_.cwd;
    options.max_message_bytes = config_.max_message_bytes;
    return std::make_shared<transport::StdioChild>(executor_, std::move(options));
  }
  transport::HttpTransportOptions options;
  options.name = config_.name;
  options.url = config_.url;
  options.mode = config_.transport == config::ServerTransport::streamable_http
                     ? transport::HttpTransportOptions::Mode::streamable
                 : config_.transport == config::ServerTransport::sse
                     ? transport::HttpTransportOptions::Mode::sse
                     : transport::HttpTransportOptions::Mode::auto_detect;
  options.headers = config_.headers;
  options.ca_file = config_.tls_ca_file;
  options.insecure = config_.tls_insecure;
  options.connect_timeout = config_.connect_timeout;
  options.max_message_bytes = config_.max_message_bytes;
  // The connection's own bound is past every request deadline, which the peer enforces.
  options.io_timeout = std::max(config_.request_timeout, config_.startup_timeout) + std::chrono::seconds(30);
  return std::make_shared<transport::HttpTransport>(executor_, std::move(options));
}

void Backend::open_transport() {
  transport_ = make_transport();
  peer_ = std::make_shared<mcp::RpcPeer>(executor_, *transport_, config_.name);
  peer_->attach();
  if (stats_) {
    // Aliases of the stats: the peer may outlive this backend by a frame at shutdown.
    peer_->count_traffic(std::shared_ptr<support::Counter>(stats_, &stats_->bytes_in),
                         std::shared_ptr<support::Counter>(stats_, &stats_->bytes_out));
    if (epoch_ > 1) stats_->restarts.add();  // the process (or connection) made again
  }
  std::weak_ptr<Backend> weak = weak_from_this();
  peer_->on_notification = [weak](mcp::Message m) {
    if (auto self = weak.lock()) self->on_notification(std::move(m));
  };
  peer_->on_request = [weak](mcp::Message m) -> awaitable<json::value> {
    auto self = weak.lock();
    if (!self) throw McpError(mcp::error_code::kInternalError, "proxy is shutting down");
    co_return co_await self->on_server_request(std::move(m));
  };
  transport_->on_closed = [weak, epoch = epoch_](std::string reason) {
    if (auto self = weak.lock(); self && self->epoch_ == epoch) self->on_closed(std::move(reason));
  };
}

awaitable<bool> Backend::connect_once() {
  auto self = shared_from_this();
  connecting_ = true;
  struct Done {
    Backend& b;
    ~Done() {
      b.connecting_ = false;
      b.state_changed_.cancel();
    }
  } done{*this};
  if (transport_) co_await transport_->shutdown();  // the previous connection, if any
  if (stopping_) co_return false;
  set_state(state_ == BackendState::up ? BackendState::down : state_);
  bool was_up_before = ever_up_;
  auto previous_state = state_;
  state_ = BackendState::starting;
  ++epoch_;
  open_transport();

  auto started = std::chrono::steady_clock::now();
  std::string failure;
  try {
    co_await transport_->start();
    // The era: the stateless probe first unless the config or an earlier verdict says legacy.
    auto probe = Probe::legacy;
    if (config_.era != config::ServerEra::legacy && !legacy_verdict_) probe = co_await probe_era();
    // Stopped meanwhile (its session ended, MCProxy stops): closed, but not to be started again.
    if (probe == Probe::closed && stopping_) throw std::runtime_error("stopped while its era was probed");
    if (probe == Probe::closed) {
      // It exits on what it does not know: a new process (or connection) for initialize.
      legacy_verdict_ = true;
      spdlog::info("[{}] it closed the connection on server/discover: a legacy server; starting it again", name());
      co_await transport_->shutdown();
      ++epoch_;
      open_transport();
      co_await transport_->start();
    }
    modern_ = probe == Probe::modern;
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (failure.empty()) {
    try {
      if (!modern_) co_await initialize_upstream();
      lists_ = {};
      set_state(BackendState::up);
      loading_lists_ = true;  // /health says "starting" until the catalogue is in
      co_await load_lists();
      loading_lists_ = false;
      if (was_up_before && !modern_) co_await restore_session_state();
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  loading_lists_ = false;
  if (!failure.empty() || state_ != BackendState::up) {
    if (failure.empty()) failure = last_error_;
    set_state(was_up_before ? BackendState::down : BackendState::failed, failure);
    if (reconnecting_after_blip_) {
      // Not back at the first attempt: its tools, prompts and resources are withdrawn now.
      reconnecting_after_blip_ = false;
      lists_ = {};
      catalogue_changed({ListKind::tools, ListKind::prompts, ListKind::resources});
    }
    if (previous_state == BackendState::starting || attempts_ == 0)
      spdlog::error("[{}] failed to start: {}", name(), last_error_);
    else
      spdlog::warn("[{}] reconnect attempt {} failed: {}", name(), attempts_, last_error_);
    if (transport_) co_await transport_->shutdown();
    co_return false;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  if (was_up_before) {
    ++reconnects_;
    if (stats_) stats_->reconnects.add();
  }
  spdlog::info("[{}] {} in {} ms ({}, protocol {}): {} tools, {} prompts, {} resources, {} templates",
               name(), was_up_before ? "reconnected" : "up", ms.count(),
               transport_->pid() > 0 ? fmt::format("pid {}", transport_->pid()) : support::redact_url(config_.url),
               protocol_version_, list(ListKind::tools).size(), list(ListKind::prompts).size(),
               list(ListKind::resources).size(), list(ListKind::templates).size());
  ever_up_ = true;
  attempts_ = 0;
  failed_pings_ = 0;
  reconnecting_after_blip_ = false;
  catalogue_changed({ListKind::tools, ListKind::prompts, ListKind::resources});
  start_health_checks();
  if (modern_) start_listening();
  co_return true;
}

void Backend::schedule_reconnect(bool immediate) {
  if (stopping_ || reconnect_pending_) return;
  if (config_.reconnect_max_attempts > 0 && attempts_ >= config_.reconnect_max_attempts) {
    spdlog::error("[{}] giving up after {} reconnect attempts (reconnect.maxAttempts)", name(), attempts_);
    return;
  }
  // Exponential backoff with ±20% jitter, so backends that died together do not retry together.
  auto base = config_.reconnect_initial_delay.count() * (1LL << std::min(attempts_, 20));
  auto capped = std::min<long long>(base, config_.reconnect_max_delay.count());
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  static thread_local std::mt19937 rng{std::random_device{}()};
  auto delay = immediate ? std::chrono::milliseconds(0)
                         : std::chrono::milliseconds(static_cast<long long>(static_cast<double>(capped) * jitter(rng)));
  ++attempts_;
  reconnect_pending_ = true;
  next_attempt_ = std::chrono::system_clock::now() + delay;
  spdlog::info("[{}] reconnecting in {} ms (attempt {})", name(), delay.count(), attempts_);
  auto self = shared_from_this();
  auto attempt = [self, delay]() -> awaitable<void> {
    asio::steady_timer timer(self->executor_, delay);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    self->reconnect_pending_ = false;
    if (self->stopping_) co_return;
    bool connected = co_await self->connect_once();
    if (!connected) self->schedule_reconnect();
  };
  tasks_.spawn(fmt::format("[{}] reconnect", name()), std::move(attempt));
}

void Backend::start_health_checks() {
  if (config_.health_check_interval.count() <= 0) return;
  auto self = shared_from_this();
  auto checks = [self, epoch = epoch_]() -> awaitable<void> {
        asio::steady_timer timer(self->executor_);
        while (!self->stopping_ && self->epoch_ == epoch && self->up()) {
          timer.expires_after(self->config_.health_check_interval);
          co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
          if (self->stopping_ || self->epoch_ != epoch || !self->up()) break;
          auto limit = std::min(self->config_.health_check_interval, self->config_.request_timeout);
          std::string failure;
          try {
            // The stateless era has no ping: server/discover is its cheapest request.
            std::string method = self->modern_ ? "server/discover" : "ping";
            json::object params;
            if (self->modern_) params["_meta"] = self->modern_envelope(nullptr);
            co_await self->peer_->request(method, std::move(params), limit);
            self->failed_pings_ = 0;
          } catch (const std::exception& e) {
            failure = e.what();
          }
          if (failure.empty() || self->epoch_ != epoch) continue;
          ++self->failed_pings_;
          spdlog::warn("[{}] health check failed ({} of {}): {}", self->name(), self->failed_pings_,
                       self->config_.failure_threshold, failure);
          if (self->failed_pings_ >= self->config_.failure_threshold) {
            self->on_closed(fmt::format("{} health checks in a row failed", self->failed_pings_));
            break;
          }
        }
  };
  tasks_.spawn(fmt::format("[{}] health checks", name()), std::move(checks));
}

awaitable<void> Backend::stop(std::string why) {
  stopping_ = true;
  // Its background work (a pending reconnect, the health checks, a restore) ends first: no
  // loop outlives the backend's stop.
  tasks_.cancel();
  co_await tasks_.wait(std::chrono::steady_clock::now() + std::chrono::seconds(2));
  if (peer_) peer_->close(why);
  if (transport_) co_await transport_->shutdown();
  if (state_ == BackendState::up || state_ == BackendState::starting)
    set_state(BackendState::down, "stopped");
}

void Backend::on_closed(std::string reason) {
  if (peer_) peer_->close(reason);  // requests in flight fail at once, naming the reason
  if (stopping_) return;
  if (state_ == BackendState::up) {
    set_state(BackendState::down, reason);
    // It was working a moment ago: try again at once (a restarted server is usually back).
    // Until that attempt ends its catalogue stays and calls wait for it; if it fails, the
    // tools are withdrawn and the reconnects back off.
    spdlog::warn("[{}] connection lost: {}; reconnecting", name(), reason);
    attempts_ = 0;
    reconnecting_after_blip_ = true;
    schedule_reconnect(/*immediate=*/true);
  } else if (state_ == BackendState::starting) {
    last_error_ = reason;
  }
}

namespace {

void record(BackendStats& stats, std::size_t method, ToolStats* tool, Outcome outcome,
            std::chrono::steady_clock::time_point started) {
  stats.in_flight.sub();
  stats.requests[method][static_cast<std::size_t>(outcome)].add();
  stats.latency[method].observe(std::chrono::steady_clock::now() - started);
  if (tool) tool->calls[static_cast<std::size_t>(outcome)].add();
}

}  // namespace

awaitable<json::value> Backend::request(middleware::Call call, ProxyRequest& ctx) {
  auto self = shared_from_this();
  if (!stats_) co_return co_await chain_->entry().request(std::move(call), ctx);
  // Counted here, outside the client middleware: what the catalogue routed to this server.
  auto method = static_cast<std::size_t>(call.method);
  ToolStats* tool = nullptr;
  if (call.method == mcp::Method::tools_call) {
    auto listed = [this](std::string_view name) {
      for (auto& t : list(ListKind::tools))
        if (auto* o = t.if_object(); o && middleware::string_field(*o, "name") == name) return true;
      return false;
    };
    tool = &stats_->tool(middleware::string_field(call.params, "name"), listed);
  }
  auto stats = stats_;
  stats->in_flight.add();
  auto started = std::chrono::steady_clock::now();
  try {
    json::value result = co_await chain_->entry().request(std::move(call), ctx);
    bool tool_error = false;
    if (auto* o = result.if_object())
      if (auto* e = o->if_contains("isError"); e && e->is_bool()) tool_error = e->get_bool();
    record(*stats, method, tool, tool_error ? Outcome::tool_error : Outcome::ok, started);
    co_return result;
  } catch (const std::exception& e) {
    record(*stats, method, tool, outcome_of(&e, ctx.cancellation.reason() != mcp::Cancellation::Reason::none),
           started);
    throw;
  }
}

awaitable<json::value> Backend::request(std::string_view method, json::object params) {
  auto self = shared_from_this();
  ProxyRequest own;  // no session: the proxy's own request
  middleware::Call call{std::string(method), std::move(params)};
  co_return co_await request(std::move(call), own);
}

awaitable<json::value> Backend::send_upstream(middleware::Call call, ProxyRequest* ctx) {
  const std::string& method = call.name;
  json::object& params = call.params;
  if (state_ != BackendState::up && reconnecting_after_blip_ && ctx) {
    // A connection that just broke is being re-established: wait for it (bounded).
    co_await wait_until_up(std::chrono::steady_clock::now() + config_.request_timeout);
  }
  if (state_ != BackendState::up || !peer_) {
    throw McpError(mcp::error_code::kBackendUnavailable,
                   fmt::format("backend '{}' is {}{}{}", name(), to_string(state_),
                               last_error_.empty() ? "" : ": ", last_error_),
                   json::object{{"backend", name()}});
  }
  if (modern_) {
    auto answered = prepare_modern(method, params, ctx);
    if (answered) co_return std::move(*answered);
  } else {
    // A stateless client's retry after a URL elicitation (url_elicitation_as_input) is a new
    // request to a server of the initialize era, which knows nothing of these.
    params.erase("inputResponses");
    params.erase("requestState");
  }
  if (!ctx) co_return co_await peer_->request(method, std::move(params), config_.request_timeout);
  // (A request of the proxy's own, e.g. a list load, is not retried: the reconnect reloads.)

  in_flight_.push_back(ctx);
  if (!ctx->trace.empty()) {
    // W3C Trace Context: this server's parent is the proxy's span for the request.
    auto& meta = params["_meta"];
    if (!meta.is_object()) meta = json::object{};
    meta.get_object()["traceparent"] = ctx->trace.traceparent();
  }
  std::int64_t token = 0;
  if (!ctx->progress_token.is_null() && relay_) {
    token = relay_->register_progress(*ctx);
    if (auto* meta = params.if_contains("_meta"); meta && meta->is_object())
      meta->get_object()["progressToken"] = token;
  }
  struct Cleanup {
    Backend* self;
    ProxyRequest* ctx;
    std::int64_t token;
    ~Cleanup() {
      std::erase(self->in_flight_, ctx);
      if (token && self->relay_) self->relay_->unregister_progress(token);
    }
  } cleanup{this, ctx, token};
  auto deadline = std::chrono::steady_clock::now() + config_.request_timeout;
  auto peer = peer_;
  std::optional<McpError> expired;
  json::value result;
  auto param_headers = modern_ && call.method == mcp::Method::tools_call
                           ? upstream_param_headers(params, ctx)
                           : std::vector<std::pair<std::string, std::string>>{};
  try {
    result = co_await peer->request(method, params, config_.request_timeout, &ctx->cancellation, "requestTimeoutMs",
                                    std::move(param_headers));
  } catch (const McpError& e) {
    if (e.code() != mcp::error_code::kUpstreamSessionExpired) throw;
    expired.emplace(e);
  }
  if (!expired) {
    // A stateless client answers an input_required result itself; an initialize-era one
    // through the bridge.
    auto* session = ctx->downstream();
    if (modern_ && relay_ && session && !session->stateless())
      co_return co_await answer_input_required(method, std::move(params), std::move(result), *ctx);
    co_return result;
  }
  // The server refused it for a session it no longer knows, so it did not run it: once the
  // backend has a new session (it reconnects at once), send it one more time.
  bool back = co_await wait_until_up(deadline);
  if (!back || !peer_ || peer_ == peer || ctx->cancellation.cancelled()) {
    throw McpError(mcp::error_code::kBackendUnavailable,
                   fmt::format("backend '{}' lost its session and is not back: {}", name(), expired->what()),
                   json::object{{"backend", name()}});
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  spdlog::info("[{}] '{}' sent again on the new session", name(), method);
  co_return co_await peer_->request(method, std::move(params), std::max(left, std::chrono::milliseconds(1)),
                                    &ctx->cancellation);
}

void Backend::notify(std::string_view method, json::object params) {
  chain_->entry().notify(middleware::Call{std::string(method), std::move(params)});
}

void Backend::on_notification(mcp::Message message) {
  // Reverse path through this backend's middleware, innermost first; any of them may drop it
  // (the proxy middleware sees it next, in the Relay, once it is attributed).
  middleware::Call note{std::string(message.method()), std::move(message.mutable_params())};
  if (!chain_->server_notification(note, middleware::ReverseContext{name(), nullptr})) return;
  message.mutable_params() = std::move(note.params);
  const std::string& method = note.name;
  auto invalidate = [&](std::initializer_list<ListKind> kinds) {
    for (auto k : kinds) lists_[static_cast<int>(k)].reset();
    spdlog::info("[{}] {}: the catalogue will be refreshed", name(), method);
    catalogue_changed(kinds);
  };
  if (method == "notifications/tools/list_changed") {
    invalidate({ListKind::tools});
  } else if (method == "notifications/prompts/list_changed") {
    invalidate({ListKind::prompts});
  } else if (method == "notifications/resources/list_changed") {
    invalidate({ListKind::resources, ListKind::templates});
  } else {
    if (method == "notifications/message") {
      auto& p = message.params();
      auto* level = p.if_contains("level");
      spdlog::debug("[{}] log ({}): {:.500}", name(),
                    level && level->is_string() ? std::string_view(level->get_string()) : "info",
                    p.contains("data") ? json::serialize(p.at("data")) : "");
    }
    if (relay_) relay_->on_backend_notification(*this, std::move(message));
  }
}

bool Backend::tool_blocked(std::string_view tool) const {
  return relay_ && relay_->pins && relay_->pins->blocked(name(), tool);
}

void Backend::relist_tools() {
  lists_[static_cast<int>(ListKind::tools)].reset();
  catalogue_changed({ListKind::tools});
}

awaitable<json::value> Backend::on_server_request(mcp::Message message) {
  if (!relay_) throw McpError(mcp::error_code::kMethodNotFound, "Method not found");
  auto self = shared_from_this();
  // Through this backend's client middleware (innermost first), then the Relay finds the
  // client (and its proxy middleware).
  middleware::Call call{std::string(message.method()), message.params()};
  middleware::ReverseNext to_relay = [self](middleware::Call c) {
    return self->relay_->on_backend_request(*self, std::move(c));
  };
  middleware::ReverseContext from{name(), nullptr};
  co_return co_await chain_->server_request(std::move(call), from, to_relay);
}

namespace {

// Runs fn(backend) for every backend concurrently and returns when all have finished. The
// children own what they use (fn is shared, its captures are values), so none depends on this
// frame; and the join ignores the caller's cancellation (an initialize whose client went away
// runs its per-client backends' start to the end, and the session's end stops them): a
// cancelled join that returned early destroyed the frame under running children (found by
// the sanitizer tree, faults-processes D4 (c)).
template <class Fn>
awaitable<void> for_each_concurrently(const std::vector<std::shared_ptr<Backend>>& backends, Fn fn) {
  auto executor = co_await asio::this_coro::executor;
  auto remaining = std::make_shared<std::size_t>(backends.size());
  auto done = std::make_shared<asio::steady_timer>(executor, std::chrono::steady_clock::time_point::max());
  auto shared_fn = std::make_shared<Fn>(std::move(fn));
  for (auto& b : backends) {
    auto child = [shared_fn, b] { return (*shared_fn)(b); };
    asio::co_spawn(executor, std::move(child), [remaining, done, name = b->name()](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("[{}] {}", name, ex.what());
        }
      }
      if (--*remaining == 0) done->cancel();
    });
  }
  auto uncancellable = asio::bind_cancellation_slot(asio::cancellation_slot(), asio::as_tuple(asio::use_awaitable));
  while (*remaining > 0) co_await done->async_wait(uncancellable);
}

}  // namespace

awaitable<void> start_all(const std::vector<std::shared_ptr<Backend>>& backends,
                          std::function<void(Backend&)> on_started) {
  auto start = [on_started](std::shared_ptr<Backend> b) -> awaitable<void> {
    co_await b->start();
    if (on_started) on_started(*b);
  };
  co_await for_each_concurrently(backends, start);
}

awaitable<void> stop_all(const std::vector<std::shared_ptr<Backend>>& backends, std::string why) {
  // Named first: GCC 12 destroys a capturing lambda built inside the co_await expression twice.
  auto stop = [why](std::shared_ptr<Backend> b) { return b->stop(why); };
  co_await for_each_concurrently(backends, stop);
}

}  // namespace mcproxy::proxy
