#include "support/canonical_json.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <string_view>
#include <utility>
#include <vector>

namespace mcproxy::support {

namespace json = boost::json;

namespace {

// The code point starting at text[i], advancing i; U+FFFD (one byte consumed) for a byte
// that does not start a well-formed UTF-8 sequence (overlong forms and surrogates included).
char32_t next_code_point(std::string_view text, std::size_t& i) {
  constexpr char32_t kReplacement = 0xFFFD;
  auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
  unsigned char lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (length == 0 || lead > 0xF4 || i + length > text.size()) {
    ++i;
    return kReplacement;
  }
  char32_t cp = lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    unsigned char c = byte(i + k);
    if ((c & 0xC0) != 0x80) {
      ++i;
      return kReplacement;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return kReplacement;
  }
  i += length;
  return cp;
}

std::u16string utf16_of(std::string_view text) {
  std::u16string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = next_code_point(text, i);
    if (cp < 0x10000) {
      out.push_back(static_cast<char16_t>(cp));
    } else {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    }
  }
  return out;
}

void append_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

template <typename Integer>
void append_integer(std::string& out, Integer v) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  out.append(buffer, result.ptr);
}

// ECMAScript Number::toString(x) for a finite double: the shortest digits that read back as
// x (std::to_chars guarantees the same choice, the closest to x on a tie), then laid out by
// where the decimal point falls. With digits d1..dk and x = 0.d1..dk × 10^n:
//   k <= n <= 21    digits then n-k zeros            (123000)
//   0 < n <= 21     point inside the digits          (123.45)
//   -6 < n <= 0     "0." then -n zeros then digits   (0.000123)
//   otherwise       d1[.d2..dk]e±(n-1)               (1.5e+21, 1e-7)
void append_double(std::string& out, double x) {
  if (x == 0) {  // +0 and -0 alike
    out.push_back('0');
    return;
  }
  if (x < 0) {
    out.push_back('-');
    x = -x;
  }
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, x, std::chars_format::scientific);
  std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));  // "d[.ddd]e±XX"
  auto e = text.find('e');
  std::string digits(1, text[0]);
  if (e > 1) digits.append(text.substr(2, e - 2));
  std::string_view exponent_text = text.substr(e + 1);
  bool negative_exponent = exponent_text.front() == '-';
  int exponent = 0;
  std::from_chars(exponent_text.data() + 1, exponent_text.data() + exponent_text.size(), exponent);
  if (negative_exponent) exponent = -exponent;

  int k = static_cast<int>(digits.size());
  int n = exponent + 1;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out.push_back('.');
    out.append(digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(n - 1 < 0 ? '-' : '+');
    append_integer(out, n - 1 < 0 ? 1 - n : n - 1);
  }
}

void append_value(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: append_integer(out, v.get_int64()); break;
    case json::kind::uint64: append_integer(out, v.get_uint64()); break;
    case json::kind::double_: append_double(out, v.get_double()); break;
    case json::kind::string: append_string(out, v.get_string()); break;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (auto& item : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        append_value(out, item);
      }
      out.push_back(']');
      break;
    }
    case json::kind::object: {
      const auto& object = v.get_object();
      std::vector<std::pair<std::u16string, const json::key_value_pair*>> members;
      members.reserve(object.size());
      for (auto& member : object) members.emplace_back(utf16_of(member.key()), &member);
      // Ties (only names with invalid UTF-8 can tie) fall back to the bytes: still one order.
      std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first < b.first;
        return a.second->key() < b.second->key();
      });
      out.push_back('{');
      bool first = true;
      for (auto& [name, member] : members) {
        if (!first) out.push_back(',');
        first = false;
        append_string(out, member->key());
        out.push_back(':');
        append_value(out, member->value());
      }
      out.push_back('}');
      break;
    }
  }
}

}  // namespace

std::string canonical_json(const json::value& value) {
  std::string out;
  append_value(out, value);
  return out;
}

}  // namespace mcproxy::support
