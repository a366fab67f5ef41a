#include "modules/text_segments.hpp"

#include <cctype>

namespace mcproxy::modules {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return is_lower(c) || is_upper(c) || static_cast<unsigned char>(c) >= 0x80; }

// Punctuation that ends a sentence or a clause around a word, not part of it.
bool is_outer_punct(char c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '(' || c == ')' ||
         c == '"' || c == '\'';
}

// Whether one whitespace-delimited word (its outer punctuation removed) is something a
// translator must leave as it is.
bool is_technical(std::string_view word) {
  if (word.empty()) return false;
  if (word.find("://") != std::string_view::npos) return true;  // a URL
  if (word.front() == '-' && word.size() > 1) return true;       // --flag, -x, -1
  if (word.front() == '/' || word.front() == '~' || word.front() == '$' || word.front() == '#') return true;
  bool lower = false, digit = false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c == '_' || c == '/' || c == '\\' || c == '=' || c == '{' || c == '}' || c == '<' || c == '>' ||
        c == '@' || c == '[' || c == ']' || c == '*' || c == '|' || c == '`' || c == '+' || c == '&')
      return true;
    if (c == '.' && i + 1 < word.size() && (is_letter(word[i + 1]) || is_digit(word[i + 1]))) return true;
    if (c == ':' && i + 1 < word.size() && word[i + 1] == ':') return true;
    if (is_upper(c) && lower) return true;  // camelCase
    if (is_lower(c)) lower = true;
    if (is_digit(c)) digit = true;
  }
  return digit;  // numbers, versions, "utf8", "x2"
}

class Splitter {
 public:
  void prose(std::string_view s) { add(s, true); }
  void keep(std::string_view s) { add(s, false); }
  std::vector<TextPiece> done() {
    for (auto& p : pieces_) {
      if (!p.prose) continue;
      bool letters = false;
      for (char c : p.text) letters |= is_letter(c);
      p.prose = letters;
    }
    return std::move(pieces_);
  }

 private:
  void add(std::string_view s, bool prose) {
    if (s.empty()) return;
    if (!pieces_.empty() && pieces_.back().prose == prose) pieces_.back().text += s;
    else pieces_.push_back({std::string(s), prose});
  }
  std::vector<TextPiece> pieces_;
};

}  // namespace

Trimmed trim_whitespace(std::string_view text) {
  std::size_t b = 0, e = text.size();
  while (b < e && is_space(text[b])) ++b;
  while (e > b && is_space(text[e - 1])) --e;
  return {text.substr(0, b), text.substr(b, e - b), text.substr(e)};
}

std::vector<TextPiece> split_for_translation(std::string_view text) {
  Splitter out;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '`') {  // code: up to the same run of backticks, or the end
      std::size_t run = text.find_first_not_of('`', i) - i;
      if (i + run > text.size()) run = text.size() - i;
      std::string fence(run, '`');
      std::size_t close = text.find(fence, i + run);
      std::size_t end = close == std::string_view::npos ? text.size() : close + run;
      out.keep(text.substr(i, end - i));
      i = end;
      continue;
    }
    if (is_space(c)) {
      std::size_t end = i;
      while (end < text.size() && is_space(text[end])) ++end;
      out.prose(text.substr(i, end - i));  // whitespace joins the prose around it
      i = end;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && !is_space(text[end]) && text[end] != '`') ++end;
    std::string_view word = text.substr(i, end - i);
    std::size_t lead = 0, trail = word.size();
    while (lead < trail && is_outer_punct(word[lead])) ++lead;
    while (trail > lead && is_outer_punct(word[trail - 1])) --trail;
    std::string_view core = word.substr(lead, trail - lead);
    if (is_technical(core)) {
      out.prose(word.substr(0, lead));
      out.keep(core);
      out.prose(word.substr(trail));
    } else {
      out.prose(word);
    }
    i = end;
  }
  return out.done();
}

}  // namespace mcproxy::modules
