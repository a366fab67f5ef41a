#pragma once
// Rate limits and the concurrency cap (proxy middleware, inside the profile guard): every call
// (tools/call, prompts/get, resources/read, resources/subscribe, completion/complete) takes a
// token from each bucket that applies: global, per identity, per profile (shared by everyone
// using it), and per identity and tool (rateLimits.perTool, first matching pattern), all or
// none (auth/rate_limiter). Lists, ping and the handshake are not counted. Over a limit the
// call is refused at once with -32004 and data {retryAfterMs, limit}; over the concurrency cap
// with -32005. Nothing is queued. An anonymous caller (no auth) is limited per session.

#include "auth/rate_limiter.hpp"
#include "middleware/service.hpp"
#include "proxy/access_policy.hpp"

#include <memory>

namespace mcproxy::proxy {

namespace json = boost::json;

inline constexpr int kRateLimited = -32004;
inline constexpr int kTooManyConcurrentCalls = -32005;

class RateGuard final : public middleware::Middleware {
 public:
  // `limiter` outlives reloads: buckets keep their state when the config is reloaded.
  RateGuard(std::shared_ptr<const AccessPolicy> policy, std::shared_ptr<auth::RateLimiter> limiter)
      : policy_(std::move(policy)), limiter_(std::move(limiter)) {}
  boost::asio::awaitable<json::value> request(middleware::Call call, middleware::RequestContext& ctx) override;
  bool list_is_pure(mcp::ListKind) const override { return true; }  // lists pass untouched

 private:
  std::shared_ptr<const AccessPolicy> policy_;
  std::shared_ptr<auth::RateLimiter> limiter_;
};

}  // namespace mcproxy::proxy
