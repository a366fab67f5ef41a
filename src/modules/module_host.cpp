#include "modules/module_host.hpp"

#include "mcp/error.hpp"
#include "support/redaction.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::modules {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;

namespace {

constexpr std::chrono::milliseconds kMaxBackoff{30'000};

std::set<std::string, std::less<>> methods_of(const json::object& caps, std::string_view key, bool& all) {
  std::set<std::string, std::less<>> out;
  if (auto* v = caps.if_contains(key); v && v->is_array())
    for (auto& m : v->get_array())
      if (m.is_string()) {
        if (m.get_string() == "*") all = true;
        else out.emplace(m.get_string());
      }
  return out;
}

}  // namespace

ModuleHost::~ModuleHost() {
  stop_child();
  if (http_) http_->stop();
}

void ModuleHost::stop_child() {
  if (peer_) peer_->close("the module is stopped");
  if (child_) {
    auto child = child_;
    // Bounded (stdin closed, then SIGTERM, then SIGKILL); nobody waits for it here.
    auto stop = [child]() -> awaitable<void> { co_await child->shutdown(); };
    asio::co_spawn(executor_, std::move(stop), asio::detached);
  }
  child_.reset();
  peer_.reset();
  capabilities_.reset();
}

awaitable<std::optional<ModuleCapabilities>> ModuleHost::ready() {
  if (!options_.url.empty()) {
    // Remote: "up" once initialize answered; a failed call does not make it "down" (HTTP has
    // no connection to lose), but a failed initialize is retried after the backoff.
    if (capabilities_) co_return capabilities_;
    if (starting_ && started_signal_) {
      auto signal = started_signal_;
      co_await signal->async_wait(asio::as_tuple(asio::use_awaitable));
      co_return capabilities_;
    }
    if (std::chrono::steady_clock::now() < next_start_) co_return std::nullopt;
    co_await start_remote();
    co_return capabilities_;
  }
  if (capabilities_ && peer_ && !peer_->closed()) co_return capabilities_;
  if (starting_ && started_signal_) {
    // Another call is starting it: wait for that start to end (it is bounded itself).
    auto signal = started_signal_;
    co_await signal->async_wait(asio::as_tuple(asio::use_awaitable));
    co_return capabilities_;
  }
  if (std::chrono::steady_clock::now() < next_start_) co_return std::nullopt;  // backing off
  co_await start();
  co_return capabilities_;
}

// While one start runs, other calls wait on its signal rather than start it again.
struct ModuleHost::Starting {
  ModuleHost& host;
  Starting(ModuleHost& h, const asio::any_io_executor& executor) : host(h) {
    host.starting_ = true;
    host.started_signal_ = std::make_shared<asio::steady_timer>(executor, std::chrono::steady_clock::time_point::max());
  }
  ~Starting() {
    host.starting_ = false;
    host.started_signal_->cancel();
  }
};

void ModuleHost::started_ok() {
  backoff_ = std::chrono::milliseconds(0);
  next_start_ = {};
}

void ModuleHost::start_failed(const std::string& failure, std::string_view could_not) {
  last_error_ = failure;
  capabilities_.reset();
  backoff_ = backoff_.count() == 0 ? std::chrono::milliseconds(1000) : std::min(backoff_ * 2, kMaxBackoff);
  next_start_ = std::chrono::steady_clock::now() + backoff_;
  spdlog::error("[{}] the module could not {}: {} (next attempt in {} ms)", options_.name, could_not, failure,
                backoff_.count());
}

json::object ModuleHost::initialize_params() const {
  return json::object{{"protocolVersion", kModuleProtocolVersion},
                      {"proxy", json::object{{"name", "mcproxy"}, {"version", MCPROXY_VERSION}}},
                      {"site", options_.site.empty() ? json::value(nullptr) : json::value(options_.site)},
                      {"config", options_.config}};
}

void ModuleHost::accept_initialize(const json::value& result, std::string_view where) {
  auto* r = result.if_object();
  if (!r) throw std::runtime_error("module/initialize returned a non-object result");
  auto* version = r->if_contains("protocolVersion");
  if (!version || !version->is_string() || version->get_string() != kModuleProtocolVersion)
    throw std::runtime_error(fmt::format("it speaks module protocol {}, MCProxy speaks {}",
                                         version ? json::serialize(*version) : "(none)", kModuleProtocolVersion));
  ModuleCapabilities caps;
  if (auto* c = r->if_contains("capabilities"); c && c->is_object()) {
    caps.requests = methods_of(c->get_object(), "requests", caps.all_requests);
    caps.results = methods_of(c->get_object(), "results", caps.all_results);
  }
  std::string who = options_.name;
  if (auto* n = r->if_contains("name"); n && n->is_string())
    who = fmt::format("{} ({})", options_.name, std::string_view(n->get_string()));
  spdlog::info("[{}] module up ({}): sees {} request and {} result method(s)", who, where,
               caps.all_requests ? std::string("all") : std::to_string(caps.requests.size()),
               caps.all_results ? std::string("all") : std::to_string(caps.results.size()));
  capabilities_ = std::move(caps);
}

awaitable<json::value> ModuleHost::post(std::string_view method, json::object params, std::chrono::milliseconds timeout) {
  namespace http = boost::beast::http;
  json::object message{{"jsonrpc", "2.0"}, {"id", next_id_++}, {"method", method}, {"params", std::move(params)}};
  auto url = transport::HttpUrl::parse(options_.url);
  http::request<http::string_body> req(http::verb::post, url.target, 11);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "application/json");
  for (auto& [k, v] : options_.headers) req.set(k, v);
  req.body() = json::serialize(message);
  req.prepare_payload();
  std::string failure;
  transport::HttpClient::Response response;
  try {
    response = co_await http_->fetch(std::move(req), timeout, 64u << 20);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty())
    throw mcp::McpError(mcp::error_code::kBackendUnavailable, fmt::format("module {}: {}", options_.name, failure));
  if (response.status != 200)
    throw mcp::McpError(mcp::error_code::kBackendUnavailable,
                        fmt::format("module {} answered HTTP {}", options_.name, response.status));
  boost::system::error_code ec;
  auto answer = json::parse(response.body, ec);
  auto* o = answer.if_object();
  if (ec || !o) throw mcp::McpError(mcp::error_code::kInternalError, fmt::format("module {}: not JSON-RPC", options_.name));
  if (auto* e = o->if_contains("error"); e && e->is_object()) throw mcp::McpError::from_error_object(e->get_object());
  auto* result = o->if_contains("result");
  if (!result) throw mcp::McpError(mcp::error_code::kInternalError, fmt::format("module {}: no result", options_.name));
  co_return *result;
}

awaitable<void> ModuleHost::start_remote() {
  auto self = shared_from_this();
  auto executor = co_await asio::this_coro::executor;
  Starting starting(*this, executor);
  std::string failure;
  try {
    if (!http_) {
      transport::HttpClientOptions o;
      o.name = options_.name;
      o.connect_timeout = options_.start_timeout;
      http_ = std::make_unique<transport::HttpClient>(executor, transport::HttpUrl::parse(options_.url), o);
    }
    auto result = co_await post("module/initialize", initialize_params(), options_.start_timeout);
    accept_initialize(result, support::redact_url(options_.url));
    started_ok();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) start_failed(failure, "be reached");
}

awaitable<void> ModuleHost::start() {
  auto self = shared_from_this();
  auto executor = co_await asio::this_coro::executor;
  Starting starting(*this, executor);
  stop_child();
  executor_ = executor;
  transport::StdioChildOptions o;
  o.name = options_.name;
  o.command = options_.command;
  o.args = options_.args;
  o.env = options_.env;
  o.stdin_close_grace = std::chrono::milliseconds(500);
  o.term_grace = std::chrono::milliseconds(500);
  child_ = std::make_shared<transport::StdioChild>(executor, std::move(o));
  peer_ = std::make_shared<mcp::RpcPeer>(executor, *child_, options_.name);
  peer_->attach();
  std::weak_ptr<ModuleHost> weak = weak_from_this();
  auto epoch = ++epoch_;
  child_->on_closed = [weak, epoch](std::string reason) {
    auto host = weak.lock();
    if (!host || host->epoch_ != epoch) return;
    spdlog::warn("[{}] the module stopped: {}; it is started again on the next call", host->options_.name, reason);
    host->last_error_ = reason;
    if (host->peer_) host->peer_->close(reason);
    host->capabilities_.reset();
  };
  std::string failure;
  try {
    co_await child_->start();
    auto result = co_await peer_->request("module/initialize", initialize_params(), options_.start_timeout, nullptr,
                                          "startTimeoutMs");
    accept_initialize(result, fmt::format("pid {}", child_->pid()));
    started_ok();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    start_failed(failure, "start");
    stop_child();
  }
}

awaitable<json::value> ModuleHost::call(std::string_view method, json::object params) {
  auto self = shared_from_this();
  if (!options_.url.empty()) {
    try {
      co_return co_await post(method, std::move(params), options_.timeout);
    } catch (const mcp::McpError& e) {
      // Unreachable (it may have restarted and forgotten its config): initialize it again first.
      if (e.code() == mcp::error_code::kBackendUnavailable) capabilities_.reset();
      throw;
    }
  }
  auto peer = peer_;
  if (!peer || peer->closed())
    throw mcp::McpError(mcp::error_code::kBackendUnavailable, fmt::format("module {} is not running", options_.name));
  co_return co_await peer->request(method, std::move(params), options_.timeout, nullptr, "timeoutMs");
}

}  // namespace mcproxy::modules
