#include "proxy/rate_guard.hpp"

#include "mcp/error.hpp"
#include "proxy/request_context.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

namespace mcproxy::proxy {

using boost::asio::awaitable;

namespace {

bool counted(mcp::Method m) {
  switch (m) {
    case mcp::Method::tools_call:
    case mcp::Method::prompts_get:
    case mcp::Method::resources_read:
    case mcp::Method::resources_subscribe:
    case mcp::Method::completion_complete: return true;
    default: return false;
  }
}

auth::RateSpec spec_of(const config::RateLimit& l) { return auth::RateSpec{l.rate, l.per, l.burst}; }

}  // namespace

awaitable<json::value> RateGuard::request(middleware::Call call, middleware::RequestContext& ctx) {
  if (!counted(call.method) || !ctx.session) co_return co_await next(std::move(call), ctx);
  auto& session = *ctx.session;
  std::string who = session.identity().empty() ? "session:" + session.id() : "identity:" + session.identity();
  std::vector<auth::RateLimiter::Take> takes;
  if (policy_->global) takes.push_back({"global", spec_of(*policy_->global)});
  if (policy_->per_identity) takes.push_back({who, spec_of(*policy_->per_identity)});
  if (auto* p = policy_->profile(session.profile()); p && p->rate_limit)
    takes.push_back({"profile:" + p->name, spec_of(*p->rate_limit)});
  if (call.method == mcp::Method::tools_call) {
    auto* n = call.params.if_contains("name");
    std::string_view tool = n && n->is_string() ? std::string_view(n->get_string()) : std::string_view();
    for (auto& [pattern, limit] : policy_->per_tool) {
      if (!pattern.matches(tool)) continue;
      takes.push_back({fmt::format("tool:{}:{}", who, tool), spec_of(limit)});
      break;
    }
  }
  auto refuse = [&](int code, std::string message, std::int64_t retry_ms, std::string_view limit) {
    if (auto* request = proxy_request(ctx)) request->refused_as = "rate-limited";
    return mcp::McpError(code, std::move(message), json::object{{"retryAfterMs", retry_ms}, {"limit", limit}});
  };
  if (!takes.empty()) {
    auto refusal = limiter_->try_take(takes);
    if (refusal) {
      std::string limit = refusal->key.substr(0, refusal->key.find(':'));
      if (limit == "session") limit = "identity";
      throw refuse(kRateLimited,
                   fmt::format("Rate limit exceeded ({} limit): retry in {} ms", limit, refusal->retry_after.count()),
                   refusal->retry_after.count(), limit);
    }
  }
  std::size_t cap = policy_->max_concurrent_per_identity;
  if (cap == 0) co_return co_await next(std::move(call), ctx);
  if (!limiter_->enter(who, cap))
    throw refuse(kTooManyConcurrentCalls,
                 fmt::format("Too many concurrent calls ({} at most per identity, rateLimits.maxConcurrentPerIdentity): "
                             "retry when one has finished",
                             cap),
                 100, "concurrency");
  struct Leave {
    auth::RateLimiter& limiter;
    std::string key;
    ~Leave() { limiter.leave(key); }
  } leave{*limiter_, who};
  co_return co_await next(std::move(call), ctx);
}

}  // namespace mcproxy::proxy
