#include "proxy/authenticator.hpp"

#include "support/digest.hpp"
#include "transport/http_client.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mcproxy::proxy {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using asio::awaitable;

namespace {

constexpr std::size_t kMaxJwksBytes = 1u << 20;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The roles or scopes of a claim: an array of strings, or one space-separated string.
std::vector<std::string> words_of(const json::value* v) {
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_array()) {
    for (auto& item : v->get_array())
      if (item.is_string()) out.emplace_back(item.get_string());
  } else if (v->is_string()) {
    std::istringstream in{std::string(v->get_string())};
    for (std::string w; in >> w;) out.push_back(w);
  }
  return out;
}

std::shared_ptr<const auth::KeySet> key_set_from(const json::value& jwks, const config::JwtConfig& jwt,
                                                 std::string_view where) {
  auto keys = std::make_shared<auth::KeySet>(auth::parse_jwks(jwks, jwt.allow_hs256));
  for (auto& p : keys->problems) spdlog::warn("{}: key skipped: {}", where, p);
  if (!jwt.hs256_secret.empty()) keys->keys.push_back(auth::hs256_key(jwt.hs256_secret));
  return keys;
}

}  // namespace

Authenticator::Authenticator(const config::Config& config) : auth_(config.auth) {
  for (auto& k : auth_.api_keys)
    if (k.sha256.empty()) k.sha256 = support::sha256_hex(k.key);
  auto empty = std::make_shared<auth::KeySet>();
  if (auth_.jwt) {
    auto& jwt = *auth_.jwt;
    if (!jwt.jwks_file.empty()) {
      std::ifstream in(jwt.jwks_file, std::ios::binary);
      if (!in) throw std::runtime_error(fmt::format("auth.jwt.jwksFile: cannot read {}", jwt.jwks_file));
      std::ostringstream text;
      text << in.rdbuf();
      json::value doc;
      try {
        doc = json::parse(text.str());
      } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("auth.jwt.jwksFile: {} is not JSON ({})", jwt.jwks_file, e.what()));
      }
      auto keys = key_set_from(doc, jwt, jwt.jwks_file);
      if (keys->keys.empty())
        throw std::runtime_error(fmt::format("auth.jwt.jwksFile: {} holds no usable signing key", jwt.jwks_file));
      keys_.store(keys);
      return;
    }
    if (!jwt.hs256_secret.empty()) {
      auto keys = std::make_shared<auth::KeySet>();
      keys->keys.push_back(auth::hs256_key(jwt.hs256_secret));
      keys_.store(keys);
      return;
    }
  }
  keys_.store(empty);
}

awaitable<void> Authenticator::start() {
  if (auth_.jwt && !auth_.jwt->jwks_url.empty()) co_await refresh_jwks(true);
}

awaitable<bool> Authenticator::refresh_jwks(bool force) {
  if (!auth_.jwt || auth_.jwt->jwks_url.empty()) co_return false;
  auto& jwt = *auth_.jwt;
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(refresh_mutex_);
    bool too_soon = last_fetch_ != std::chrono::steady_clock::time_point{} && now - last_fetch_ < jwt.jwks_min_refresh;
    if (too_soon && !force) co_return false;
    last_fetch_ = now;  // other callers skip while this fetch runs
  }
  try {
    auto url = transport::HttpUrl::parse(jwt.jwks_url);
    transport::HttpClientOptions options;
    options.name = "jwks";
    options.ca_file = jwt.jwks_ca_file;
    options.connect_timeout = std::chrono::seconds(5);
    auto executor = co_await asio::this_coro::executor;
    transport::HttpClient client(executor, url, options);
    http::request<http::string_body> req(http::verb::get, url.target, 11);
    req.set(http::field::accept, "application/json");
    auto response = co_await client.fetch(std::move(req), std::chrono::seconds(10), kMaxJwksBytes);
    client.stop();
    if (response.status != 200)
      throw std::runtime_error(fmt::format("HTTP {}", response.status));
    auto keys = key_set_from(json::parse(response.body), jwt, jwt.jwks_url);
    if (keys->keys.empty()) throw std::runtime_error("no usable signing key in it");
    keys_.store(keys);
    {
      std::lock_guard lock(refresh_mutex_);
      fetched_ok_ = std::chrono::steady_clock::now();
    }
    spdlog::info("JWKS fetched from {}: {} key(s)", jwt.jwks_url, keys->keys.size());
    co_return true;
  } catch (const std::exception& e) {
    spdlog::warn("JWKS from {} could not be fetched: {} (tokens are checked against the keys held)", jwt.jwks_url,
                 e.what());
  }
  co_return false;
}

bool Authenticator::jwks_stale() {
  if (!auth_.jwt || auth_.jwt->jwks_url.empty()) return false;
  std::lock_guard lock(refresh_mutex_);
  return fetched_ok_ == std::chrono::steady_clock::time_point{} ||
         std::chrono::steady_clock::now() - fetched_ok_ > auth_.jwt->jwks_max_age;
}

std::optional<Identity> Authenticator::by_api_key(std::string_view token) const {
  std::string digest = support::sha256_hex(token);
  const config::ApiKeyConfig* match = nullptr;
  // Every key is compared, so the time taken does not say which one came close.
  for (auto& k : auth_.api_keys)
    if (support::constant_time_equal(digest, k.sha256) && !match)
      match = &k;
  if (!match) return std::nullopt;
  Identity id;
  id.name = match->name;
  id.method = "api-key";
  id.profile = match->profile;
  id.profiles = match->profiles;
  id.roles = match->roles;
  return id;
}

Identity Authenticator::from_claims(const json::object& claims) const {
  auto& jwt = *auth_.jwt;
  Identity id;
  id.method = "jwt";
  if (auto* v = claims.if_contains(jwt.identity_claim); v && v->is_string()) id.name = v->get_string();
  id.roles = words_of(claims.if_contains(jwt.roles_claim));
  if (!jwt.profile_claim.empty())
    if (auto* v = claims.if_contains(jwt.profile_claim); v && v->is_string()) id.profile = v->get_string();
  auto scopes = words_of(claims.if_contains("scope"));
  for (auto& s : words_of(claims.if_contains("scp"))) scopes.push_back(s);
  for (auto& [scope, profile] : jwt.scope_profiles) {
    if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) continue;
    if (id.profile.empty()) id.profile = profile;
    id.profiles.push_back(profile);
  }
  if (id.profile.empty()) id.profile = auth_.default_profile;
  if (!id.profile.empty() && std::find(id.profiles.begin(), id.profiles.end(), id.profile) == id.profiles.end())
    id.profiles.insert(id.profiles.begin(), id.profile);
  return id;
}

awaitable<AuthOutcome> Authenticator::authenticate(std::string_view authorization, std::string audience,
                                                   bool main_endpoint) {
  AuthOutcome out;
  authorization = trim(authorization);
  if (authorization.empty()) {
    out.description = "this endpoint needs a bearer token (Authorization: Bearer ...)";
    co_return out;
  }
  auto space = authorization.find(' ');
  std::string scheme(authorization.substr(0, space));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view token = space == std::string_view::npos ? std::string_view() : trim(authorization.substr(space + 1));
  if (scheme != "bearer" || token.empty()) {
    out.error = "invalid_request";
    out.description = "expected Authorization: Bearer <token>";
    co_return out;
  }
  if (auto id = by_api_key(token)) {
    out.identity = std::move(*id);
    co_return out;
  }
  // Three dot-separated parts: a JWT. Anything else was meant as an API key.
  bool jwt_shaped = std::count(token.begin(), token.end(), '.') == 2;
  if (!auth_.jwt || !jwt_shaped) {
    out.error = "invalid_token";
    out.description = "unknown API key";
    co_return out;
  }
  auth::JwtPolicy policy;
  policy.issuers = auth_.jwt->issuers;
  policy.audiences = {audience};
  if (main_endpoint)
    for (auto& a : auth_.jwt->audiences) policy.audiences.push_back(a);
  policy.leeway = auth_.jwt->leeway;
  std::string token_copy(token);  // the view may not survive the awaits below
  if (jwks_stale()) co_await refresh_jwks(false);  // jwksMaxAgeSeconds: keys removed upstream stop working
  auto result = auth::verify_jwt(token_copy, *keys(), policy, std::chrono::system_clock::now());
  if (result.failure == auth::JwtFailure::unknown_key) {
    bool refreshed = co_await refresh_jwks(false);
    if (refreshed) result = auth::verify_jwt(token_copy, *keys(), policy, std::chrono::system_clock::now());
  }
  if (!result.ok()) {
    out.error = "invalid_token";
    out.description = fmt::format("{}: {}", auth::to_string(result.failure), result.detail);
    co_return out;
  }
  Identity id = from_claims(result.claims);
  if (id.name.empty()) {
    out.error = "invalid_token";
    out.description = fmt::format("the token has no \"{}\" claim (auth.jwt.identityClaim)", auth_.jwt->identity_claim);
    co_return out;
  }
  out.identity = std::move(id);
  co_return out;
}

}  // namespace mcproxy::proxy
