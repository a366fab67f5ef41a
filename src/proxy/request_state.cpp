#include "proxy/request_state.hpp"

#include "support/digest.hpp"

#include <boost/json.hpp>

namespace mcproxy::proxy {

namespace json = boost::json;

namespace {
constexpr std::string_view kPrefix = "mcpx1.";

std::string string_claim(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}
}  // namespace

RequestStateSigner::RequestStateSigner(std::string key)
    : key_(key.empty() ? support::random_bytes(32) : std::move(key)) {}

bool RequestStateSigner::ours(std::string_view state) noexcept { return state.starts_with(kPrefix); }

std::string RequestStateSigner::identity_digest(std::string_view identity) {
  return support::sha256_hex(identity).substr(0, 16);
}

std::string RequestStateSigner::mint(const RequestStateClaims& claims) const {
  json::object o{{"s", claims.suspension}, {"i", claims.instance}, {"x", claims.expires_ms},
                 {"u", claims.identity},   {"m", claims.method},   {"n", claims.name}};
  std::string signed_part = std::string(kPrefix) + support::base64url_encode(json::serialize(o));
  return signed_part + "." + support::base64url_encode(support::hmac_sha256(key_, signed_part));
}

std::variant<RequestStateClaims, std::string> RequestStateSigner::verify(
    std::string_view state, std::chrono::system_clock::time_point now) const {
  if (state.size() > kMaxBytes) return std::string("the requestState is longer than any MCProxy mints");
  if (!ours(state)) return std::string("the requestState is not one MCProxy minted");
  auto dot = state.rfind('.');
  if (dot < kPrefix.size()) return std::string("the requestState is malformed");
  auto signed_part = state.substr(0, dot);
  auto mac = support::base64url_decode(state.substr(dot + 1));
  if (!mac || !support::constant_time_equal(*mac, support::hmac_sha256(key_, signed_part)))
    return std::string("the requestState was altered or signed with another key");
  auto payload = support::base64url_decode(signed_part.substr(kPrefix.size()));
  if (!payload) return std::string("the requestState is malformed");
  boost::system::error_code ec;
  auto doc = json::parse(*payload, ec);
  if (ec || !doc.is_object()) return std::string("the requestState is malformed");
  auto& o = doc.get_object();
  RequestStateClaims claims;
  claims.suspension = string_claim(o, "s");
  claims.instance = string_claim(o, "i");
  claims.identity = string_claim(o, "u");
  claims.method = string_claim(o, "m");
  claims.name = string_claim(o, "n");
  if (auto* x = o.if_contains("x"); x && x->is_int64()) claims.expires_ms = x->get_int64();
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  if (claims.expires_ms <= now_ms) return std::string("the requestState has expired");
  return claims;
}

}  // namespace mcproxy::proxy
