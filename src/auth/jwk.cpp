#include "auth/jwk.hpp"

#include "support/digest.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <stdexcept>
#include <utility>

namespace mcproxy::auth {

std::optional<JwsAlgorithm> parse_jws_algorithm(std::string_view name) {
  if (name == "RS256") return JwsAlgorithm::RS256;
  if (name == "PS256") return JwsAlgorithm::PS256;
  if (name == "ES256") return JwsAlgorithm::ES256;
  if (name == "EdDSA") return JwsAlgorithm::EdDSA;
  if (name == "HS256") return JwsAlgorithm::HS256;
  return std::nullopt;
}

std::string_view to_string(JwsAlgorithm algorithm) noexcept {
  switch (algorithm) {
    case JwsAlgorithm::RS256: return "RS256";
    case JwsAlgorithm::PS256: return "PS256";
    case JwsAlgorithm::ES256: return "ES256";
    case JwsAlgorithm::EdDSA: return "EdDSA";
    case JwsAlgorithm::HS256: return "HS256";
  }
  return "?";
}

VerificationKey hs256_key(std::string secret, std::string kid) {
  if (secret.size() < kMinHs256SecretBytes)
    throw std::invalid_argument(fmt::format("an HS256 secret needs at least {} bytes, this one has {}",
                                            kMinHs256SecretBytes, secret.size()));
  VerificationKey key;
  key.kid = std::move(kid);
  key.algorithm = JwsAlgorithm::HS256;
  key.secret = std::move(secret);
  return key;
}

namespace {

constexpr std::size_t kMaxRsaModulusBits = 16384;  // OpenSSL refuses to verify with more
constexpr std::size_t kP256CoordinateBytes = 32;
constexpr std::size_t kEd25519KeyBytes = 32;

struct BignumFree {
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
struct ParamBuilderFree {
  void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
};
struct ParamsFree {
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
struct PkeyContextFree {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using Bignum = std::unique_ptr<BIGNUM, BignumFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Refused keys and signatures leave errors in OpenSSL's queue for this thread: they are ours to
// drop, and only ours (an error queued before stays for whoever queued it).
struct OpenSslErrorScope {
  OpenSslErrorScope() { ERR_set_mark(); }
  ~OpenSslErrorScope() { ERR_pop_to_mark(); }
  OpenSslErrorScope(const OpenSslErrorScope&) = delete;
  OpenSslErrorScope& operator=(const OpenSslErrorScope&) = delete;
};

// Why one JWK is skipped; caught per key by parse_jwks.
struct Skip : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Text from a document, fit for one log line: printable ASCII without quotes or backslashes,
// at most `max` characters.
std::string printable(std::string_view text, std::size_t max = 64) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
  if (text.size() > max) out += "...";
  return out;
}

const boost::json::string* string_member(const boost::json::object& jwk, std::string_view name) {
  const boost::json::value* value = jwk.if_contains(name);
  if (value == nullptr) return nullptr;
  if (!value->is_string()) throw Skip(fmt::format("'{}' is not a string", name));
  return &value->get_string();
}

// A base64url member decoded; absent, empty or not base64url: skipped.
std::string bytes_member(const boost::json::object& jwk, std::string_view name) {
  const boost::json::string* text = string_member(jwk, name);
  if (text == nullptr) throw Skip(fmt::format("no '{}'", name));
  std::optional<std::string> bytes = support::base64url_decode(*text);
  if (!bytes || bytes->empty()) throw Skip(fmt::format("'{}' is not base64url", name));
  return std::move(*bytes);
}

// The JWK's "alg" must be one of `allowed` (the first is the default when there is none).
JwsAlgorithm algorithm_for(const boost::json::object& jwk, std::initializer_list<JwsAlgorithm> allowed,
                           std::string_view what) {
  const boost::json::string* alg = string_member(jwk, "alg");
  if (alg == nullptr) return *allowed.begin();
  std::optional<JwsAlgorithm> declared = parse_jws_algorithm(*alg);
  if (!declared) throw Skip(fmt::format("alg '{}' is not supported", printable(*alg)));
  for (JwsAlgorithm a : allowed)
    if (a == *declared) return a;
  throw Skip(fmt::format("alg {} does not fit {}", to_string(*declared), what));
}

const unsigned char* bytes_of(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::shared_ptr<EVP_PKEY> share(Pkey key) { return std::shared_ptr<EVP_PKEY>(key.release(), PkeyFree{}); }

// OpenSSL's own validation of a public key (RSA: odd modulus, sane exponent; EC: the point is
// on the curve and of the group's order).
void check_public_key(EVP_PKEY* key) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyContextFree> context(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!context || EVP_PKEY_public_check(context.get()) != 1) throw Skip("the key fails OpenSSL's public-key check");
}

Pkey key_from_params(const char* type, OSSL_PARAM_BLD* builder) {
  std::unique_ptr<OSSL_PARAM, ParamsFree> params(OSSL_PARAM_BLD_to_param(builder));
  std::unique_ptr<EVP_PKEY_CTX, PkeyContextFree> context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    throw Skip("OpenSSL does not accept the key");
  Pkey owned(key);
  check_public_key(owned.get());
  return owned;
}

VerificationKey rsa_key(const boost::json::object& jwk) {
  JwsAlgorithm algorithm = algorithm_for(jwk, {JwsAlgorithm::RS256, JwsAlgorithm::PS256}, "kty RSA");
  std::string n = bytes_member(jwk, "n"), e = bytes_member(jwk, "e");
  Bignum modulus(BN_bin2bn(bytes_of(n), static_cast<int>(n.size()), nullptr));
  Bignum exponent(BN_bin2bn(bytes_of(e), static_cast<int>(e.size()), nullptr));
  if (!modulus || !exponent) throw Skip("OpenSSL could not read n or e");
  auto bits = static_cast<std::size_t>(BN_num_bits(modulus.get()));
  if (bits < kMinRsaModulusBits)
    throw Skip(fmt::format("an RSA modulus of {} bits, at least {} needed", bits, kMinRsaModulusBits));
  if (bits > kMaxRsaModulusBits)
    throw Skip(fmt::format("an RSA modulus of {} bits, at most {} supported", bits, kMaxRsaModulusBits));
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuilderFree> builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1)
    throw Skip("OpenSSL could not build the key");
  VerificationKey key;
  key.algorithm = algorithm;
  key.public_key = share(key_from_params("RSA", builder.get()));
  return key;
}

VerificationKey ec_key(const boost::json::object& jwk) {
  const boost::json::string* crv = string_member(jwk, "crv");
  if (crv == nullptr) throw Skip("kty EC without 'crv'");
  if (*crv != "P-256") throw Skip(fmt::format("curve '{}' is not supported (only P-256)", printable(*crv)));
  JwsAlgorithm algorithm = algorithm_for(jwk, {JwsAlgorithm::ES256}, "crv P-256");
  std::string x = bytes_member(jwk, "x"), y = bytes_member(jwk, "y");
  if (x.size() != kP256CoordinateBytes || y.size() != kP256CoordinateBytes)
    throw Skip(fmt::format("P-256 coordinates must be {} bytes each", kP256CoordinateBytes));
  std::string point = "\x04" + x + y;  // SEC 1 uncompressed form
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuilderFree> builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    throw Skip("OpenSSL could not build the key");
  VerificationKey key;
  key.algorithm = algorithm;
  key.public_key = share(key_from_params("EC", builder.get()));
  return key;
}

VerificationKey okp_key(const boost::json::object& jwk) {
  const boost::json::string* crv = string_member(jwk, "crv");
  if (crv == nullptr) throw Skip("kty OKP without 'crv'");
  if (*crv != "Ed25519") throw Skip(fmt::format("curve '{}' is not supported (only Ed25519)", printable(*crv)));
  JwsAlgorithm algorithm = algorithm_for(jwk, {JwsAlgorithm::EdDSA}, "crv Ed25519");
  std::string x = bytes_member(jwk, "x");
  if (x.size() != kEd25519KeyBytes) throw Skip(fmt::format("an Ed25519 key must be {} bytes", kEd25519KeyBytes));
  Pkey raw(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(x), x.size()));
  if (!raw) throw Skip("OpenSSL does not accept the key");
  VerificationKey key;
  key.algorithm = algorithm;
  key.public_key = share(std::move(raw));
  return key;
}

VerificationKey oct_key(const boost::json::object& jwk, bool allow_hs256) {
  if (!allow_hs256) throw Skip("kty oct (HS256 shared secrets) is not allowed here");
  JwsAlgorithm algorithm = algorithm_for(jwk, {JwsAlgorithm::HS256}, "kty oct");
  std::string k = bytes_member(jwk, "k");
  if (k.size() < kMinHs256SecretBytes)
    throw Skip(fmt::format("an HS256 secret of {} bytes, at least {} needed", k.size(), kMinHs256SecretBytes));
  VerificationKey key;
  key.algorithm = algorithm;
  key.secret = std::move(k);
  return key;
}

VerificationKey read_key(const boost::json::object& jwk, bool allow_hs256) {
  if (const boost::json::string* use = string_member(jwk, "use"); use != nullptr && *use != "sig")
    throw Skip(fmt::format("use '{}' is not 'sig'", printable(*use)));
  if (const boost::json::value* ops = jwk.if_contains("key_ops")) {
    const boost::json::array* list = ops->if_array();
    bool verify = false;
    if (list != nullptr)
      for (const boost::json::value& op : *list) verify = verify || (op.is_string() && op.get_string() == "verify");
    if (!verify) throw Skip("key_ops does not include 'verify'");
  }
  const boost::json::string* kty = string_member(jwk, "kty");
  if (kty == nullptr) throw Skip("no 'kty'");
  if (*kty == "RSA") return rsa_key(jwk);
  if (*kty == "EC") return ec_key(jwk);
  if (*kty == "OKP") return okp_key(jwk);
  if (*kty == "oct") return oct_key(jwk, allow_hs256);
  throw Skip(fmt::format("kty '{}' is not supported", printable(*kty)));
}

}  // namespace

KeySet parse_jwks(const boost::json::value& jwks, bool allow_hs256) {
  OpenSslErrorScope errors;
  KeySet set;
  const boost::json::value* keys = jwks.is_object() ? jwks.get_object().if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    set.problems.push_back("not a JWKS: no 'keys' array");
    return set;
  }
  std::size_t index = 0;
  for (const boost::json::value& entry : keys->get_array()) {
    std::string where = fmt::format("key {}", index++);
    try {
      if (!entry.is_object()) throw Skip("not a JSON object");
      const boost::json::object& jwk = entry.get_object();
      std::string kid;
      if (const boost::json::string* text = string_member(jwk, "kid")) {
        kid = std::string(*text);
        where += fmt::format(" (kid '{}')", printable(kid));
      }
      VerificationKey key = read_key(jwk, allow_hs256);
      key.kid = std::move(kid);
      set.keys.push_back(std::move(key));
    } catch (const Skip& skip) {
      set.problems.push_back(fmt::format("{} skipped: {}", where, skip.what()));
    }
  }
  return set;
}

}  // namespace mcproxy::auth
