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
using middleware::RequestContext;
using middleware::Service;

// A client session for middleware under test: the narrow interface of middleware/context.hpp,
// with what it was asked to send recorded and the catalogue's server per name given by the test.
class TestSession : public middleware::Session {
 public:
  explicit TestSession(std::string session_id = "session-1") : id_(std::move(session_id)) {}

  const std::string& id() const noexcept override { return id_; }
  std::string label() const override { return id_; }
  const std::string& identity() const noexcept override { return identity_; }
  const std::string& profile() const noexcept override { return profile_; }
  const std::string& protocol_version() const noexcept override { return version_; }
  bool closed() const noexcept override { return closed_; }
  const std::string& languages() const noexcept override { return languages_; }
  void notify(std::string_view method, json::object params) override {
    sent.push_back({std::string(method), std::move(params)});
  }
  std::string server_of(middleware::NameKind kind, std::string_view name) const override {
    auto& names = kind == middleware::NameKind::tool ? tool_servers : prompt_servers;
    auto it = names.find(std::string(name));
    return it == names.end() ? std::string() : it->second;
  }

  struct Sent {
    std::string method;
    json::object params;
  };
  std::vector<Sent> sent;
  std::map<std::string, std::string> tool_servers, prompt_servers;
  bool closed_ = false;

 private:
  std::string id_, identity_, profile_, version_ = "2025-11-25", languages_;
};

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

  boost::asio::awaitable<json::value> request(middleware::Call call, RequestContext& ctx) override {
    std::string method = call.name;
    json::object params = std::move(call.params);
    calls.push_back(Call{method, params});
    contexts.push_back(&ctx);
    if (auto it = errors_.find(method); it != errors_.end()) throw it->second;
    if (auto it = handlers_.find(method); it != handlers_.end()) co_return it->second(params);
    if (auto it = results_.find(method); it != results_.end()) co_return it->second;  // a copy
    throw mcp::McpError(mcp::error_code::kMethodNotFound, "Method not found: " + method);
  }
  void notify(middleware::Call call) override {
    notifications.push_back(Call{std::move(call.name), std::move(call.params)});
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
inline std::shared_ptr<middleware::Pipeline> client_pipeline(std::string_view type, std::string_view config_json,
                                                             std::shared_ptr<Service> inner,
                                                             std::string server = "srv") {
  auto plan = plan_for(client_list(type, config_json));
  return std::make_shared<middleware::Pipeline>(plan.client_for(server), middleware::Site{std::move(server)},
                                                std::move(inner));
}

inline std::shared_ptr<middleware::Pipeline> proxy_pipeline(std::string_view type, std::string_view config_json,
                                                            std::shared_ptr<Service> inner) {
  auto plan = plan_for(proxy_list(type, config_json));
  return std::make_shared<middleware::Pipeline>(plan.proxy, middleware::Site{}, std::move(inner));
}

// The entry of a pipeline as a Service that keeps the pipeline alive.
class PipelineEntry : public Service {
 public:
  explicit PipelineEntry(std::shared_ptr<middleware::Pipeline> pipeline) : pipeline_(std::move(pipeline)) {}
  boost::asio::awaitable<json::value> request(middleware::Call call, RequestContext& ctx) override {
    return pipeline_->entry().request(std::move(call), ctx);
  }
  void notify(middleware::Call call) override { pipeline_->entry().notify(std::move(call)); }
  middleware::Pipeline& pipeline() const { return *pipeline_; }

 private:
  std::shared_ptr<middleware::Pipeline> pipeline_;
};

inline std::shared_ptr<PipelineEntry> client_chain(std::string_view type, std::string_view config_json,
                                                   std::shared_ptr<Service> inner, std::string server = "srv") {
  return std::make_shared<PipelineEntry>(client_pipeline(type, config_json, std::move(inner), std::move(server)));
}

inline std::shared_ptr<PipelineEntry> proxy_chain(std::string_view type, std::string_view config_json,
                                                  std::shared_ptr<Service> inner) {
  return std::make_shared<PipelineEntry>(proxy_pipeline(type, config_json, std::move(inner)));
}

// --- requests and results ---------------------------------------------------------------------

// A request through `service`; without `ctx`, as the proxy's own request (no session).
inline json::value request(Service& service, std::string method, json::object params = {},
                           RequestContext* ctx = nullptr) {
  RequestContext own;
  return run(service.request(middleware::Call(std::move(method), std::move(params)), ctx ? *ctx : own));
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
