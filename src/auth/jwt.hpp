#pragma once
// Verifies a bearer token: a compact JWS (RFC 7515) whose payload is a JWT claims set
// (RFC 7519), against a KeySet. The header's "alg" must equal the fixed algorithm of the key it
// is checked with, so a token can never choose "none" or turn an RSA public key into an HMAC
// secret. Claims are looked at only once the signature holds, and a failure says what failed
// in words that are safe to log and to send back in WWW-Authenticate.

#include "auth/jwk.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::auth {

struct JwtPolicy {
  std::vector<std::string> issuers;         // empty: any; else "iss" must equal one
  std::vector<std::string> audiences;       // empty: any; else "aud" (string or array) must hold one
  std::chrono::seconds leeway{60};          // clock skew allowed on exp and nbf
  bool require_exp = true;
  std::size_t max_token_bytes = 16 * 1024;  // longer tokens are malformed, unread
};

enum class JwtFailure {
  none,
  malformed,              // not three base64url parts, header or payload not a JSON object, ...
  unsupported_algorithm,  // alg unknown or "none", alg not the key's, a "crit" header
  unknown_key,            // no key with the header's kid (or, without kid, none for its alg)
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  missing_expiry,
};

std::string_view to_string(JwtFailure failure) noexcept;

struct JwtResult {
  JwtFailure failure = JwtFailure::none;
  // Short; never the token nor a claim value other than iss/aud (printable ASCII, truncated).
  std::string detail;
  boost::json::object claims;  // the payload, when ok
  std::string kid;             // the header's kid when it has one, so a caller can refresh a JWKS
  bool ok() const noexcept { return failure == JwtFailure::none; }
};

// With a header kid, only the keys with that kid are candidates (unknown_key if none); without
// one, every key whose algorithm equals the header's is tried. Signatures: RS256 PKCS#1 v1.5
// SHA-256; PS256 RSA-PSS SHA-256, MGF1 SHA-256, salt 32 bytes; ES256 64 bytes R||S; EdDSA
// Ed25519; HS256 HMAC-SHA-256 compared in constant time. Then, in this order: exp (now >
// exp + leeway: expired; absent and required: missing_expiry), nbf (now + leeway < nbf),
// iss, aud. Numeric dates may be integers or fractions.
JwtResult verify_jwt(std::string_view token, const KeySet& keys, const JwtPolicy& policy,
                     std::chrono::system_clock::time_point now);

}  // namespace mcproxy::auth
