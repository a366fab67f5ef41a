#pragma once
// MCP logging levels (RFC 5424 severities, MCP-DIGEST §5): their order, so that a session that
// asked for `warning` gets warning and above only.

#include <array>
#include <string_view>

namespace mcproxy::mcp {

inline constexpr std::array<std::string_view, 8> kLogLevels = {
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};

// 0 for debug ... 7 for emergency; -1 for a name that is not a level.
constexpr int log_level_rank(std::string_view level) noexcept {
  for (std::size_t i = 0; i < kLogLevels.size(); ++i)
    if (kLogLevels[i] == level) return static_cast<int>(i);
  return -1;
}

}  // namespace mcproxy::mcp
