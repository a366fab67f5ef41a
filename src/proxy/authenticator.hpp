#pragma once
// Checks the bearer credential of a request at the HTTP edge (on the connection's strand, so
// several threads call it at once): a static API key (compared by SHA-256 digest, in constant
// time, against every configured key) or a JWT verified by auth/jwt against the keys of a JWKS
// file or URL. The JWKS of a URL is fetched at start, refreshed after jwksMaxAgeSeconds, and
// refreshed early when a token names a kid it does not hold (key rotation), at most once per
// jwksMinRefreshSeconds so that tokens with random kids cannot make the proxy hammer the
// identity provider. The key set is an immutable snapshot swapped atomically.
//
// The client's token is never forwarded: backends get the proxy's own credentials only.

#include "auth/jwt.hpp"
#include "config/config.hpp"
#include "proxy/identity.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace mcproxy::proxy {

struct AuthOutcome {
  std::optional<Identity> identity;
  // RFC 6750 error when refused: "" (no credential at all), "invalid_request", "invalid_token".
  std::string error;
  std::string description;  // safe to show: never the token
};

class Authenticator {
 public:
  // Reads the JWKS file (throws std::runtime_error naming it when it cannot be used).
  explicit Authenticator(const config::Config& config);

  bool enabled() const noexcept { return auth_.enabled; }
  // The first fetch of a JWKS URL; a failure is logged and retried on the first token.
  boost::asio::awaitable<void> start();

  // `authorization`: the Authorization header; `audience`: the resource URL of the endpoint
  // the request is for (a JWT's aud must name it, or one of jwt.audience on the main one).
  boost::asio::awaitable<AuthOutcome> authenticate(std::string_view authorization, std::string audience,
                                                   bool main_endpoint);

 private:
  std::optional<Identity> by_api_key(std::string_view token) const;
  Identity from_claims(const boost::json::object& claims) const;
  // Fetches the JWKS URL now (if allowed by the minimum interval, unless `force`); true when
  // a new key set was installed.
  boost::asio::awaitable<bool> refresh_jwks(bool force);
  // A JWKS URL whose last good fetch is older than jwksMaxAgeSeconds (or that never succeeded).
  bool jwks_stale();
  std::shared_ptr<const auth::KeySet> keys() const { return keys_.load(); }

  config::AuthConfig auth_;
  std::atomic<std::shared_ptr<const auth::KeySet>> keys_;
  std::mutex refresh_mutex_;  // guards the two times below
  std::chrono::steady_clock::time_point last_fetch_{};
  std::chrono::steady_clock::time_point fetched_ok_{};
};

}  // namespace mcproxy::proxy
