#include "oauth/www_authenticate.hpp"

#include <cctype>

namespace mcproxy::oauth {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

BearerChallenge parse_www_authenticate(std::string_view h) {
  BearerChallenge out;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t' || h[i] == ',')) ++i;
  };
  bool in_bearer = false;
  while (i < h.size()) {
    skip_space();
    std::size_t start = i;
    while (i < h.size() && token_char(h[i])) ++i;
    std::string_view word = h.substr(start, i - start);
    if (word.empty()) {
      ++i;  // a character that starts nothing: skipped
      continue;
    }
    std::size_t after = i;
    while (after < h.size() && (h[after] == ' ' || h[after] == '\t')) ++after;
    if (after >= h.size() || h[after] != '=') {  // a scheme name: a new challenge begins
      in_bearer = iequals(word, "Bearer");
      out.bearer = out.bearer || in_bearer;
      continue;
    }
    i = after + 1;
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
    std::string value;
    if (i < h.size() && h[i] == '"') {
      for (++i; i < h.size() && h[i] != '"'; ++i) {
        if (h[i] == '\\' && i + 1 < h.size()) ++i;
        value.push_back(h[i]);
      }
      ++i;
    } else {
      std::size_t v = i;
      while (i < h.size() && h[i] != ',' && h[i] != ' ') ++i;
      value = std::string(h.substr(v, i - v));
    }
    if (!in_bearer) continue;
    if (iequals(word, "error")) out.error = value;
    else if (iequals(word, "scope")) out.scope = value;
    else if (iequals(word, "resource_metadata")) out.resource_metadata = value;
  }
  return out;
}

}  // namespace mcproxy::oauth
