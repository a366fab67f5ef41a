#pragma once
// Name and text patterns for middleware configs, compiled once at config time. A pattern is a
// glob ("read_*", "demo://*") unless it starts with "re:", then it is an RE2 regular expression
// ("re:^read_(text|media)_file$"). RE2 runs in linear time, so untrusted input (tool arguments,
// results) can never make a pattern take exponential time.

#include "config/json_reader.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace mcproxy::middleware {

class Pattern {
 public:
  // Records a config error at `path` and returns nullopt when the pattern is invalid.
  static std::optional<Pattern> compile(std::string_view text, config::JsonReader& reader,
                                        const std::string& path, bool whole_match = true);
  // An RE2 regex searched anywhere in the text (for arguments and results).
  static std::optional<Pattern> compile_regex(std::string_view regex, config::JsonReader& reader,
                                              const std::string& path);

  bool matches(std::string_view text) const;
  const std::string& source() const noexcept { return source_; }
  const re2::RE2& regex() const noexcept { return *regex_; }

 private:
  std::string source_;
  bool whole_match_ = true;
  std::shared_ptr<const re2::RE2> regex_;
};

// An RFC 6570 URI template as a matcher of the URIs it expands to: "demo://x/{id}" matches
// "demo://x/42". Literal parts match exactly; an expression matches what its operator can
// produce ({var}: no '/', '?' or '#'; {+var} and {#var}: anything; {/var}, {.var}, {;var},
// {?var}, {&var}: their prefixed segments).
class UriTemplateMatcher {
 public:
  explicit UriTemplateMatcher(std::string_view uri_template);
  bool matches(std::string_view uri) const;
  bool valid() const noexcept;

 private:
  std::shared_ptr<const re2::RE2> regex_;
};

// A list of patterns from a string or an array of strings.
class PatternSet {
 public:
  static std::optional<PatternSet> read(const boost::json::value& value, config::JsonReader& reader,
                                        const std::string& path);
  bool empty() const noexcept { return patterns_.empty(); }
  bool matches(std::string_view text) const;
  void add(Pattern p) { patterns_.push_back(std::move(p)); }

 private:
  std::vector<Pattern> patterns_;
};

// Which names are visible: those an allow pattern matches (all when there is no allow list)
// and no block pattern matches. tool_filter and profiles share it.
struct VisibilityRule {
  PatternSet allow;
  PatternSet block;
  bool visible(std::string_view name) const {
    return (allow.empty() || allow.matches(name)) && !block.matches(name);
  }
  bool everything() const noexcept { return allow.empty() && block.empty(); }
  // {"allow": [patterns], "block": [patterns]} at `path`; false (recorded) when invalid.
  static bool read(const boost::json::value& value, config::JsonReader& reader, const std::string& path,
                   VisibilityRule& rule);
};

}  // namespace mcproxy::middleware
