#pragma once
// The audit log's view of the proxy chain (proxy middleware, outermost): one line per call
// that acts on something (tools/call, prompts/get, resources/read, (un)subscribe,
// completion/complete, tasks/get|result|cancel, logging/setLevel): who (identity, profile,
// session), what (method, tool / prompt / URI), a SHA-256 of the arguments in RFC 8785
// canonical form (so equal arguments hash alike whatever their key order), the outcome (ok,
// error, denied, rate-limited, cancelled) and how long it took. Raw arguments are written only
// with audit.includeArguments. Lists are not audited (they act on nothing).

#include "auth/audit_log.hpp"
#include "middleware/service.hpp"

#include <memory>

namespace mcproxy::proxy {

namespace json = boost::json;

class AuditTrail final : public middleware::Middleware {
 public:
  AuditTrail(std::shared_ptr<auth::AuditLog> log, bool include_arguments)
      : log_(std::move(log)), include_arguments_(include_arguments) {}
  boost::asio::awaitable<json::value> request(middleware::Call call, middleware::RequestContext& ctx) override;
  bool list_is_pure(mcp::ListKind) const override { return true; }

 private:
  std::shared_ptr<auth::AuditLog> log_;
  bool include_arguments_;
};

}  // namespace mcproxy::proxy
