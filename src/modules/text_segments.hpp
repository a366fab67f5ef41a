#pragma once
// Splits a description into prose, which a translation engine may change, and what it must
// never touch: code (`inline` and ``` fenced), URLs, paths, identifiers (snake_case,
// camelCase, dotted.names, --flags, {placeholders}), e-mail addresses, numbers. The pieces
// partition the text exactly: joining them (prose translated) rebuilds it. Splitting, rather
// than hiding protected spans inside the text sent to the engine, works with every engine
// and can never let one be translated, moved or lost.

#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::modules {

struct TextPiece {
  std::string text;
  bool prose = false;  // has letters and may be translated (without its outer whitespace)
};

std::vector<TextPiece> split_for_translation(std::string_view text);

// The leading and trailing whitespace of `text`, and the core between them.
struct Trimmed {
  std::string_view before, core, after;
};
Trimmed trim_whitespace(std::string_view text);

}  // namespace mcproxy::modules
