// Backend: what its upstream session holds on behalf of the proxy's client sessions, so that it
// can be shared safely and restored after a re-initialize: resource subscriptions counted per
// URI, the owner of every task, each client session's log level (upstream gets the most verbose
// one still wanted), and what a client session leaves behind when it ends.
#include "proxy/backend.hpp"

#include "mcp/log_level.hpp"
#include "proxy/relay.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using mcp::McpError;

int Backend::remove_subscriber(const std::string& uri) {
  auto it = subscribers_.find(uri);
  if (it == subscribers_.end()) return 0;
  if (--it->second > 0) return it->second;
  subscribers_.erase(it);
  return 0;
}

int Backend::subscribers(const std::string& uri) const {
  auto it = subscribers_.find(uri);
  return it == subscribers_.end() ? 0 : it->second;
}

void Backend::release_subscription(const std::string& uri) {
  if (remove_subscriber(uri) > 0) return;
  spawn_request(std::string(mcp::name_of(mcp::Method::resources_unsubscribe)), json::object{{"uri", uri}});
}

void Backend::spawn_request(std::string method, json::object params) {
  if (!up() || !peer_) return;
  auto self = shared_from_this();
  auto send = [self, method, params = std::move(params)]() mutable -> awaitable<void> {
    co_await self->request(method, std::move(params));
  };
  tasks_.spawn(fmt::format("[{}] {}", name(), method), std::move(send));
}

awaitable<void> Backend::restore_session_state() {
  // Copies: the tables may change while a request is out.
  std::vector<std::string> uris;
  for (auto& [uri, count] : subscribers_)
    if (count > 0) uris.push_back(uri);
  for (auto& uri : uris) {
    try {
      // (GCC 12 rejects braced initializers with string literals inside a co_await
      // expression: "array used as initializer". Built first.)
      std::string_view method = mcp::name_of(mcp::Method::resources_subscribe);
      json::object params;
      params["uri"] = uri;
      co_await request(method, std::move(params));
    } catch (const McpError& e) {
      spdlog::warn("[{}] could not restore the subscription to {}: {}", name(), uri, e.what());
    }
  }
  if (!upstream_log_level_.empty() && has_capability("logging")) {
    std::string level = upstream_log_level_;
    try {
      std::string_view method = mcp::name_of(mcp::Method::logging_set_level);
      json::object params;
      params["level"] = level;
      co_await request(method, std::move(params));
    } catch (const McpError& e) {
      spdlog::warn("[{}] could not restore the log level {}: {}", name(), level, e.what());
    }
  }
}

void Backend::remember_task(std::string task_id, std::string session_id) {
  constexpr std::size_t kMaxTasks = 10'000;
  auto [it, inserted] = task_owners_.insert_or_assign(task_id, std::move(session_id));
  if (inserted) task_order_.push_back(std::move(task_id));
  while (task_order_.size() > kMaxTasks) {
    task_owners_.erase(task_order_.front());
    task_order_.pop_front();
  }
}

std::string Backend::task_owner(std::string_view task_id) const {
  auto it = task_owners_.find(std::string(task_id));
  return it == task_owners_.end() ? std::string() : it->second;
}

namespace {

// The most verbose of the levels the sessions want ("" when none set one).
std::string most_verbose(const std::unordered_map<std::string, std::string>& levels) {
  std::string best;
  for (auto& [session, level] : levels)
    if (best.empty() || mcp::log_level_rank(level) < mcp::log_level_rank(best)) best = level;
  return best;
}

}  // namespace

std::string Backend::set_session_log_level(const std::string& session_id, std::string level) {
  log_levels_[session_id] = std::move(level);
  auto wanted = most_verbose(log_levels_);
  if (wanted == upstream_log_level_) return {};
  upstream_log_level_ = wanted;
  return wanted;
}

void Backend::forget_session(const std::string& session_id) {
  if (log_levels_.erase(session_id) == 0) return;
  auto wanted = most_verbose(log_levels_);
  if (wanted.empty() || wanted == upstream_log_level_ || !up() || !has_capability("logging")) return;
  // Nobody wants the more verbose level any more: ask the server for less.
  upstream_log_level_ = wanted;
  spawn_request(std::string(mcp::name_of(mcp::Method::logging_set_level)), json::object{{"level", wanted}});
}


void Backend::catalogue_changed(std::initializer_list<ListKind> kinds) {
  ++generation_;
  if (relay_) relay_->on_catalogue_changed(*this, kinds);
}

Backend::~Backend() = default;

}  // namespace mcproxy::proxy
