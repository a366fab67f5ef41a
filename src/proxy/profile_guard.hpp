#pragma once
// The profile of a session, enforced (proxy middleware, placed by the proxy outside the
// configured ones): what the profile hides is absent from every list and refused on every
// path (call, get, read, subscribe, unsubscribe, complete) with the same error as an unknown
// name, so a hidden tool cannot even be probed for. Servers are selected by the server a name
// or URI belongs to in the catalogue; a URI that belongs to no one server (not listed, no
// template) is refused under a profile that selects servers. Tasks need nothing here: a task
// exists only if a visible tool created it, and tasks are private to their session.
//
// A session with no profile passes through untouched. The lists it answers depend on the
// session's profile only, which is part of the list-cache key: list_is_pure holds.

#include "proxy/access_policy.hpp"
#include "middleware/service.hpp"

#include <memory>

namespace mcproxy::proxy {

namespace json = boost::json;

class ProfileGuard final : public middleware::Middleware {
 public:
  explicit ProfileGuard(std::shared_ptr<const AccessPolicy> policy) : policy_(std::move(policy)) {}
  bool list_is_pure(mcp::ListKind) const override { return true; }

 protected:
  using Call = middleware::Call;
  using Ctx = middleware::RequestContext;
  boost::asio::awaitable<json::value> list_tools(Call call, Ctx& ctx) override;
  boost::asio::awaitable<json::value> call_tool(Call call, Ctx& ctx) override;
  boost::asio::awaitable<json::value> list_prompts(Call call, Ctx& ctx) override;
  boost::asio::awaitable<json::value> get_prompt(Call call, Ctx& ctx) override;
  boost::asio::awaitable<json::value> list_resources(Call call, Ctx& ctx) override;
  boost::asio::awaitable<json::value> list_resource_templates(Call call, Ctx& ctx) override;
  boost::asio::awaitable<json::value> read_resource(Call call, Ctx& ctx) override;
  boost::asio::awaitable<json::value> subscribe_resource(Call call, Ctx& ctx) override;
  boost::asio::awaitable<json::value> unsubscribe_resource(Call call, Ctx& ctx) override;
  boost::asio::awaitable<json::value> complete(Call call, Ctx& ctx) override;

 private:
  const Profile* profile_of(const Ctx& ctx) const;
  bool visible(const Profile& p, middleware::Session& s, middleware::NameKind kind, std::string_view name) const;
  boost::asio::awaitable<json::value> filtered_list(Call call, Ctx& ctx, middleware::NameKind kind,
                                                    std::string_view key, std::string_view field);
  boost::asio::awaitable<json::value> by_uri(Call call, Ctx& ctx);

  std::shared_ptr<const AccessPolicy> policy_;
};

}  // namespace mcproxy::proxy
