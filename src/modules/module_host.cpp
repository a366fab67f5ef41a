#include "modules/module_host.hpp"

#include "mcp/error.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
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

ModuleHost::~ModuleHost() { stop_child(); }

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

awaitable<void> ModuleHost::start() {
  auto self = shared_from_this();
  auto executor = co_await asio::this_coro::executor;
  starting_ = true;
  started_signal_ = std::make_shared<asio::steady_timer>(executor, std::chrono::steady_clock::time_point::max());
  struct Done {
    ModuleHost& h;
    ~Done() {
      h.starting_ = false;
      h.started_signal_->cancel();
    }
  } done{*this};
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
    json::object params{{"protocolVersion", kModuleProtocolVersion},
                        {"proxy", json::object{{"name", "mcproxy"}, {"version", MCPROXY_VERSION}}},
                        {"site", options_.site.empty() ? json::value(nullptr) : json::value(options_.site)},
                        {"config", options_.config}};
    auto result = co_await peer_->request("module/initialize", std::move(params), options_.start_timeout, nullptr,
                                          "startTimeoutMs");
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
    if (auto* n = r->if_contains("name"); n && n->is_string()) who = fmt::format("{} ({})", options_.name, std::string_view(n->get_string()));
    spdlog::info("[{}] module up (pid {}): sees {} request and {} result method(s)", who, child_->pid(),
                 caps.all_requests ? std::string("all") : std::to_string(caps.requests.size()),
                 caps.all_results ? std::string("all") : std::to_string(caps.results.size()));
    capabilities_ = std::move(caps);
    backoff_ = std::chrono::milliseconds(0);
    next_start_ = {};
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    last_error_ = failure;
    backoff_ = backoff_.count() == 0 ? std::chrono::milliseconds(1000) : std::min(backoff_ * 2, kMaxBackoff);
    next_start_ = std::chrono::steady_clock::now() + backoff_;
    spdlog::error("[{}] the module could not start: {} (next attempt in {} ms)", options_.name, failure, backoff_.count());
    stop_child();
  }
}

awaitable<json::value> ModuleHost::call(std::string_view method, json::object params) {
  auto self = shared_from_this();
  auto peer = peer_;
  if (!peer || peer->closed())
    throw mcp::McpError(mcp::error_code::kBackendUnavailable, fmt::format("module {} is not running", options_.name));
  co_return co_await peer->request(method, std::move(params), options_.timeout, nullptr, "timeoutMs");
}

}  // namespace mcproxy::modules
