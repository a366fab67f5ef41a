#include "mcp/trace_context.hpp"

#include <fmt/format.h>

#include <random>

namespace mcproxy::mcp {

namespace {

bool lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

// Span and trace ids need to be unique, not secret: a per-thread generator seeded once from
// the kernel is enough, and costs no system call per request.
std::string random_hex(int bytes) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(bytes) * 2, '0');
  std::size_t at = 0;
  while (bytes > 0) {
    std::uint64_t v = generator();
    int take = bytes < 8 ? bytes : 8;
    for (int i = 0; i < take; ++i, v >>= 8) {
      out[at++] = kHex[(v >> 4) & 0xf];
      out[at++] = kHex[v & 0xf];
    }
    bytes -= take;
  }
  return out;
}

}  // namespace

std::string TraceContext::traceparent() const { return fmt::format("00-{}-{}-{:02x}", trace_id, span_id, flags); }

std::optional<TraceContext> TraceContext::parse(std::string_view text) {
  // version(2) - trace-id(32) - parent-id(16) - flags(2) = 55 characters for version 00.
  if (text.size() < 55 || text[2] != '-' || text[35] != '-' || text[52] != '-') return std::nullopt;
  auto version = text.substr(0, 2), trace = text.substr(3, 32), parent = text.substr(36, 16),
       flags = text.substr(53, 2);
  if (!lower_hex(version) || version == "ff" || !lower_hex(trace) || !lower_hex(parent) || !lower_hex(flags))
    return std::nullopt;
  if (version == "00" && text.size() != 55) return std::nullopt;
  if (version != "00" && text.size() > 55 && text[55] != '-') return std::nullopt;
  if (all_zero(trace) || all_zero(parent)) return std::nullopt;
  TraceContext t;
  t.trace_id = std::string(trace);
  t.span_id = std::string(parent);
  t.flags = static_cast<std::uint8_t>(std::stoi(std::string(flags), nullptr, 16));
  return t;
}

TraceContext TraceContext::continue_from(const std::optional<TraceContext>& incoming) {
  TraceContext t;
  if (incoming) {
    t.trace_id = incoming->trace_id;
    t.flags = incoming->flags;
  } else {
    t.trace_id = random_hex(16);
    t.flags = 1;
  }
  t.span_id = random_hex(8);
  return t;
}

}  // namespace mcproxy::mcp
