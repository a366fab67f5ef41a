#pragma once
// Finding sensitive data in text, for content_filter's redaction and security's result scan:
// e-mail addresses, phone numbers, payment card numbers (Luhn), IBANs (ISO 13616 mod 97),
// IPv4 and IPv6 addresses (validated by inet_pton), and common secret formats (cloud keys,
// tokens, private key blocks, JWTs). Candidates are found with RE2 (linear time on untrusted
// text) and then validated, so "4111 1111 1111 1112" or "GB00 WEST 1234 5698 7654 32" are not
// redacted while the valid forms are. Where two kinds overlap, the first in the order of
// Detector (secrets first) wins.

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::middleware {

enum class Detector : std::uint8_t { secret, email, iban, credit_card, ipv6, ipv4, phone };
inline constexpr std::size_t kDetectorCount = 7;
inline constexpr std::array<Detector, kDetectorCount> kAllDetectors{
    Detector::secret, Detector::email, Detector::iban, Detector::credit_card,
    Detector::ipv6,   Detector::ipv4,  Detector::phone};

// "secret", "email", "iban", "credit-card", "ipv6", "ipv4", "phone".
std::string_view to_string(Detector d) noexcept;
std::optional<Detector> detector_named(std::string_view name) noexcept;

// The built-in secret formats (RE2 syntax): security's default result patterns too.
std::span<const char* const> default_secret_patterns() noexcept;

bool luhn_valid(std::string_view digits) noexcept;  // digits only
bool iban_valid(std::string_view iban) noexcept;    // letters and digits, no spaces

struct Finding {
  std::size_t begin = 0, end = 0;  // byte offsets in the text
  Detector kind = Detector::secret;
};

class DetectorSet {
 public:
  explicit DetectorSet(std::vector<Detector> enabled = {kAllDetectors.begin(), kAllDetectors.end()});
  // Non-overlapping findings, in text order.
  std::vector<Finding> find(std::string_view text) const;
  // `text` with each finding replaced by "[REDACTED:<kind>]"; `counts` (indexed by Detector)
  // is incremented per finding. Returns nullopt when nothing was found (nothing copied).
  std::optional<std::string> redact(std::string_view text, std::array<std::size_t, kDetectorCount>* counts) const;
  bool empty() const noexcept { return enabled_.empty(); }

 private:
  std::vector<Detector> enabled_;
};

}  // namespace mcproxy::middleware
