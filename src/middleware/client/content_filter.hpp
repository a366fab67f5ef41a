#pragma once
// content_filter (client or proxy middleware): filters the text a client receives from
// tools/call, resources/read, prompts/get and tasks/result (the task's tool result):
//   - redacts PII and secrets (middleware/detectors: e-mail, phone, card numbers with Luhn,
//     IBANs with their checksum, IPv4/IPv6, secret formats) as "[REDACTED:<kind>]", in text
//     content, embedded text resources, resource contents, prompt messages and every string of
//     structuredContent;
//   - applies custom RE2 replace rules ("\1" names a group);
//   - strips ANSI escape sequences and control characters (tab, newline and CR are kept);
//   - truncates the text of a result past a byte (or approximate token) budget, at a UTF-8
//     boundary, with a marker saying how much was cut: models pay for every token.
// Config:
//   "redact": ["email", "phone", "credit-card", "iban", "ipv4", "ipv6", "secret"] | "all" | [],
//             default "all"
//   "rules": [{"pattern": "regex", "replace": "text", "name": "..."}]
//   "stripControl": true
//   "maxBytes": N | "maxTokens": N   (a token counted as 4 bytes); default no limit
// Order: as configured; at client level it sees one server's results before the proxy's view.

#include "middleware/detectors.hpp"
#include "middleware/pattern.hpp"
#include "middleware/service.hpp"

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace mcproxy::middleware {

struct ReplaceRule {
  std::string name;
  std::shared_ptr<const Pattern> pattern;
  std::string replace;
};

struct ContentFilterConfig {
  DetectorSet detectors;
  std::vector<ReplaceRule> rules;
  bool strip_control = true;
  std::size_t max_bytes = 0;  // 0: no limit
  std::string budget_key = "maxBytes";
};

// What a filter did to one result (and, summed, since it started: counted per rule).
struct FilterCounts {
  std::array<std::size_t, kDetectorCount> redacted{};
  std::vector<std::size_t> rules;  // by index in ContentFilterConfig::rules
  std::size_t stripped = 0;        // characters removed
  std::size_t truncated_bytes = 0;
};

// Filters every text of an MCP result of `method` in place (the middleware's work, callable
// on its own for tests and tools).
void filter_result(const ContentFilterConfig& config, mcp::Method method, json::value& result, FilterCounts& counts);
// ANSI escape sequences (CSI, OSC) and control characters other than \t \n \r removed.
std::string strip_control(std::string_view text, std::size_t* removed = nullptr);

class ContentFilter final : public Middleware {
 public:
  // Registers its /metrics series (per detector, per rule, cuts) for `site` (a server, or
  // empty at proxy level).
  ContentFilter(std::shared_ptr<const ContentFilterConfig> config, std::string site);

 protected:
  boost::asio::awaitable<json::value> call_tool(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> read_resource(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> get_prompt(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> get_task_result(Call call, RequestContext& ctx) override;

 private:
  boost::asio::awaitable<json::value> filtered(Call call, RequestContext& ctx);
  std::shared_ptr<const ContentFilterConfig> config_;
  std::string site_;
  std::array<std::atomic<std::uint64_t>*, kDetectorCount> redactions_{};
  std::vector<std::atomic<std::uint64_t>*> rule_hits_;
  std::atomic<std::uint64_t>* truncations_ = nullptr;
};

}  // namespace mcproxy::middleware
