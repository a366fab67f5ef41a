#pragma once
// What a tool or prompt name may be: 1 to 64 characters of [A-Za-z0-9_.-], which clients and
// the conformance suite accept (MCP-DIGEST §10.5).

#include <cstddef>
#include <string_view>

namespace mcproxy::mcp {

inline constexpr std::size_t kMaxNameLength = 64;

constexpr bool is_name_char(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

constexpr bool is_valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (unsigned char c : name)
    if (!is_name_char(c)) return false;
  return true;
}

}  // namespace mcproxy::mcp
