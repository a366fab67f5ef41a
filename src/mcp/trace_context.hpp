#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/) as MCP carries it: a `traceparent`
// of version 00, "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>", from an HTTP header
// or from a request's `params._meta.traceparent`. The proxy is one hop of the trace: it keeps
// the client's trace id and flags, makes a span id of its own for the request, and sends that
// as the parent to every backend it calls for it. Without a valid one it starts a trace.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcproxy::mcp {

struct TraceContext {
  std::string trace_id;  // 32 lowercase hex, not all zero
  std::string span_id;   // 16 lowercase hex: this hop's span
  std::uint8_t flags = 1;  // bit 0: sampled

  bool empty() const noexcept { return trace_id.empty(); }
  // "00-<trace_id>-<span_id>-<flags>", what the next hop receives.
  std::string traceparent() const;

  // A valid version-00 traceparent (or a later version's first four fields, as the spec asks);
  // nullopt for anything else. Its parent id becomes span_id.
  static std::optional<TraceContext> parse(std::string_view traceparent);
  // The request's own context: the incoming one continued with a new span, or a new trace.
  static TraceContext continue_from(const std::optional<TraceContext>& incoming);
};

}  // namespace mcproxy::mcp
