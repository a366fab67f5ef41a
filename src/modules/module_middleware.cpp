#include "modules/module_middleware.hpp"

#include "mcp/error.hpp"
#include "middleware/registry.hpp"
#include "support/redaction.hpp"
#include "transport/http_client.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::modules {

using boost::asio::awaitable;
using mcp::McpError;

ModuleMiddleware::ModuleMiddleware(std::shared_ptr<const ModuleMiddlewareConfig> config, std::string site)
    : config_(std::move(config)), site_(std::move(site)) {
  ModuleOptions options = config_->options;
  options.site = site_;
  host_ = std::make_shared<ModuleHost>(std::move(options));
}

json::object ModuleMiddleware::context_of(const middleware::RequestContext& ctx) const {
  json::object c;
  c["server"] = site_.empty() ? json::value(nullptr) : json::value(site_);
  if (ctx.session) {
    c["session"] = ctx.session->label();
    c["identity"] = ctx.session->identity().empty() ? json::value(nullptr) : json::value(ctx.session->identity());
    c["protocolVersion"] = ctx.session->protocol_version();
  } else {
    c["session"] = nullptr;  // the proxy's own request (a list refresh)
  }
  c["correlationId"] = ctx.correlation_id;
  if (!ctx.trace.empty()) c["traceId"] = ctx.trace.trace_id;
  return c;
}

void ModuleMiddleware::failed(std::string_view what, std::string_view why) const {
  const auto& name = config_->options.name;
  if (config_->fail_open) {
    spdlog::warn("[{}] {} failed ({}): let through unchanged (failure: open)", name, what, why);
    return;
  }
  spdlog::warn("[{}] {} failed ({}): refused (failure: closed)", name, what, why);
  throw McpError(kModuleFailed, fmt::format("Module '{}' could not check this request: {}", name, why),
                 json::object{{"module", name}});
}

namespace {

// The module's answer, or nullopt with `why` (it failed, timed out or is gone).
awaitable<std::optional<json::value>> ask(ModuleHost& host, std::string_view method, json::object params,
                                          std::string& why) {
  std::optional<json::value> answer;
  try {
    answer = co_await host.call(method, std::move(params));
  } catch (const std::exception& e) {
    why = e.what();
  }
  co_return answer;
}

std::string_view action_of(const json::object* answer) {
  auto* a = answer ? answer->if_contains("action") : nullptr;
  return a && a->is_string() ? std::string_view(a->get_string()) : std::string_view();
}

}  // namespace

awaitable<json::value> ModuleMiddleware::request(middleware::Call call, middleware::RequestContext& ctx) {
  auto host = host_;
  auto caps = co_await host->ready();
  if (!caps) {
    failed(call.name, host->last_error().empty() ? "it is not running" : host->last_error());
    co_return co_await next(std::move(call), ctx);
  }
  const std::string method = call.name;
  if (caps->wants_request(method)) {
    json::object params{{"method", method}, {"params", call.params}, {"context", context_of(ctx)}};
    std::string why;
    auto answer = co_await ask(*host, "module/request", std::move(params), why);
    auto* o = answer ? answer->if_object() : nullptr;
    std::string_view action = action_of(o);
    if (!o) {
      failed(method, why.empty() ? "no answer" : why);
    } else if (action == "continue") {
    } else if (action == "replace" && o->contains("params") && o->at("params").is_object()) {
      call.params = o->at("params").get_object();
    } else if (action == "respond" && o->contains("result")) {
      co_return o->at("result");
    } else if (action == "respond" && o->contains("error") && o->at("error").is_object()) {
      throw McpError::from_error_object(o->at("error").get_object());
    } else {
      failed(method, fmt::format("it answered {:.200}, which is not an action for a request", json::serialize(*answer)));
    }
  }
  if (!caps->wants_result(method)) co_return co_await next(std::move(call), ctx);
  json::object request_params = call.params;
  json::value result = co_await next(std::move(call), ctx);
  json::object params{{"method", method}, {"params", std::move(request_params)}, {"result", result},
                      {"context", context_of(ctx)}};
  std::string why;
  auto answer = co_await ask(*host, "module/result", std::move(params), why);
  auto* o = answer ? answer->if_object() : nullptr;
  std::string_view action = action_of(o);
  if (!o) {
    failed(method, why.empty() ? "no answer" : why);
  } else if (action == "replace" && o->contains("result") && o->at("result").is_object()) {
    co_return o->at("result");
  } else if (action != "continue") {
    failed(method, fmt::format("it answered {:.200}, which is not an action for a result", json::serialize(*answer)));
  }
  co_return result;
}

namespace {

std::optional<middleware::Maker> parse_module(const json::object& config, config::JsonReader& r, const std::string& path) {
  r.check_keys_strict(config, path,
                      {"command", "args", "env", "url", "headers", "name", "timeoutMs", "startTimeoutMs", "failure", "config"});
  std::size_t errors = r.errors().size();
  auto cfg = std::make_shared<ModuleMiddlewareConfig>();
  auto& o = cfg->options;
  if (auto* c = config.if_contains("command")) o.command = r.string(*c, config::child_path(path, "command")).value_or("");
  if (auto* u = config.if_contains("url")) {
    o.url = r.string(*u, config::child_path(path, "url")).value_or("");
    try {
      transport::HttpUrl::parse(o.url);
    } catch (const std::exception& e) {
      r.error(config::child_path(path, "url"), e.what());
    }
  }
  if (config.contains("command") == config.contains("url"))
    r.error(path, "expected either \"command\" (a local module: its program, e.g. \"python3\") or \"url\" (a remote "
                  "one); see docs/MODULES.md");
  if (auto* h = config.if_contains("headers"))
    if (auto* obj = r.object(*h, config::child_path(path, "headers")))
      for (auto& [k, v] : *obj)
        if (auto s = r.string(v, config::child_path(config::child_path(path, "headers"), k))) o.headers.emplace_back(k, *s);
  if (auto* a = config.if_contains("args"))
    if (auto list = r.string_array(*a, config::child_path(path, "args"))) o.args = std::move(*list);
  if (auto* e = config.if_contains("env"))
    if (auto* obj = r.object(*e, config::child_path(path, "env")))
      for (auto& [k, v] : *obj)
        if (auto s = r.string(v, config::child_path(config::child_path(path, "env"), k))) o.env.emplace_back(k, *s);
  o.name = fmt::format("module {}", o.url.empty() ? o.command : support::redact_url(o.url));
  if (auto* n = config.if_contains("name"))
    if (auto s = r.string(*n, config::child_path(path, "name"))) o.name = fmt::format("module {}", *s);
  if (auto* t = config.if_contains("timeoutMs"))
    if (auto n = r.integer(*t, config::child_path(path, "timeoutMs"), 1, 600'000)) o.timeout = std::chrono::milliseconds(*n);
  if (auto* t = config.if_contains("startTimeoutMs"))
    if (auto n = r.integer(*t, config::child_path(path, "startTimeoutMs"), 100, 600'000)) o.start_timeout = std::chrono::milliseconds(*n);
  if (auto* f = config.if_contains("failure")) {
    auto v = r.string(*f, config::child_path(path, "failure"));
    if (v == "open") cfg->fail_open = true;
    else if (v && *v != "closed")
      r.error(config::child_path(path, "failure"), fmt::format("expected \"closed\" or \"open\", found \"{}\"", *v));
  }
  if (auto* c = config.if_contains("config"))
    if (auto* obj = r.object(*c, config::child_path(path, "config"))) o.config = *obj;
  if (r.errors().size() != errors) return std::nullopt;
  return middleware::Maker([cfg](const middleware::Site& site) { return std::make_shared<ModuleMiddleware>(cfg, site.server); });
}

}  // namespace

}  // namespace mcproxy::modules

MCPROXY_REGISTER_MIDDLEWARE(module, {"module", ::mcproxy::middleware::Scope::any,
                                     "an external module (a program in any language, docs/MODULES.md) that sees "
                                     "and may change, answer or refuse the messages it asks for",
                                     &::mcproxy::modules::parse_module})
