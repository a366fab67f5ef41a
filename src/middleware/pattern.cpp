#include "middleware/pattern.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>
#include <re2/re2.h>

namespace mcproxy::middleware {

namespace {

std::string glob_to_regex(std::string_view glob) {
  std::string out;
  for (char c : glob) {
    switch (c) {
      case '*': out += ".*"; break;
      case '?': out += '.'; break;
      default:
        // Escape ASCII punctuation; letters, digits and the bytes of UTF-8 sequences (>= 0x80)
        // pass as they are (escaping those would break the sequence).
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80)
          out += c;
        else
          out += std::string("\\") + c;
    }
  }
  return out;
}

}  // namespace

std::optional<Pattern> Pattern::compile(std::string_view text, config::JsonReader& reader,
                                        const std::string& path, bool whole_match) {
  std::string regex = text.starts_with("re:") ? std::string(text.substr(3)) : glob_to_regex(text);
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(regex, options);
  if (!re->ok()) {
    reader.error(path, fmt::format("expected a valid pattern, found \"{}\" ({})", text, re->error()));
    return std::nullopt;
  }
  Pattern p;
  p.source_ = std::string(text);
  p.whole_match_ = whole_match;
  p.regex_ = std::move(re);
  return p;
}

std::optional<Pattern> Pattern::compile_regex(std::string_view regex, config::JsonReader& reader,
                                              const std::string& path) {
  std::string full = regex.starts_with("re:") ? std::string(regex) : "re:" + std::string(regex);
  return compile(full, reader, path, false);
}

bool Pattern::matches(std::string_view text) const {
  return whole_match_ ? RE2::FullMatch(text, *regex_) : RE2::PartialMatch(text, *regex_);
}

namespace {

std::string quote(std::string_view literal) { return RE2::QuoteMeta(re2::StringPiece(literal.data(), literal.size())); }

}  // namespace

UriTemplateMatcher::UriTemplateMatcher(std::string_view tpl) {
  std::string regex;
  while (!tpl.empty()) {
    auto open = tpl.find('{');
    regex += quote(tpl.substr(0, open));
    if (open == std::string_view::npos) break;
    auto close = tpl.find('}', open);
    if (close == std::string_view::npos) {  // not a template after all: the rest is literal
      regex += quote(tpl.substr(open));
      break;
    }
    char op = close > open + 1 ? tpl[open + 1] : ' ';
    switch (op) {
      case '+':
      case '#': regex += ".*"; break;
      case '/': regex += "(?:/[^/?#]*)*"; break;
      case '.': regex += "(?:\\.[^/?#]*)*"; break;
      case ';': regex += "(?:;[^/?#]*)*"; break;
      case '?':
      case '&': regex += "(?:[?&][^#]*)?"; break;
      default: regex += "[^/?#]*"; break;
    }
    tpl.remove_prefix(close + 1);
  }
  RE2::Options options;
  options.set_log_errors(false);
  regex_ = std::make_shared<const re2::RE2>(regex, options);
}

bool UriTemplateMatcher::valid() const noexcept { return regex_ && regex_->ok(); }

bool UriTemplateMatcher::matches(std::string_view uri) const {
  return valid() && RE2::FullMatch(re2::StringPiece(uri.data(), uri.size()), *regex_);
}

std::optional<PatternSet> PatternSet::read(const boost::json::value& value, config::JsonReader& reader,
                                           const std::string& path) {
  PatternSet set;
  bool ok = true;
  if (value.is_string()) {
    if (auto p = Pattern::compile(value.get_string(), reader, path)) set.add(std::move(*p));
    else ok = false;
  } else if (auto* arr = reader.array(value, path)) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      auto item_path = config::index_path(path, i);
      if (!(*arr)[i].is_string()) {
        reader.expected(item_path, "a pattern string", (*arr)[i]);
        ok = false;
      } else if (auto p = Pattern::compile((*arr)[i].get_string(), reader, item_path)) {
        set.add(std::move(*p));
      } else {
        ok = false;
      }
    }
  } else {
    ok = false;
  }
  if (!ok) return std::nullopt;
  return set;
}

bool PatternSet::matches(std::string_view text) const {
  for (auto& p : patterns_)
    if (p.matches(text)) return true;
  return false;
}

bool VisibilityRule::read(const boost::json::value& value, config::JsonReader& r, const std::string& path,
                          VisibilityRule& rule) {
  auto* obj = r.object(value, path);
  if (!obj) return false;
  r.check_keys_strict(*obj, path, {"allow", "block"});
  bool ok = true;
  for (auto [key, target] : {std::pair{"allow", &rule.allow}, std::pair{"block", &rule.block}}) {
    if (auto* v = obj->if_contains(key)) {
      if (auto set = PatternSet::read(*v, r, config::child_path(path, key))) *target = std::move(*set);
      else ok = false;
    }
  }
  return ok;
}

}  // namespace mcproxy::middleware
