#include "config/json_reader.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace mcproxy::config {

EnvLookup process_env_lookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

namespace {

bool is_identifier(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string child_path(std::string_view parent, std::string_view key) {
  std::string k = is_identifier(key) ? std::string(key) : json::serialize(json::value(key));
  if (parent.empty()) return k;
  return is_identifier(key) ? fmt::format("{}.{}", parent, k) : fmt::format("{}[{}]", parent, k);
}

std::string index_path(std::string_view parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string_view json_kind(const json::value& v) noexcept {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "value";
}

std::string JsonReader::scrub(std::string message) const {
  for (auto& secret : substituted_) {
    if (secret.size() < 4) continue;  // as support::redact: short values would garble the text
    for (auto pos = message.find(secret); pos != std::string::npos; pos = message.find(secret, pos + 3))
      message.replace(pos, secret.size(), "***");
  }
  return message;
}

void JsonReader::error(std::string path, std::string message) {
  errors_.push_back(scrub(path.empty() ? message : fmt::format("{}: {}", path, message)));
}

void JsonReader::warning(std::string path, std::string message) {
  warnings_.push_back(scrub(path.empty() ? message : fmt::format("{}: {}", path, message)));
}

void JsonReader::expected(const std::string& path, std::string_view what, const json::value& found) {
  std::string shown;
  if (found.is_double()) {
    shown = fmt::format("number {}", found.get_double());  // 80.5, not Boost.JSON's 8.05E1
  } else if (found.is_string() || found.is_number() || found.is_bool()) {
    std::string s = json::serialize(found);
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    shown = fmt::format("{} {}", json_kind(found), s);
  } else {
    shown = std::string(json_kind(found));
  }
  error(path, fmt::format("expected {}, found {}", what, shown));
}

const json::object* JsonReader::object(const json::value& v, const std::string& path) {
  if (v.is_object()) return &v.get_object();
  expected(path, "an object", v);
  return nullptr;
}

const json::array* JsonReader::array(const json::value& v, const std::string& path) {
  if (v.is_array()) return &v.get_array();
  expected(path, "an array", v);
  return nullptr;
}

std::optional<std::string> JsonReader::string(const json::value& v, const std::string& path) {
  if (!v.is_string()) {
    expected(path, "a string", v);
    return std::nullopt;
  }
  return substitute(v.get_string(), path);
}

std::optional<bool> JsonReader::boolean(const json::value& v, const std::string& path) {
  if (v.is_bool()) return v.get_bool();
  expected(path, "true or false", v);
  return std::nullopt;
}

std::optional<std::int64_t> JsonReader::integer(const json::value& v, const std::string& path,
                                                std::int64_t min, std::int64_t max) {
  auto out_of_range = [&](std::string_view shown) {
    error(path, fmt::format("expected an integer from {} to {}, found {}", min, max, shown));
    return std::nullopt;
  };
  std::optional<std::int64_t> n;
  if (v.is_int64()) {
    n = v.get_int64();
  } else if (v.is_uint64()) {
    return out_of_range(std::to_string(v.get_uint64()));  // above INT64_MAX: an integer, too big
  } else if (v.is_double()) {
    double d = v.get_double();
    // Range check first: casting an out-of-range double is undefined behaviour.
    bool whole = d >= -9.2e18 && d <= 9.2e18 && d == static_cast<double>(static_cast<std::int64_t>(d));
    if (whole) n = static_cast<std::int64_t>(d);
  }
  if (!n) {
    expected(path, "an integer", v);
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    error(path, fmt::format("expected an integer from {} to {}, found {}", min, max, *n));
    return std::nullopt;
  }
  return n;
}

std::optional<std::vector<std::string>> JsonReader::string_array(const json::value& v,
                                                                 const std::string& path) {
  auto* arr = array(v, path);
  if (!arr) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    auto s = string((*arr)[i], index_path(path, i));
    if (s) out.push_back(std::move(*s));
    else ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

namespace {

std::string unknown_key_message(std::string_view key, std::initializer_list<std::string_view> known,
                                bool ignored) {
  std::string_view best;
  std::size_t best_distance = 3;
  for (auto k : known) {
    auto d = edit_distance(key, k);
    if (d < best_distance) best = k, best_distance = d;
  }
  if (!best.empty()) return fmt::format("unknown key (did you mean \"{}\"?)", best);
  std::string list;
  for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
  return fmt::format("unknown key{} (known keys: {})", ignored ? ", ignored" : "", list);
}

}  // namespace

void JsonReader::check_keys(const json::object& obj, const std::string& path,
                            std::initializer_list<std::string_view> known) {
  for (auto& [key, value] : obj) {
    if (std::find(known.begin(), known.end(), std::string_view(key)) != known.end()) continue;
    warning(child_path(path, key), unknown_key_message(key, known, true));
  }
}

void JsonReader::check_keys_strict(const json::object& obj, const std::string& path,
                                   std::initializer_list<std::string_view> known) {
  for (auto& [key, value] : obj) {
    if (std::find(known.begin(), known.end(), std::string_view(key)) != known.end()) continue;
    error(child_path(path, key), unknown_key_message(key, known, false));
  }
}

std::optional<std::string> JsonReader::substitute(std::string_view text, const std::string& path) {
  if (text.find('$') == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  bool ok = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$' || i + 1 >= text.size()) {
      out += c;
      continue;
    }
    if (text[i + 1] == '$') {  // "$$" is a literal "$"
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += c;
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      error(path, fmt::format("unterminated \"${{\" in \"{}\" (write $$ for a literal $)", text));
      return std::nullopt;
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::string_view name = inner;
    std::optional<std::string_view> fallback;
    if (auto sep = inner.find(":-"); sep != std::string_view::npos) {
      name = inner.substr(0, sep);
      fallback = inner.substr(sep + 2);
    }
    bool valid_name = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char ch) {
      return std::isalnum(ch) || ch == '_';
    });
    if (!valid_name) {
      error(path, fmt::format("\"${{{}}}\" is not a valid variable reference", inner));
      ok = false;
    } else if (auto value = env_(std::string(name)); value && !(value->empty() && fallback)) {
      out += *value;
      if (!value->empty()) substituted_.push_back(*value);
    } else if (fallback) {
      out += *fallback;
    } else {
      error(path, fmt::format("environment variable {} is not set (use ${{{}:-default}} for a "
                              "default)",
                              name, name));
      ok = false;
    }
    i = close;
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace mcproxy::config
