// auth/jwk + auth/jwt: bearer tokens verify only with a key of the token's algorithm, chosen
// from the key set (never from the header), and their claims are checked only after the
// signature. Keys are generated here and tokens signed here, with OpenSSL, so nothing is a
// fixed vector that the verifier could have been written to match.
#include "auth/jwk.hpp"
#include "auth/jwt.hpp"
#include "support/digest.hpp"

#include <boost/json.hpp>

#include <doctest/doctest.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace json = boost::json;
using mcproxy::auth::JwsAlgorithm;
using mcproxy::auth::JwtFailure;
using mcproxy::auth::JwtPolicy;
using mcproxy::auth::KeySet;
using mcproxy::auth::parse_jwks;
using mcproxy::auth::verify_jwt;
using mcproxy::support::base64url_encode;

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

const auto kNow = std::chrono::system_clock::from_time_t(1'750'000'000);
const std::int64_t kNowSeconds = 1'750'000'000;
const std::string kIssuer = "https://issuer.example";
const std::string kHsSecret = "0123456789abcdef0123456789abcdef-shared";

// Generated once: RSA keygen is slow, under ASan more so.
struct TestKeys {
  Pkey rsa{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))};
  Pkey rsa_1024{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024))};
  Pkey ec{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  Pkey ec_other{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  Pkey ed{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")};
};
const TestKeys& keys() {
  static TestKeys k;
  REQUIRE(k.rsa);
  REQUIRE(k.rsa_1024);
  REQUIRE(k.ec);
  REQUIRE(k.ec_other);
  REQUIRE(k.ed);
  return k;
}

std::string bytes_of_bn_param(EVP_PKEY* key, const char* name, int pad_to = 0) {
  BIGNUM* bn = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(key, name, &bn) == 1);
  int size = pad_to > 0 ? pad_to : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(size), '\0');
  int written = BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), size);
  BN_free(bn);
  REQUIRE(written == size);
  return out;
}

json::object rsa_jwk(EVP_PKEY* key, std::string kid, std::string alg = {}) {
  json::object jwk{{"kty", "RSA"},
                   {"n", base64url_encode(bytes_of_bn_param(key, OSSL_PKEY_PARAM_RSA_N))},
                   {"e", base64url_encode(bytes_of_bn_param(key, OSSL_PKEY_PARAM_RSA_E))}};
  if (!kid.empty()) jwk["kid"] = kid;
  if (!alg.empty()) jwk["alg"] = alg;
  return jwk;
}

json::object ec_jwk(EVP_PKEY* key, std::string kid) {
  json::object jwk{{"kty", "EC"},
                   {"crv", "P-256"},
                   {"x", base64url_encode(bytes_of_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, 32))},
                   {"y", base64url_encode(bytes_of_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk;
}

json::object ed_jwk(EVP_PKEY* key, std::string kid) {
  std::string raw(32, '\0');
  std::size_t length = raw.size();
  REQUIRE(EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &length) == 1);
  REQUIRE(length == 32);
  json::object jwk{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(raw)}};
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk;
}

json::object oct_jwk(std::string_view secret, std::string kid) {
  return {{"kty", "oct"}, {"kid", kid}, {"k", base64url_encode(secret)}};
}

json::value jwks(std::vector<json::object> list) {
  json::array array;
  for (auto& jwk : list) array.push_back(std::move(jwk));
  return json::object{{"keys", std::move(array)}};
}

std::string public_key_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  REQUIRE(bio != nullptr);
  REQUIRE(PEM_write_bio_PUBKEY(bio, key) == 1);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

// How the test signs: as a JOSE library would, or on purpose not quite (DER ECDSA, PSS with
// the longest salt).
enum class Signing { RS256, PS256, PS256_max_salt, ES256, ES256_der, EdDSA };

std::string sign_with(EVP_PKEY* key, Signing how, std::string_view input) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  REQUIRE(context != nullptr);
  EVP_PKEY_CTX* pkey_context = nullptr;
  const char* digest = how == Signing::EdDSA ? nullptr : "SHA256";
  REQUIRE(EVP_DigestSignInit_ex(context, &pkey_context, digest, nullptr, nullptr, key, nullptr) == 1);
  if (how == Signing::PS256 || how == Signing::PS256_max_salt) {
    REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pkey_context, RSA_PKCS1_PSS_PADDING) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_mgf1_md_name(pkey_context, "SHA256", nullptr) == 1);
    REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pkey_context, how == Signing::PS256 ? 32 : RSA_PSS_SALTLEN_MAX) == 1);
  }
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  std::size_t length = 0;
  REQUIRE(EVP_DigestSign(context, nullptr, &length, data, input.size()) == 1);
  std::string signature(length, '\0');
  REQUIRE(EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length, data, input.size()) == 1);
  signature.resize(length);
  EVP_MD_CTX_free(context);
  if (how != Signing::ES256) return signature;
  // JOSE's ES256 form: R and S as 32 bytes each, not DER.
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
  REQUIRE(parsed != nullptr);
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  CHECK(BN_bn2binpad(ECDSA_SIG_get0_r(parsed), out, 32) == 32);
  CHECK(BN_bn2binpad(ECDSA_SIG_get0_s(parsed), out + 32, 32) == 32);
  ECDSA_SIG_free(parsed);
  return raw;
}

std::string hmac_sha256(std::string_view secret, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  REQUIRE(HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
               reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length) != nullptr);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string signing_input(const json::object& header, std::string_view payload) {
  return base64url_encode(json::serialize(header)) + "." + base64url_encode(payload);
}

std::string signed_token(const json::object& header, const json::object& claims, EVP_PKEY* key, Signing how) {
  std::string input = signing_input(header, json::serialize(claims));
  return input + "." + base64url_encode(sign_with(key, how, input));
}

std::string hs_token(const json::object& header, std::string_view payload, std::string_view secret) {
  std::string input = signing_input(header, payload);
  return input + "." + base64url_encode(hmac_sha256(secret, input));
}

json::object claims(std::int64_t exp_in = 600) {
  return {{"iss", kIssuer}, {"aud", "mcproxy"}, {"sub", "alice"}, {"exp", kNowSeconds + exp_in}};
}

json::object header(std::string_view alg, std::string_view kid = {}) {
  json::object h{{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) h["kid"] = kid;
  return h;
}

// A token's parts replaced one at a time.
std::vector<std::string> parts(const std::string& token) {
  auto first = token.find('.'), second = token.find('.', first + 1);
  return {token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1)};
}

std::string with_flipped_signature_bit(const std::string& token) {
  auto p = parts(token);
  auto signature = mcproxy::support::base64url_decode(p[2]);
  REQUIRE(signature.has_value());
  REQUIRE(!signature->empty());
  (*signature)[signature->size() / 2] ^= 0x01;
  return p[0] + "." + p[1] + "." + base64url_encode(*signature);
}

std::string with_payload(const std::string& token, const json::object& payload) {
  auto p = parts(token);
  return p[0] + "." + base64url_encode(json::serialize(payload)) + "." + p[2];
}

// What every detail must be: short, and fit for a quoted WWW-Authenticate parameter.
bool safe_detail(const std::string& detail) {
  if (detail.empty() || detail.size() > 200) return false;
  for (char c : detail)
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  return true;
}

struct Signer {
  const char* name;
  JwsAlgorithm algorithm;
  std::string token;
  KeySet set;
};

// One token per algorithm, each with the key set that should accept it.
std::vector<Signer> one_token_per_algorithm() {
  const TestKeys& k = keys();
  std::vector<Signer> out;
  out.push_back({"RS256", JwsAlgorithm::RS256, signed_token(header("RS256", "r1"), claims(), k.rsa.get(), Signing::RS256),
                 parse_jwks(jwks({rsa_jwk(k.rsa.get(), "r1")}), false)});
  out.push_back({"PS256", JwsAlgorithm::PS256, signed_token(header("PS256", "p1"), claims(), k.rsa.get(), Signing::PS256),
                 parse_jwks(jwks({rsa_jwk(k.rsa.get(), "p1", "PS256")}), false)});
  out.push_back({"ES256", JwsAlgorithm::ES256, signed_token(header("ES256", "e1"), claims(), k.ec.get(), Signing::ES256),
                 parse_jwks(jwks({ec_jwk(k.ec.get(), "e1")}), false)});
  out.push_back({"EdDSA", JwsAlgorithm::EdDSA, signed_token(header("EdDSA", "d1"), claims(), k.ed.get(), Signing::EdDSA),
                 parse_jwks(jwks({ed_jwk(k.ed.get(), "d1")}), false)});
  out.push_back({"HS256 (JWKS)", JwsAlgorithm::HS256, hs_token(header("HS256", "h1"), json::serialize(claims()), kHsSecret),
                 parse_jwks(jwks({oct_jwk(kHsSecret, "h1")}), true)});
  KeySet configured;
  configured.keys.push_back(mcproxy::auth::hs256_key(kHsSecret, "h2"));
  out.push_back({"HS256 (config)", JwsAlgorithm::HS256,
                 hs_token(header("HS256", "h2"), json::serialize(claims()), kHsSecret), std::move(configured)});
  return out;
}

}  // namespace

TEST_SUITE("jwt") {
  TEST_CASE("jwt: algorithm names; none is not one") {
    for (auto a : {JwsAlgorithm::RS256, JwsAlgorithm::PS256, JwsAlgorithm::ES256, JwsAlgorithm::EdDSA, JwsAlgorithm::HS256})
      CHECK(mcproxy::auth::parse_jws_algorithm(mcproxy::auth::to_string(a)) == a);
    CHECK_FALSE(mcproxy::auth::parse_jws_algorithm("none").has_value());
    CHECK_FALSE(mcproxy::auth::parse_jws_algorithm("rs256").has_value());
    CHECK_FALSE(mcproxy::auth::parse_jws_algorithm("RS512").has_value());
    CHECK(mcproxy::auth::to_string(JwtFailure::unknown_key) == "unknown_key");
  }

  TEST_CASE("jwt: each algorithm verifies with its key, and the claims come back") {
    for (auto& s : one_token_per_algorithm()) {
      CAPTURE(s.name);
      REQUIRE(s.set.problems.empty());
      REQUIRE(s.set.keys.size() == 1);
      CHECK(s.set.keys[0].algorithm == s.algorithm);
      auto result = verify_jwt(s.token, s.set, JwtPolicy{}, kNow);
      CHECK(result.ok());
      CHECK(result.detail.empty());
      CHECK(result.kid == s.set.keys[0].kid);
      REQUIRE(result.claims.contains("sub"));
      CHECK(result.claims.at("sub") == "alice");
    }
  }

  TEST_CASE("jwt: a tampered payload or signature does not verify") {
    for (auto& s : one_token_per_algorithm()) {
      CAPTURE(s.name);
      auto forged = claims();
      forged["sub"] = "mallory";
      auto payload = verify_jwt(with_payload(s.token, forged), s.set, JwtPolicy{}, kNow);
      CHECK(payload.failure == JwtFailure::bad_signature);
      CHECK(payload.claims.empty());
      CHECK(safe_detail(payload.detail));
      auto signature = verify_jwt(with_flipped_signature_bit(s.token), s.set, JwtPolicy{}, kNow);
      CHECK(signature.failure == JwtFailure::bad_signature);
      auto p = parts(s.token);
      CHECK(verify_jwt(p[0] + "." + p[1] + ".", s.set, JwtPolicy{}, kNow).failure == JwtFailure::bad_signature);
    }
    const TestKeys& k = keys();
    auto ec_set = parse_jwks(jwks({ec_jwk(k.ec.get(), "e1")}), false);
    // ECDSA in DER, as OpenSSL makes it: JOSE wants R||S, 64 bytes, nothing else.
    auto der = signed_token(header("ES256", "e1"), claims(), k.ec.get(), Signing::ES256_der);
    CHECK(verify_jwt(der, ec_set, JwtPolicy{}, kNow).failure == JwtFailure::bad_signature);
    // PSS with a salt other than 32 bytes.
    auto ps_set = parse_jwks(jwks({rsa_jwk(k.rsa.get(), "p1", "PS256")}), false);
    auto long_salt = signed_token(header("PS256", "p1"), claims(), k.rsa.get(), Signing::PS256_max_salt);
    CHECK(verify_jwt(long_salt, ps_set, JwtPolicy{}, kNow).failure == JwtFailure::bad_signature);
    // The right algorithm but another key of it.
    auto other = signed_token(header("ES256", "e1"), claims(), k.ec_other.get(), Signing::ES256);
    CHECK(verify_jwt(other, ec_set, JwtPolicy{}, kNow).failure == JwtFailure::bad_signature);
  }

  TEST_CASE("jwt: the header never chooses how a key is used") {
    const TestKeys& k = keys();
    auto rs_set = parse_jwks(jwks({rsa_jwk(k.rsa.get(), "r1")}), true);
    REQUIRE(rs_set.keys.size() == 1);
    REQUIRE(rs_set.keys[0].algorithm == JwsAlgorithm::RS256);

    SUBCASE("alg none with an empty signature") {
      for (auto& h : {header("none"), header("none", "r1")}) {
        auto token = signing_input(h, json::serialize(claims())) + ".";
        auto result = verify_jwt(token, rs_set, JwtPolicy{}, kNow);
        CHECK(result.failure == JwtFailure::unsupported_algorithm);
        CHECK(result.detail.find("none") != std::string::npos);
        CHECK(safe_detail(result.detail));
      }
    }
    SUBCASE("HS256 keyed with the RSA public key's PEM") {
      std::string pem = public_key_pem(k.rsa.get());
      REQUIRE(pem.find("BEGIN PUBLIC KEY") != std::string::npos);
      auto with_kid = hs_token(header("HS256", "r1"), json::serialize(claims()), pem);
      CHECK(verify_jwt(with_kid, rs_set, JwtPolicy{}, kNow).failure == JwtFailure::unsupported_algorithm);
      auto without_kid = hs_token(header("HS256"), json::serialize(claims()), pem);
      CHECK(verify_jwt(without_kid, rs_set, JwtPolicy{}, kNow).failure == JwtFailure::unknown_key);
    }
    SUBCASE("PS256 against an RS256 key, RS256 against a PS256 key, EdDSA against an EC key") {
      auto ps = signed_token(header("PS256", "r1"), claims(), k.rsa.get(), Signing::PS256);
      CHECK(verify_jwt(ps, rs_set, JwtPolicy{}, kNow).failure == JwtFailure::unsupported_algorithm);
      auto ps_set = parse_jwks(jwks({rsa_jwk(k.rsa.get(), "r1", "PS256")}), false);
      CHECK(verify_jwt(ps, ps_set, JwtPolicy{}, kNow).ok());  // the same token, with the key it fits
      auto rs = signed_token(header("RS256", "r1"), claims(), k.rsa.get(), Signing::RS256);
      CHECK(verify_jwt(rs, ps_set, JwtPolicy{}, kNow).failure == JwtFailure::unsupported_algorithm);
      auto ed_as_ec = signed_token(header("EdDSA", "e1"), claims(), k.ed.get(), Signing::EdDSA);
      auto ec_set = parse_jwks(jwks({ec_jwk(k.ec.get(), "e1")}), false);
      CHECK(verify_jwt(ed_as_ec, ec_set, JwtPolicy{}, kNow).failure == JwtFailure::unsupported_algorithm);
    }
    SUBCASE("an unknown alg and a crit header") {
      auto rs512 = signed_token(header("RS512", "r1"), claims(), k.rsa.get(), Signing::RS256);
      CHECK(verify_jwt(rs512, rs_set, JwtPolicy{}, kNow).failure == JwtFailure::unsupported_algorithm);
      auto h = header("RS256", "r1");
      h["crit"] = json::array{"exp"};
      auto crit = signed_token(h, claims(), k.rsa.get(), Signing::RS256);
      CHECK(verify_jwt(crit, rs_set, JwtPolicy{}, kNow).failure == JwtFailure::unsupported_algorithm);
      h.erase("crit");  // the same token without crit verifies: crit alone was refused
      CHECK(verify_jwt(signed_token(h, claims(), k.rsa.get(), Signing::RS256), rs_set, JwtPolicy{}, kNow).ok());
    }
  }

  TEST_CASE("jwt: a kid selects the key; without one every key of the algorithm is tried") {
    const TestKeys& k = keys();
    auto set = parse_jwks(jwks({ec_jwk(k.ec.get(), "first"), ec_jwk(k.ec_other.get(), "second")}), false);
    REQUIRE(set.keys.size() == 2);
    auto unknown = verify_jwt(signed_token(header("ES256", "nope"), claims(), k.ec.get(), Signing::ES256), set,
                              JwtPolicy{}, kNow);
    CHECK(unknown.failure == JwtFailure::unknown_key);
    CHECK(unknown.kid == "nope");
    CHECK(unknown.detail.find("nope") != std::string::npos);
    CHECK(verify_jwt(signed_token(header("ES256"), claims(), k.ec_other.get(), Signing::ES256), set, JwtPolicy{}, kNow).ok());
    CHECK(verify_jwt(signed_token(header("ES256"), claims(), k.ec.get(), Signing::ES256), set, JwtPolicy{}, kNow).ok());
    // Signed by the second key but naming the first: only the first is tried.
    auto misnamed = signed_token(header("ES256", "first"), claims(), k.ec_other.get(), Signing::ES256);
    CHECK(verify_jwt(misnamed, set, JwtPolicy{}, kNow).failure == JwtFailure::bad_signature);
    CHECK(verify_jwt(signed_token(header("ES256"), claims(), k.ed.get(), Signing::EdDSA), set, JwtPolicy{}, kNow).failure ==
          JwtFailure::bad_signature);
  }

  TEST_CASE("jwt: exp and nbf, with leeway, checked only after the signature") {
    KeySet set;
    set.keys.push_back(mcproxy::auth::hs256_key(kHsSecret));
    JwtPolicy policy;  // leeway 60 s
    auto verify = [&](const json::object& c) { return verify_jwt(hs_token(header("HS256"), json::serialize(c), kHsSecret), set, policy, kNow); };
    CHECK(verify(claims(-61)).failure == JwtFailure::expired);
    CHECK(verify(claims(-59)).ok());
    CHECK(verify(claims(-60)).ok());
    auto fractional = claims();
    fractional["exp"] = static_cast<double>(kNowSeconds) - 60.5;
    CHECK(verify(fractional).failure == JwtFailure::expired);
    fractional["exp"] = static_cast<double>(kNowSeconds) + 0.5;
    CHECK(verify(fractional).ok());
    auto text_exp = claims();
    text_exp["exp"] = "tomorrow";
    CHECK(verify(text_exp).failure == JwtFailure::malformed);

    auto early = claims();
    early["nbf"] = kNowSeconds + 61;
    CHECK(verify(early).failure == JwtFailure::not_yet_valid);
    early["nbf"] = kNowSeconds + 59;
    CHECK(verify(early).ok());

    auto no_exp = claims();
    no_exp.erase("exp");
    CHECK(verify(no_exp).failure == JwtFailure::missing_expiry);
    policy.require_exp = false;
    CHECK(verify(no_exp).ok());
    policy.require_exp = true;
    policy.leeway = std::chrono::seconds(0);
    CHECK(verify(claims(-1)).failure == JwtFailure::expired);

    // An expired token with a bad signature is a bad signature: claims are not read before.
    auto expired = hs_token(header("HS256"), json::serialize(claims(-3600)), kHsSecret);
    CHECK(verify_jwt(expired, set, policy, kNow).failure == JwtFailure::expired);
    CHECK(verify_jwt(with_flipped_signature_bit(expired), set, policy, kNow).failure == JwtFailure::bad_signature);
  }

  TEST_CASE("jwt: iss and aud must be among the accepted ones when the policy names some") {
    KeySet set;
    set.keys.push_back(mcproxy::auth::hs256_key(kHsSecret));
    JwtPolicy policy;
    policy.issuers = {"https://other.example", kIssuer};
    policy.audiences = {"mcproxy"};
    auto verify = [&](const json::object& c) { return verify_jwt(hs_token(header("HS256"), json::serialize(c), kHsSecret), set, policy, kNow); };
    CHECK(verify(claims()).ok());

    auto c = claims();
    c["iss"] = "https://evil.example";
    auto wrong_iss = verify(c);
    CHECK(wrong_iss.failure == JwtFailure::wrong_issuer);
    CHECK(wrong_iss.detail.find("evil.example") != std::string::npos);
    CHECK(wrong_iss.detail.find("alice") == std::string::npos);  // no other claim value
    CHECK(safe_detail(wrong_iss.detail));
    c["iss"] = "https://evil.example\"\r\nX-Injected: 1";
    CHECK(safe_detail(verify(c).detail));
    c.erase("iss");
    CHECK(verify(c).failure == JwtFailure::wrong_issuer);

    c = claims();
    c["aud"] = "someone-else";
    CHECK(verify(c).failure == JwtFailure::wrong_audience);
    c["aud"] = json::array{"a", "b"};
    CHECK(verify(c).failure == JwtFailure::wrong_audience);
    c["aud"] = json::array{"a", "mcproxy"};
    CHECK(verify(c).ok());
    c["aud"] = 7;
    CHECK(verify(c).failure == JwtFailure::wrong_audience);
    c.erase("aud");
    CHECK(verify(c).failure == JwtFailure::wrong_audience);

    policy.issuers.clear();
    policy.audiences.clear();
    c["iss"] = "anyone";
    CHECK(verify(c).ok());
  }

  TEST_CASE("jwt: parse_jwks skips what it cannot use safely, one problem line each") {
    const TestKeys& k = keys();
    SUBCASE("oct keys only when HS256 is allowed, and long enough") {
      auto doc = jwks({oct_jwk(kHsSecret, "shared")});
      auto refused = parse_jwks(doc, false);
      CHECK(refused.keys.empty());
      REQUIRE(refused.problems.size() == 1);
      CHECK(refused.problems[0].find("key 0") != std::string::npos);
      CHECK(refused.problems[0].find("shared") != std::string::npos);
      auto allowed = parse_jwks(doc, true);
      REQUIRE(allowed.keys.size() == 1);
      CHECK(allowed.keys[0].algorithm == JwsAlgorithm::HS256);
      CHECK(allowed.keys[0].secret == kHsSecret);
      CHECK(parse_jwks(jwks({oct_jwk("short", "s")}), true).keys.empty());
      CHECK_THROWS_AS(mcproxy::auth::hs256_key("short"), std::invalid_argument);
    }
    SUBCASE("a 1024-bit RSA key") {
      auto set = parse_jwks(jwks({rsa_jwk(k.rsa_1024.get(), "small"), rsa_jwk(k.rsa.get(), "big")}), false);
      REQUIRE(set.keys.size() == 1);
      CHECK(set.keys[0].kid == "big");
      REQUIRE(set.problems.size() == 1);
      CHECK(set.problems[0].find("1024") != std::string::npos);
      CHECK(set.problems[0].find("small") != std::string::npos);
    }
    SUBCASE("other curves, a disagreeing alg, use other than sig, a point off the curve") {
      auto p384 = ec_jwk(k.ec.get(), "p384");
      p384["crv"] = "P-384";
      auto rsa_as_es = rsa_jwk(k.rsa.get(), "rsa-es", "ES256");
      auto ec_as_rs = ec_jwk(k.ec.get(), "ec-rs");
      ec_as_rs["alg"] = "RS256";
      auto encryption = rsa_jwk(k.rsa.get(), "enc");
      encryption["use"] = "enc";
      auto off_curve = ec_jwk(k.ec.get(), "off");
      auto y = *mcproxy::support::base64url_decode(off_curve["y"].as_string());
      y.back() ^= 1;
      off_curve["y"] = base64url_encode(y);
      auto x448 = ed_jwk(k.ed.get(), "x448");
      x448["crv"] = "Ed448";
      auto no_kty = ec_jwk(k.ec.get(), "nokty");
      no_kty.erase("kty");
      auto set = parse_jwks(jwks({p384, rsa_as_es, ec_as_rs, encryption, off_curve, x448, no_kty}), true);
      CHECK(set.keys.empty());
      CHECK(set.problems.size() == 7);
      for (std::size_t i = 0; i < set.problems.size(); ++i)
        CHECK(set.problems[i].find("key " + std::to_string(i)) != std::string::npos);
    }
    SUBCASE("private members are ignored, the public part is used") {
      auto jwk = ec_jwk(k.ec.get(), "priv");
      jwk["d"] = base64url_encode(std::string(32, '\x07'));
      jwk["use"] = "sig";
      jwk["alg"] = "ES256";
      auto set = parse_jwks(jwks({jwk}), false);
      REQUIRE(set.keys.size() == 1);
      CHECK(set.problems.empty());
      auto token = signed_token(header("ES256", "priv"), claims(), k.ec.get(), Signing::ES256);
      CHECK(verify_jwt(token, set, JwtPolicy{}, kNow).ok());
    }
    SUBCASE("not a JWKS") {
      for (auto doc : {json::value(json::array{}), json::value(json::object{{"keys", 3}}), json::value("x")}) {
        auto set = parse_jwks(doc, true);
        CHECK(set.keys.empty());
        CHECK(set.problems.size() == 1);
      }
      auto set = parse_jwks(json::object{{"keys", json::array{1, "two", json::object{{"kty", "RSA"}}}}}, true);
      CHECK(set.keys.empty());
      CHECK(set.problems.size() == 3);
    }
  }

  TEST_CASE("jwt: garbage is malformed and never crashes") {
    KeySet set;
    set.keys.push_back(mcproxy::auth::hs256_key(kHsSecret));
    auto good = hs_token(header("HS256"), json::serialize(claims()), kHsSecret);
    REQUIRE(verify_jwt(good, set, JwtPolicy{}, kNow).ok());
    auto p = parts(good);
    std::vector<std::string> garbage = {
        "", ".", "..", "a.b", "a.b.c.d", "!!!.@@@.###", p[0] + "." + p[1] + "." + p[2] + "=",
        p[0] + " ." + p[1] + "." + p[2], "." + p[1] + "." + p[2], p[0] + ".." + p[2],
        base64url_encode("not json") + "." + p[1] + "." + p[2],
        base64url_encode("[\"HS256\"]") + "." + p[1] + "." + p[2],
        base64url_encode("{\"typ\":\"JWT\"}") + "." + p[1] + "." + p[2],
        base64url_encode("{\"alg\":\"HS256\",\"kid\":5}") + "." + p[1] + "." + p[2],
        hs_token(header("HS256"), "not json", kHsSecret),           // signed, but not an object
        hs_token(header("HS256"), "[1,2]", kHsSecret),
    };
    for (auto& token : garbage) {
      CAPTURE(token);
      auto result = verify_jwt(token, set, JwtPolicy{}, kNow);
      CHECK(result.failure == JwtFailure::malformed);
      CHECK(safe_detail(result.detail));
    }
    JwtPolicy small;
    small.max_token_bytes = good.size() - 1;
    CHECK(verify_jwt(good, set, small, kNow).failure == JwtFailure::malformed);
    // Every truncation of a good token is refused, whatever the reason.
    for (std::size_t n = 0; n < good.size(); ++n) CHECK_FALSE(verify_jwt(good.substr(0, n), set, JwtPolicy{}, kNow).ok());
  }
}
