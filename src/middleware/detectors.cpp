#include "middleware/detectors.hpp"

#include <re2/re2.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace mcproxy::middleware {

namespace {

constexpr const char* kSecretPatterns[] = {
    R"(AKIA[0-9A-Z]{16})",                                                     // AWS access key id
    R"(-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----)",
    R"(gh[pousr]_[A-Za-z0-9]{36,})",                                          // GitHub tokens
    R"(xox[abprs]-[A-Za-z0-9-]{10,})",                                        // Slack tokens
    R"(sk-[A-Za-z0-9_-]{20,})",                                               // OpenAI-style keys
    R"((?:sk|rk)_live_[0-9A-Za-z]{16,})",                                     // Stripe live keys
    R"(AIza[0-9A-Za-z_-]{35})",                                               // Google API keys
    R"(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",       // JWTs
};

// Candidates, validated below. Boundaries are checked by hand: RE2 has no look-behind.
const RE2& candidate(Detector d) {
  static const RE2::Options options = [] {
    RE2::Options o;
    o.set_log_errors(false);
    return o;
  }();
  static const std::unique_ptr<RE2> secret = [] {
    std::string all;
    for (auto* p : kSecretPatterns) all += (all.empty() ? "(?:" : "|(?:") + std::string(p) + ")";
    return std::make_unique<RE2>(all, options);
  }();
  static const RE2 email(R"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})", options);
  static const RE2 iban(R"([A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30})", options);
  static const RE2 card(R"([0-9](?:[ -]?[0-9]){12,18})", options);
  static const RE2 ipv6(R"([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)", options);
  static const RE2 ipv4(R"((?:[0-9]{1,3}\.){3}[0-9]{1,3})", options);
  static const RE2 phone(R"((?:\+[0-9]{1,3}[ .-]?)?(?:\([0-9]{1,4}\)[ .-]?)?[0-9]{1,4}(?:[ .-]?[0-9]{1,4}){1,6})", options);
  switch (d) {
    case Detector::secret: return *secret;
    case Detector::email: return email;
    case Detector::iban: return iban;
    case Detector::credit_card: return card;
    case Detector::ipv6: return ipv6;
    case Detector::ipv4: return ipv4;
    case Detector::phone: return phone;
  }
  return *secret;
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string digits_of(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c >= '0' && c <= '9') out.push_back(c);
  return out;
}

// Whether the candidate [begin, end) of `text` is a real instance of `d`; may shrink it.
bool validate(Detector d, std::string_view text, std::size_t& begin, std::size_t& end) {
  std::string_view s = text.substr(begin, end - begin);
  char before = begin > 0 ? text[begin - 1] : ' ';
  char after = end < text.size() ? text[end] : ' ';
  switch (d) {
    case Detector::secret:
    case Detector::email: return true;
    case Detector::iban: {
      if (word_char(before) || word_char(after)) return false;
      std::string compact;
      for (char c : s)
        if (c != ' ') compact.push_back(c);
      return iban_valid(compact);
    }
    case Detector::credit_card: {
      if (std::isdigit(static_cast<unsigned char>(before)) || std::isdigit(static_cast<unsigned char>(after)))
        return false;
      auto digits = digits_of(s);
      return digits.size() >= 13 && digits.size() <= 19 && luhn_valid(digits);
    }
    case Detector::ipv6: {
      // Trim what cannot end an address (a sentence's colon, a trailing dot).
      while (end > begin && (text[end - 1] == '.' || (text[end - 1] == ':' && !(end - begin >= 2 && text[end - 2] == ':'))))
        --end;
      s = text.substr(begin, end - begin);
      if (word_char(before) || (end < text.size() && word_char(text[end])) || s.size() < 2 || s.size() > 45)
        return false;
      in6_addr addr{};
      return ::inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
    }
    case Detector::ipv4: {
      if (word_char(before) || before == '.' || word_char(after) || (after == '.' && end + 1 < text.size() &&
                                                                     std::isdigit(static_cast<unsigned char>(text[end + 1]))))
        return false;
      in_addr addr{};
      return ::inet_pton(AF_INET, std::string(s).c_str(), &addr) == 1;
    }
    case Detector::phone: {
      if (word_char(before) || word_char(after) || before == '.' || before == '-') return false;
      auto digits = digits_of(s);
      if (digits.size() < 7 || digits.size() > 15) return false;
      bool international = s.front() == '+' || s.find('(') != std::string_view::npos;
      // A bare run of digits, or a date or version with separators, is not a phone number:
      // ask for the + or (area) form, or a national number of 10 or 11 digits in 2 to 4 groups.
      std::size_t groups = 1;
      for (std::size_t i = 1; i < s.size(); ++i)
        if (std::isdigit(static_cast<unsigned char>(s[i])) && !std::isdigit(static_cast<unsigned char>(s[i - 1])))
          ++groups;
      return international || (groups >= 2 && groups <= 4 && digits.size() >= 10 && digits.size() <= 11);
    }
  }
  return false;
}

}  // namespace

std::string_view to_string(Detector d) noexcept {
  switch (d) {
    case Detector::secret: return "secret";
    case Detector::email: return "email";
    case Detector::iban: return "iban";
    case Detector::credit_card: return "credit-card";
    case Detector::ipv6: return "ipv6";
    case Detector::ipv4: return "ipv4";
    case Detector::phone: return "phone";
  }
  return "secret";
}

std::optional<Detector> detector_named(std::string_view name) noexcept {
  for (auto d : kAllDetectors)
    if (to_string(d) == name) return d;
  return std::nullopt;
}

std::span<const char* const> default_secret_patterns() noexcept { return kSecretPatterns; }

bool luhn_valid(std::string_view digits) noexcept {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (twice && (d *= 2) > 9) d -= 9;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool iban_valid(std::string_view iban) noexcept {
  if (iban.size() < 15 || iban.size() > 34) return false;
  if (!std::isupper(static_cast<unsigned char>(iban[0])) || !std::isupper(static_cast<unsigned char>(iban[1])) ||
      !std::isdigit(static_cast<unsigned char>(iban[2])) || !std::isdigit(static_cast<unsigned char>(iban[3])))
    return false;
  // The first four characters moved to the end, letters as 10..35, the number mod 97 is 1.
  int remainder = 0;
  auto feed = [&](char c) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (std::isupper(static_cast<unsigned char>(c))) {
      int v = c - 'A' + 10;
      remainder = (remainder * 100 + v) % 97;
    } else {
      remainder = -1000000;
    }
  };
  for (std::size_t i = 4; i < iban.size(); ++i) feed(iban[i]);
  for (std::size_t i = 0; i < 4; ++i) feed(iban[i]);
  return remainder == 1;
}

DetectorSet::DetectorSet(std::vector<Detector> enabled) : enabled_(std::move(enabled)) {
  std::sort(enabled_.begin(), enabled_.end());  // the precedence order of the enum
  enabled_.erase(std::unique(enabled_.begin(), enabled_.end()), enabled_.end());
}

std::vector<Finding> DetectorSet::find(std::string_view text) const {
  std::vector<Finding> found;
  auto overlaps = [&](std::size_t b, std::size_t e) {
    for (auto& f : found)
      if (b < f.end && f.begin < e) return true;
    return false;
  };
  for (auto d : enabled_) {
    const RE2& re = candidate(d);
    re2::StringPiece input(text.data(), text.size());
    re2::StringPiece match;
    std::size_t from = 0;
    while (from <= text.size() && re.Match(input, from, text.size(), RE2::UNANCHORED, &match, 1)) {
      std::size_t begin = static_cast<std::size_t>(match.data() - text.data());
      std::size_t end = begin + match.size();
      if (end == begin) {  // an empty match: move on
        from = begin + 1;
        continue;
      }
      std::size_t b = begin, e = end;
      if (validate(d, text, b, e) && !overlaps(b, e)) found.push_back({b, e, d});
      from = end;
    }
  }
  std::sort(found.begin(), found.end(), [](const Finding& a, const Finding& b) { return a.begin < b.begin; });
  return found;
}

std::optional<std::string> DetectorSet::redact(std::string_view text,
                                               std::array<std::size_t, kDetectorCount>* counts) const {
  if (enabled_.empty()) return std::nullopt;
  auto found = find(text);
  if (found.empty()) return std::nullopt;
  std::string out;
  out.reserve(text.size());
  std::size_t at = 0;
  for (auto& f : found) {
    out.append(text.substr(at, f.begin - at));
    out.append("[REDACTED:").append(to_string(f.kind)).push_back(']');
    at = f.end;
    if (counts) ++(*counts)[static_cast<std::size_t>(f.kind)];
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace mcproxy::middleware
