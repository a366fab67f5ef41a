#pragma once
// security (client middleware): rules over tool calls, and optional scanning of results for
// secrets. Nothing is switched on by default: built-in rules apply only when a preset is named.
//
// Config:
//   "rules": [{
//       "name": "no-etc",                  required; named in the error a blocked call gets
//       "tools": "read_*" | [...],         which tools (patterns); default: all
//       "arguments": "regex"               searched in the JSON text of all arguments, or
//                  | {"path": "regex"}     searched in named fields (a rule fires if any does);
//                                          without "arguments" the rule fires on every call
//       "negate": false,                   fire when the arguments do NOT match (allow-lists)
//       "action": "block" | "warn",        default block
//       "message": "..."                   shown to the client
//   }]
//   "preset": "default"                    adds built-in rules: path traversal, system files,
//                                          private keys, shell command chaining
//   "scanResults": {"action": "redact" | "block", "patterns": [regex...]}   default patterns (the
//                                          secret formats of middleware/detectors):
//                                          AWS keys, private key blocks, GitHub/Slack/OpenAI-style
//                                          tokens
// Regexes are RE2 (linear time on untrusted input). A blocked call gets -32602 naming the rule.
// Path-like strings in the arguments are also matched resolved (normalize_path): a block rule
// fires on the text as written or as resolved, an allow-list (negate) must hold resolved, so
// "//", "/./" and ".." cannot slip a path past a rule.
// Order: inner to logging and tool_filter.

#include "middleware/pattern.hpp"
#include "middleware/service.hpp"

#include <optional>
#include <string>
#include <vector>

namespace mcproxy::middleware {

// Lexically resolves a path or file URI: "//" and "/./" collapse, ".." removes the segment
// before it (never above the root), backslashes count as slashes; "file://" stays. Strings
// without a slash are returned unchanged.
std::string normalize_path(std::string_view text);

struct SecurityRule {
  std::string name;
  PatternSet tools;  // empty: all tools
  std::optional<Pattern> arguments;  // over the whole arguments JSON
  std::vector<std::pair<std::string, Pattern>> fields;
  bool negate = false;
  bool block = true;
  std::string message;
};

struct SecurityConfig {
  std::vector<SecurityRule> rules;
  bool scan_results = false;
  bool redact = true;  // else block
  std::vector<Pattern> secret_patterns;
};

class Security final : public Middleware {
 public:
  Security(std::shared_ptr<const SecurityConfig> config, std::string server)
      : config_(std::move(config)), server_(std::move(server)) {}

 protected:
  boost::asio::awaitable<json::value> call_tool(Call call, RequestContext& ctx) override;

 private:
  void check_rules(std::string_view tool, const json::object& arguments) const;
  void scan(json::value& result) const;

  std::shared_ptr<const SecurityConfig> config_;
  std::string server_;
};

}  // namespace mcproxy::middleware
