#pragma once
// The `module` middleware (client or proxy level): hands the messages a module asked for to it
// (docs/MODULES.md) and applies its answer. For a request of a method in the module's
// `requests`: `module/request` → continue, replace (new params), or respond (a result or an
// error, the request goes no further). For a result of a method in its `results`:
// `module/result` → continue or replace (a new result of the same method). A module that is
// down, answers an error or nothing within `timeoutMs` is a failure: `"failure": "closed"`
// (the default) refuses the request with -32006 naming the module; `"open"` lets the message
// through unchanged (logged).
//
// Config:
//   "command": "python3", "args": [...], "env": {...}      a local module's process (stdio), or
//   "url": "https://...", "headers": {...}                  a remote module's endpoint
//   "name": "pii"                                           for logs and errors
//   "timeoutMs": 2000, "startTimeoutMs": 10000
//   "failure": "closed" | "open"
//   "config": {...}                                          handed to the module on initialize

#include "middleware/service.hpp"
#include "modules/module_host.hpp"

#include <memory>

namespace mcproxy::modules {

namespace json = boost::json;

inline constexpr int kModuleFailed = -32006;

struct ModuleMiddlewareConfig {
  ModuleOptions options;
  bool fail_open = false;
};

class ModuleMiddleware final : public middleware::Middleware {
 public:
  ModuleMiddleware(std::shared_ptr<const ModuleMiddlewareConfig> config, std::string site);
  boost::asio::awaitable<json::value> request(middleware::Call call, middleware::RequestContext& ctx) override;

 private:
  json::object context_of(const middleware::RequestContext& ctx) const;
  // A failure of the module (it is down, slow, or answered nonsense) under the failure policy:
  // returns normally to let the message through, or throws.
  void failed(std::string_view what, std::string_view why) const;

  std::shared_ptr<const ModuleMiddlewareConfig> config_;
  std::string site_;
  std::shared_ptr<ModuleHost> host_;
};

}  // namespace mcproxy::modules
