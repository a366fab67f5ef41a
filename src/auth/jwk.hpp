#pragma once
// The keys a bearer token may be verified with, read from a JWKS document (RFC 7517) or given
// as an HS256 shared secret. Each key carries its algorithm, fixed when the key is read: a
// token's header only ever selects among these, it never decides how a key is used (that is
// the "alg": "none" and HS256-with-an-RSA-public-key confusion that libraries trusting the
// header fall for). Keys that cannot be used safely are skipped, each with a reason.

#include <boost/json/value.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// OpenSSL's key type, declared as <openssl/types.h> does, so this header needs no OpenSSL.
struct evp_pkey_st;
typedef struct evp_pkey_st EVP_PKEY;

namespace mcproxy::auth {

// The JWS algorithms MCProxy verifies (RFC 7518 §3, RFC 8037). There is no "none".
enum class JwsAlgorithm { RS256, PS256, ES256, EdDSA, HS256 };

// The algorithm of a JOSE "alg" value, exactly as spelled there; "none" and anything else: none.
std::optional<JwsAlgorithm> parse_jws_algorithm(std::string_view name);
std::string_view to_string(JwsAlgorithm algorithm) noexcept;

// RSA moduli shorter than this are refused (RFC 7518 §3.3).
inline constexpr std::size_t kMinRsaModulusBits = 2048;
// HS256 secrets shorter than the hash are refused (RFC 7518 §3.2).
inline constexpr std::size_t kMinHs256SecretBytes = 32;

// One key, with the one algorithm it may verify.
struct VerificationKey {
  std::string kid;                          // may be empty
  JwsAlgorithm algorithm = JwsAlgorithm::RS256;
  std::shared_ptr<EVP_PKEY> public_key;     // RS256, PS256, ES256, EdDSA
  std::string secret;                       // HS256 only
};

struct KeySet {
  std::vector<VerificationKey> keys;
  std::vector<std::string> problems;        // one line per key skipped: its index, kid and why
};

// The usable keys of a JWKS document {"keys": [...]}:
//   kty RSA (n, e; modulus >= 2048 bits): RS256, or PS256 when the JWK's "alg" says so;
//   kty EC, crv P-256 (x, y): ES256; other curves are skipped;
//   kty OKP, crv Ed25519 (x): EdDSA;
//   kty oct (k, >= 32 bytes): HS256, only when `allow_hs256`.
// A JWK whose "alg" disagrees with its kty/crv, whose "use" is not "sig", or whose key does not
// pass OpenSSL's public-key check is skipped. Private members (d, p, q, ...) are ignored: only
// the public part is ever used. Never throws on a bad document: everything lands in `problems`.
KeySet parse_jwks(const boost::json::value& jwks, bool allow_hs256);

// An HS256 shared secret from the configuration. Throws std::invalid_argument when the secret
// is shorter than kMinHs256SecretBytes (config validation should say so first).
VerificationKey hs256_key(std::string secret, std::string kid = {});

}  // namespace mcproxy::auth
