#include "auth/jwt.hpp"

#include "support/digest.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <optional>
#include <utility>

namespace mcproxy::auth {

std::string_view to_string(JwtFailure failure) noexcept {
  switch (failure) {
    case JwtFailure::none: return "none";
    case JwtFailure::malformed: return "malformed";
    case JwtFailure::unsupported_algorithm: return "unsupported_algorithm";
    case JwtFailure::unknown_key: return "unknown_key";
    case JwtFailure::bad_signature: return "bad_signature";
    case JwtFailure::expired: return "expired";
    case JwtFailure::not_yet_valid: return "not_yet_valid";
    case JwtFailure::wrong_issuer: return "wrong_issuer";
    case JwtFailure::wrong_audience: return "wrong_audience";
    case JwtFailure::missing_expiry: return "missing_expiry";
  }
  return "?";
}

namespace {

constexpr std::size_t kEs256SignatureBytes = 64;  // R || S, 32 bytes each (RFC 7518 §3.4)
constexpr int kPssSaltBytes = 32;                 // the size of SHA-256 (RFC 7518 §3.5)

struct MdContextFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct EcdsaSignatureFree {
  void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); }
};

// Refused keys and signatures leave errors in OpenSSL's queue for this thread: they are ours to
// drop, and only ours (an error queued before stays for whoever queued it).
struct OpenSslErrorScope {
  OpenSslErrorScope() { ERR_set_mark(); }
  ~OpenSslErrorScope() { ERR_pop_to_mark(); }
  OpenSslErrorScope(const OpenSslErrorScope&) = delete;
  OpenSslErrorScope& operator=(const OpenSslErrorScope&) = delete;
};

// Text from a token, fit for a log line and a WWW-Authenticate error_description (RFC 6750
// §3: printable ASCII without '"' or '\'), at most `max` characters.
std::string printable(std::string_view text, std::size_t max = 64) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
  if (text.size() > max) out += "...";
  return out;
}

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

bool is_base64url_or_dot(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.';
}

// The JOSE R||S form of an ES256 signature as the DER that OpenSSL verifies; other lengths: none.
std::optional<std::string> es256_der(std::string_view raw) {
  if (raw.size() != kEs256SignatureBytes) return std::nullopt;
  constexpr int half = kEs256SignatureBytes / 2;
  std::unique_ptr<ECDSA_SIG, EcdsaSignatureFree> signature(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes_of(raw), half, nullptr);
  BIGNUM* s = BN_bin2bn(bytes_of(raw) + half, half, nullptr);
  if (!signature || r == nullptr || s == nullptr || ECDSA_SIG_set0(signature.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  int length = i2d_ECDSA_SIG(signature.get(), nullptr);
  if (length <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(signature.get(), &out) != length) return std::nullopt;
  return der;
}

bool verify_public_key(const VerificationKey& key, std::string_view signing_input, std::string_view signature) {
  EVP_PKEY* pkey = key.public_key.get();
  if (pkey == nullptr) return false;
  bool rsa = key.algorithm == JwsAlgorithm::RS256 || key.algorithm == JwsAlgorithm::PS256;
  const char* type = rsa ? "RSA" : key.algorithm == JwsAlgorithm::ES256 ? "EC" : "ED25519";
  if (EVP_PKEY_is_a(pkey, type) != 1) return false;
  // An RSA signature is exactly as long as the modulus: a shorter one would be read as if it
  // had leading zeros, and two texts would verify alike.
  if (rsa && signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(pkey))) return false;
  std::string der;
  if (key.algorithm == JwsAlgorithm::ES256) {
    std::optional<std::string> converted = es256_der(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdContextFree> context(EVP_MD_CTX_new());
  if (!context) return false;
  EVP_PKEY_CTX* pkey_context = nullptr;  // owned by `context`
  const char* digest = key.algorithm == JwsAlgorithm::EdDSA ? nullptr : "SHA256";
  if (EVP_DigestVerifyInit_ex(context.get(), &pkey_context, digest, nullptr, nullptr, pkey, nullptr) != 1)
    return false;
  if (key.algorithm == JwsAlgorithm::RS256 && EVP_PKEY_CTX_set_rsa_padding(pkey_context, RSA_PKCS1_PADDING) <= 0)
    return false;
  if (key.algorithm == JwsAlgorithm::PS256 &&
      (EVP_PKEY_CTX_set_rsa_padding(pkey_context, RSA_PKCS1_PSS_PADDING) <= 0 ||
       EVP_PKEY_CTX_set_rsa_mgf1_md_name(pkey_context, "SHA256", nullptr) <= 0 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_context, kPssSaltBytes) <= 0))
    return false;
  return EVP_DigestVerify(context.get(), bytes_of(signature), signature.size(), bytes_of(signing_input),
                          signing_input.size()) == 1;
}

bool verify_hmac(const VerificationKey& key, std::string_view signing_input, std::string_view signature) {
  if (key.secret.empty() || key.secret.size() > static_cast<std::size_t>(INT_MAX)) return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()), bytes_of(signing_input),
           signing_input.size(), mac, &length) == nullptr)
    return false;
  return support::constant_time_equal(std::string_view(reinterpret_cast<const char*>(mac), length), signature);
}

bool verify_signature(const VerificationKey& key, std::string_view signing_input, std::string_view signature) {
  if (key.algorithm == JwsAlgorithm::HS256) return verify_hmac(key, signing_input, signature);
  return verify_public_key(key, signing_input, signature);
}

std::optional<boost::json::object> parse_object(std::string_view text) {
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(text, error);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

// A NumericDate claim (RFC 7519 §2): absent, a number (integer or not), or invalid.
struct DateClaim {
  bool present = false;
  bool valid = true;
  double seconds = 0;
};

DateClaim date_claim(const boost::json::object& claims, std::string_view name) {
  const boost::json::value* value = claims.if_contains(name);
  if (value == nullptr) return {};
  if (value->is_int64()) return {true, true, static_cast<double>(value->get_int64())};
  if (value->is_uint64()) return {true, true, static_cast<double>(value->get_uint64())};
  if (value->is_double()) return {true, true, value->get_double()};
  return {true, false, 0};
}

bool accepted(std::string_view value, const std::vector<std::string>& allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// The claims checks, once the signature holds; an empty detail means they pass.
std::pair<JwtFailure, std::string> check_claims(const boost::json::object& claims, const JwtPolicy& policy,
                                                std::chrono::system_clock::time_point now) {
  const double now_s =
      static_cast<double>(std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count());
  const double leeway = static_cast<double>(policy.leeway.count());

  DateClaim exp = date_claim(claims, "exp");
  if (!exp.valid) return {JwtFailure::malformed, "exp is not a number"};
  if (!exp.present && policy.require_exp) return {JwtFailure::missing_expiry, "the token has no exp"};
  if (exp.present && now_s > exp.seconds + leeway)
    return {JwtFailure::expired, fmt::format("the token expired {:.0f} s ago (leeway {} s)", now_s - exp.seconds,
                                             policy.leeway.count())};

  DateClaim nbf = date_claim(claims, "nbf");
  if (!nbf.valid) return {JwtFailure::malformed, "nbf is not a number"};
  if (nbf.present && now_s + leeway < nbf.seconds)
    return {JwtFailure::not_yet_valid, fmt::format("the token is valid only in {:.0f} s (leeway {} s)",
                                                   nbf.seconds - now_s, policy.leeway.count())};

  if (!policy.issuers.empty()) {
    const boost::json::value* iss = claims.if_contains("iss");
    if (iss == nullptr) return {JwtFailure::wrong_issuer, "the token has no iss"};
    if (!iss->is_string()) return {JwtFailure::wrong_issuer, "iss is not a string"};
    if (!accepted(iss->get_string(), policy.issuers))
      return {JwtFailure::wrong_issuer, fmt::format("issuer '{}' is not accepted", printable(iss->get_string()))};
  }

  if (!policy.audiences.empty()) {
    const boost::json::value* aud = claims.if_contains("aud");
    if (aud == nullptr) return {JwtFailure::wrong_audience, "the token has no aud"};
    if (aud->is_string()) {
      if (!accepted(aud->get_string(), policy.audiences))
        return {JwtFailure::wrong_audience,
                fmt::format("audience '{}' is not accepted", printable(aud->get_string()))};
    } else if (aud->is_array()) {
      std::string names;
      bool found = false;
      for (const boost::json::value& entry : aud->get_array()) {
        if (!entry.is_string()) return {JwtFailure::wrong_audience, "aud holds a value that is not a string"};
        found = found || accepted(entry.get_string(), policy.audiences);
        names += (names.empty() ? "'" : ", '") + std::string(entry.get_string()) + "'";
      }
      if (!found) return {JwtFailure::wrong_audience, "no audience accepted among " + printable(names, 120)};
    } else {
      return {JwtFailure::wrong_audience, "aud is neither a string nor an array"};
    }
  }
  return {JwtFailure::none, {}};
}

JwtResult failed(JwtResult& result, JwtFailure failure, std::string detail) {
  result.failure = failure;
  result.detail = std::move(detail);
  result.claims.clear();
  return std::move(result);
}

JwtResult verify(std::string_view token, const KeySet& keys, const JwtPolicy& policy,
                 std::chrono::system_clock::time_point now) {
  JwtResult result;
  if (token.size() > policy.max_token_bytes)
    return failed(result, JwtFailure::malformed, fmt::format("the token is longer than {} bytes", policy.max_token_bytes));
  if (!std::all_of(token.begin(), token.end(), is_base64url_or_dot) ||
      std::count(token.begin(), token.end(), '.') != 2)
    return failed(result, JwtFailure::malformed, "not a compact JWS (three base64url parts)");
  std::size_t first = token.find('.'), second = token.find('.', first + 1);
  std::string_view header_text = token.substr(0, first), payload_text = token.substr(first + 1, second - first - 1);
  std::string_view signing_input = token.substr(0, second), signature_text = token.substr(second + 1);
  if (header_text.empty() || payload_text.empty())
    return failed(result, JwtFailure::malformed, "an empty header or payload");
  std::optional<std::string> header_bytes = support::base64url_decode(header_text);
  std::optional<std::string> payload_bytes = support::base64url_decode(payload_text);
  std::optional<std::string> signature = support::base64url_decode(signature_text);
  if (!header_bytes || !payload_bytes || !signature)
    return failed(result, JwtFailure::malformed, "a part is not canonical base64url");

  std::optional<boost::json::object> header = parse_object(*header_bytes);
  if (!header) return failed(result, JwtFailure::malformed, "the header is not a JSON object");
  const boost::json::value* kid = header->if_contains("kid");
  if (kid != nullptr && !kid->is_string()) return failed(result, JwtFailure::malformed, "kid is not a string");
  if (kid != nullptr) result.kid = std::string(kid->get_string());
  const boost::json::value* alg_value = header->if_contains("alg");
  if (alg_value == nullptr || !alg_value->is_string())
    return failed(result, JwtFailure::malformed, "the header has no alg string");
  std::string_view alg_name = alg_value->get_string();
  std::optional<JwsAlgorithm> alg = parse_jws_algorithm(alg_name);
  if (!alg)
    return failed(result, JwtFailure::unsupported_algorithm, fmt::format("alg '{}' is not accepted", printable(alg_name)));
  if (header->contains("crit"))
    return failed(result, JwtFailure::unsupported_algorithm, "the header has crit (no extension is supported)");

  std::vector<const VerificationKey*> candidates;
  if (kid != nullptr) {
    bool kid_known = false;
    for (const VerificationKey& key : keys.keys) {
      if (key.kid != result.kid) continue;
      kid_known = true;
      if (key.algorithm == *alg) candidates.push_back(&key);
    }
    if (!kid_known)
      return failed(result, JwtFailure::unknown_key, fmt::format("no key with kid '{}'", printable(result.kid)));
    if (candidates.empty())
      return failed(result, JwtFailure::unsupported_algorithm,
                    fmt::format("alg {} is not the algorithm of key '{}'", to_string(*alg), printable(result.kid)));
  } else {
    for (const VerificationKey& key : keys.keys)
      if (key.algorithm == *alg) candidates.push_back(&key);
    if (candidates.empty())
      return failed(result, JwtFailure::unknown_key, fmt::format("no key for alg {}", to_string(*alg)));
  }
  bool verified = std::any_of(candidates.begin(), candidates.end(), [&](const VerificationKey* key) {
    return verify_signature(*key, signing_input, *signature);
  });
  if (!verified)
    return failed(result, JwtFailure::bad_signature,
                  fmt::format("the {} signature does not verify ({} key(s) tried)", to_string(*alg), candidates.size()));

  std::optional<boost::json::object> claims = parse_object(*payload_bytes);
  if (!claims) return failed(result, JwtFailure::malformed, "the payload is not a JSON object");
  auto [failure, detail] = check_claims(*claims, policy, now);
  if (failure != JwtFailure::none) return failed(result, failure, std::move(detail));
  result.claims = std::move(*claims);
  return result;
}

}  // namespace

JwtResult verify_jwt(std::string_view token, const KeySet& keys, const JwtPolicy& policy,
                     std::chrono::system_clock::time_point now) {
  OpenSslErrorScope errors;
  return verify(token, keys, policy, now);
}

}  // namespace mcproxy::auth
