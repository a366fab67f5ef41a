// Backend: the list cache. A backend's tools, prompts, resources and templates are loaded once
// it is up (every page), kept until a list_changed or a reconnect invalidates them, and served
// from here to the Aggregator's merged catalogue. A list that came with a ttlMs (2026-07-28) is
// fetched again when that runs out; clients hear list_changed only when it moved.
#include "proxy/backend.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <fmt/format.h>

#include <spdlog/spdlog.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using mcp::McpError;

namespace {
const json::array kEmptyArray;
}

bool Backend::lists_loaded() const noexcept {
  for (auto kind : kAllListKinds)
    if (has_capability(list_capability(kind)) && !lists_[static_cast<int>(kind)]) return false;
  return true;
}

const json::array& Backend::list(ListKind kind) const noexcept {
  auto& l = lists_[static_cast<int>(kind)];
  return l ? *l : kEmptyArray;
}

awaitable<std::pair<json::array, std::int64_t>> Backend::fetch_list(ListKind kind) {
  json::array items;
  std::int64_t ttl = 0;
  bool first = true;
  json::value cursor;
  for (int page = 0; page < 10'000; ++page) {
    json::object params;
    if (cursor.is_string()) params["cursor"] = cursor;
    json::value result = co_await request(list_method(kind), std::move(params));
    if (!result.is_object()) break;
    auto& obj = result.get_object();
    if (auto* arr = obj.if_contains(list_key(kind)); arr && arr->is_array()) {
      for (auto& item : arr->get_array())
        if (item.is_object()) items.push_back(std::move(item));
    }
    // The whole list lasts as long as its shortest-lived page.
    auto* page_ttl = obj.if_contains("ttlMs");
    std::int64_t t = page_ttl && page_ttl->is_int64() && page_ttl->get_int64() > 0 ? page_ttl->get_int64() : 0;
    ttl = first ? t : (t == 0 || ttl == 0 ? 0 : std::min(ttl, t));
    first = false;
    auto* next = obj.if_contains("nextCursor");
    if (!next || !next->is_string() || next->get_string().empty()) break;
    cursor = *next;
  }
  co_return std::pair{std::move(items), ttl};
}

awaitable<void> Backend::load_lists() {
  for (auto kind : kAllListKinds) {
    int k = static_cast<int>(kind);
    if (lists_[k] || !up() || !has_capability(list_capability(kind))) continue;
    std::pair<json::array, std::int64_t> loaded;
    try {
      loaded = co_await fetch_list(kind);
    } catch (const McpError& e) {
      spdlog::warn("[{}] {} failed: {}", name(), list_method(kind), e.what());
    }
    if (!up()) continue;
    lists_[k] = std::move(loaded.first);
    list_ttl_ms_[k] = loaded.second;
    ++list_loads_[k];
    if (loaded.second > 0) refresh_when_expired(kind);
  }
}

void Backend::refresh_when_expired(ListKind kind) {
  auto self = shared_from_this();
  int k = static_cast<int>(kind);
  auto refresh = [self, kind, k, load = list_loads_[k], epoch = epoch_]() -> awaitable<void> {
    asio::steady_timer expiry(self->executor_);
    auto current = [&] {
      return !self->stopping_ && self->epoch_ == epoch && self->up() && self->list_loads_[k] == load &&
             self->lists_[k] && self->list_ttl_ms_[k] > 0;
    };
    while (current()) {
      // At least a second apart: a server saying ttlMs 1 is not polled in a loop.
      expiry.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(self->list_ttl_ms_[k], 1000)));
      co_await expiry.async_wait(asio::as_tuple(asio::use_awaitable));
      if (!current()) break;
      std::pair<json::array, std::int64_t> fresh;
      try {
        fresh = co_await self->fetch_list(kind);
      } catch (const McpError& e) {
        spdlog::debug("[{}] {} after its ttlMs failed: {} (the list is kept)", self->name(), list_method(kind),
                      e.what());
        continue;
      }
      if (!current()) break;
      self->list_ttl_ms_[k] = fresh.second;
      if (fresh.first == *self->lists_[k]) continue;
      spdlog::info("[{}] {} changed when its ttlMs ran out: the catalogue will be refreshed", self->name(),
                   list_method(kind));
      self->lists_[k] = std::move(fresh.first);
      self->catalogue_changed({kind});
    }
  };
  tasks_.spawn(fmt::format("[{}] {} ttl", name(), list_method(kind)), std::move(refresh));
}

}  // namespace mcproxy::proxy
