#pragma once
// Test helpers for middleware: a scripted inner service that answers canned results per method
// and records what reached it; building chains from the same JSON a user writes in
// httpServer.middleware (so every test also goes through compile_plan and the factories); and
// small accessors for results and errors.

#include "config/config.hpp"
#include "mcp/error.hpp"
#include "middleware/plan.hpp"
#include "middleware/registry.hpp"
#include "middleware/service.hpp"
#include "support_asio.hpp"

#include <boost/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcproxy::test {

namespace json = boost::json;
using middleware::Service;
using proxy::RequestContext;

// The innermost service of a chain under test: canned results (or errors) per method, and a
// record of every request and notification it received.
class ScriptedService : public Service {
 public:
  struct Call {
    std::string method;
    json::object params;
  };
  using Handler = std::function<json::value(const json::object& params)>;

  ScriptedService& on(std::string method, json::value result) {
    results_[std::move(method)] = std::move(result);
    return *this;
  }
  ScriptedService& on(std::string method, Handler handler) {
    handlers_[std::move(method)] = std::move(handler);
    return *this;
  }
  ScriptedService& fail(std::string method, mcp::McpError error) {
    errors_.insert_or_assign(std::move(method), std::move(error));
    return *this;
  }

  boost::asio::awaitable<json::value> request(std::string method, json::object params,
                                              RequestContext* ctx) override {
    calls.push_back(Call{method, params});
    contexts.push_back(ctx);
    if (auto it = errors_.find(method); it != errors_.end()) throw it->second;
    if (auto it = handlers_.find(method); it != handlers_.end()) co_return it->second(params);
    if (auto it = results_.find(method); it != results_.end()) co_return it->second;  // a copy
    throw mcp::McpError(mcp::error_code::kMethodNotFound, "Method not found: " + method);
  }
  void notify(std::string method, json::object params) override {
    notifications.push_back(Call{std::move(method), std::move(params)});
  }

  std::size_t count(std::string_view method) const {
    std::size_t n = 0;
    for (auto& c : calls) n += c.method == method;
    return n;
  }

  std::vector<Call> calls;
  std::vector<RequestContext*> contexts;
  std::vector<Call> notifications;

 private:
  std::map<std::string, json::value> results_;
  std::map<std::string, Handler> handlers_;
  std::map<std::string, mcp::McpError> errors_;
};

// --- configs and chains, through parse_config + compile_plan ----------------------------------

// Where a single client middleware's config sits in the documents below.
inline constexpr std::string_view kClientConfigPath = "httpServer.middleware.client.default[0].config";
inline constexpr std::string_view kProxyConfigPath = "httpServer.middleware.proxy[0].config";

// A config with two servers ("srv", "other") and `middleware_json` as httpServer.middleware.
inline config::Config config_with_middleware(std::string_view middleware_json) {
  std::string doc = R"({"mcpServers": {"srv": {"command": "srv-bin"}, "other": {"command": "other-bin"}},
                        "httpServer": {"middleware": )" +
                    std::string(middleware_json) + "}}";
  return config::parse_config(json::parse(doc));
}

inline middleware::Plan plan_for(std::string_view middleware_json) {
  return middleware::compile_plan(config_with_middleware(middleware_json));
}

// The problems parse_config or compile_plan report; empty when the config is accepted.
inline std::vector<std::string> plan_problems(std::string_view middleware_json) {
  try {
    (void)plan_for(middleware_json);
  } catch (const config::ConfigError& e) {
    return e.problems();
  }
  return {};
}

inline std::string spec(std::string_view type, std::string_view config_json) {
  return R"({"type": ")" + std::string(type) + R"(", "config": )" + std::string(config_json) + "}";
}
inline std::string client_list(std::string_view type, std::string_view config_json) {
  return R"({"client": {"default": [)" + spec(type, config_json) + "]}}";
}
inline std::string proxy_list(std::string_view type, std::string_view config_json) {
  return R"({"proxy": [)" + spec(type, config_json) + "]}";
}

inline std::vector<std::string> client_problems(std::string_view type, std::string_view config_json) {
  return plan_problems(client_list(type, config_json));
}
inline std::vector<std::string> proxy_problems(std::string_view type, std::string_view config_json) {
  return plan_problems(proxy_list(type, config_json));
}

// One client middleware of `type` in front of `inner`, as built for backend `server`.
inline std::shared_ptr<Service> client_chain(std::string_view type, std::string_view config_json,
                                             std::shared_ptr<Service> inner, std::string server = "srv",
                                             std::vector<std::shared_ptr<middleware::Middleware>>* layers = nullptr) {
  auto plan = plan_for(client_list(type, config_json));
  return middleware::build_chain(plan.client_for(server), middleware::Site{std::move(server)},
                                 std::move(inner), layers);
}

inline std::shared_ptr<Service> proxy_chain(std::string_view type, std::string_view config_json,
                                            std::shared_ptr<Service> inner) {
  auto plan = plan_for(proxy_list(type, config_json));
  return middleware::build_chain(plan.proxy, middleware::Site{}, std::move(inner));
}

// --- requests and results ---------------------------------------------------------------------

inline json::value request(Service& service, std::string method, json::object params = {},
                           RequestContext* ctx = nullptr) {
  return run(service.request(std::move(method), std::move(params), ctx));
}

inline json::value call_tool(Service& service, std::string name, json::object arguments = {},
                             RequestContext* ctx = nullptr) {
  return request(service, "tools/call", json::object{{"name", name}, {"arguments", std::move(arguments)}}, ctx);
}

// The McpError `f` throws, if any.
template <typename F>
std::optional<mcp::McpError> error_of(F&& f) {
  try {
    f();
  } catch (const mcp::McpError& e) {
    return e;
  }
  return std::nullopt;
}

// result[key][*][field], joined with ",": easy to compare and readable when a check fails.
inline std::string names(const json::value& result, std::string_view key = "tools",
                         std::string_view field = "name") {
  std::string out;
  if (!result.is_object()) return "<not an object>";
  auto* items = result.get_object().if_contains(key);
  if (!items || !items->is_array()) return "<no " + std::string(key) + ">";
  for (auto& item : items->get_array()) {
    if (!out.empty()) out += ",";
    auto* v = item.is_object() ? item.get_object().if_contains(field) : nullptr;
    out += v && v->is_string() ? std::string(v->get_string()) : "?";
  }
  return out;
}

inline std::string join(const std::vector<std::string>& items, std::string_view sep = "\n") {
  std::string out;
  for (auto& i : items) out += (out.empty() ? "" : std::string(sep)) + i;
  return out;
}

inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The first problem whose text starts with `path` (a JSON path), or "" when none does.
inline std::string problem_at(const std::vector<std::string>& problems, std::string_view path) {
  for (auto& p : problems)
    if (std::string_view(p).starts_with(std::string(path) + ":")) return p;
  return {};
}

inline json::object tool(std::string name, std::string description = "", json::object properties = {}) {
  return json::object{{"name", std::move(name)},
                      {"description", std::move(description)},
                      {"inputSchema", json::object{{"type", "object"}, {"properties", std::move(properties)}}}};
}

}  // namespace mcproxy::test
