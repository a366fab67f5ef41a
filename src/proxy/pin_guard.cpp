#include "proxy/pin_guard.hpp"

#include "mcp/error.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::proxy {

namespace json = boost::json;

PinGuard::PinGuard(config::PinsConfig config, std::shared_ptr<auth::AuditLog> audit)
    : config_(std::move(config)), audit_(std::move(audit)), store_(config_.file) {
  store_.load();
}

void PinGuard::screen(const std::string& server, json::value& result) {
  auto* obj = result.if_object();
  auto* tools = obj ? obj->if_contains("tools") : nullptr;
  if (!tools || !tools->is_array()) return;
  json::array kept;
  for (auto& item : tools->get_array()) {
    auto* tool = item.if_object();
    auto* n = tool ? tool->if_contains("name") : nullptr;
    if (!n || !n->is_string()) {
      kept.push_back(std::move(item));
      continue;
    }
    std::string name(n->get_string());
    std::string digest = auth::tool_definition_digest(*tool);
    auto state = store_.observe(server, name, digest);
    auto key = std::pair{server, name};
    if (state != auth::PinState::changed) {
      blocked_.erase(key);
      kept.push_back(std::move(item));
      continue;
    }
    bool block = config_.mode == config::PinMode::block;
    bool first_report = block ? !blocked_.contains(key) : true;
    if (first_report) {
      spdlog::warn("[{}] the definition of tool '{}' changed since it was pinned ({}): {}; approve it with "
                   "`mcproxy pins approve {} {}`",
                   server, name, digest.substr(0, 19), block ? "it is blocked" : "served anyway (pins.mode warn)",
                   server, name);
      if (audit_)
        audit_->write(json::object{{"event", "pin"}, {"server", server}, {"tool", name}, {"outcome", block ? "blocked" : "changed"},
                                   {"digest", digest}});
    }
    if (block) blocked_.insert(key);
    kept.push_back(std::move(item));
  }
  tools->get_array() = std::move(kept);
  if (store_.dirty()) {
    try {
      store_.save();
    } catch (const std::exception& e) {
      spdlog::error("pins: cannot write {}: {}", config_.file, e.what());
    }
  }
}

void PinGuard::check_call(const std::string& server, std::string_view tool) const {
  if (!blocked_.contains(std::pair{server, std::string(tool)})) return;
  throw mcp::McpError(mcp::error_code::kInvalidParams,
                      fmt::format("Tool '{}' of server '{}' is blocked: its definition changed since it was approved. "
                                  "Review it, then run `mcproxy pins approve {} {}`",
                                  tool, server, server, tool),
                      json::object{{"server", server}, {"tool", tool}, {"reason", "definition-changed"}});
}

bool PinGuard::approve(const std::string& server, const std::string& tool, std::string_view by) {
  if (store_.state_of(server, tool) != "changed") return false;
  store_.approve(server, tool);
  store_.save();
  spdlog::info("[{}] tool '{}': its new definition was approved by {}", server, tool, by.empty() ? "the dashboard" : by);
  if (audit_)
    audit_->write(json::object{{"event", "pin"}, {"server", server}, {"tool", tool}, {"outcome", "approved"},
                               {"identity", by}});
  return true;
}

bool PinGuard::reload_if_changed() {
  try {
    return store_.reload_if_changed();
  } catch (const std::exception& e) {
    spdlog::error("pins: {} (keeping the pins held)", e.what());
    return false;
  }
}

}  // namespace mcproxy::proxy
