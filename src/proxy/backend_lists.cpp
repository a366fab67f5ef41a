// Backend: the list cache. A backend's tools, prompts, resources and templates are loaded once
// it is up (every page), kept until a list_changed or a reconnect invalidates them, and served
// from here to the Aggregator's merged catalogue.
#include "proxy/backend.hpp"

#include <boost/json.hpp>

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

awaitable<void> Backend::load_lists() {
  for (auto kind : kAllListKinds) {
    auto& slot = lists_[static_cast<int>(kind)];
    if (slot || !up() || !has_capability(list_capability(kind))) continue;
    json::array items;
    json::value cursor;
    try {
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
        auto* next = obj.if_contains("nextCursor");
        if (!next || !next->is_string() || next->get_string().empty()) break;
        cursor = *next;
      }
    } catch (const McpError& e) {
      spdlog::warn("[{}] {} failed: {}", name(), list_method(kind), e.what());
    }
    if (up()) slot = std::move(items);
  }
}

}  // namespace mcproxy::proxy
