#pragma once
// Protocol revisions the proxy speaks, on each hop separately (MCP-DIGEST §2.2).

#include <array>
#include <string_view>

namespace mcproxy::mcp {

inline constexpr std::string_view kLatestProtocolVersion = "2025-11-25";
// Newest first. Offered upstream: the first; accepted from either side: any of these.
inline constexpr std::array<std::string_view, 4> kSupportedProtocolVersions = {
    "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
// Revisions of the stateless era (MCP-DIGEST §9): no initialize, every request carries its own
// version and capabilities in _meta. Newest first.
inline constexpr std::array<std::string_view, 1> kModernProtocolVersions = {"2026-07-28"};

constexpr bool is_modern_protocol_version(std::string_view v) noexcept {
  for (auto s : kModernProtocolVersions)
    if (s == v) return true;
  return false;
}

// The _meta keys of a modern request's envelope and of its result.
inline constexpr std::string_view kMetaProtocolVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr std::string_view kMetaClientCapabilities = "io.modelcontextprotocol/clientCapabilities";
inline constexpr std::string_view kMetaClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr std::string_view kMetaLogLevel = "io.modelcontextprotocol/logLevel";
inline constexpr std::string_view kMetaServerInfo = "io.modelcontextprotocol/serverInfo";
// On every notification of a subscriptions/listen stream: the listen request's id.
inline constexpr std::string_view kMetaSubscriptionId = "io.modelcontextprotocol/subscriptionId";

// What an HTTP request without MCP-Protocol-Version is assumed to speak (spec §4.6).
inline constexpr std::string_view kDefaultHttpProtocolVersion = "2025-03-26";

constexpr bool is_supported_protocol_version(std::string_view v) noexcept {
  for (auto s : kSupportedProtocolVersions)
    if (s == v) return true;
  return false;
}

// The version a server answers when a client asks for `requested`: the same if supported,
// otherwise our latest (the client then decides whether it can go on).
constexpr std::string_view negotiate_protocol_version(std::string_view requested) noexcept {
  return is_supported_protocol_version(requested) ? requested : kLatestProtocolVersion;
}

}  // namespace mcproxy::mcp
