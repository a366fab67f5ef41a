#include "proxy/mcp_server.hpp"

#include "mcp/protocol.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
using asio::awaitable;
using mcp::McpError;
namespace ec = mcp::error_code;

json::value McpServer::initialize(DownstreamSession& session, const json::object& params) {
  std::string_view requested;
  if (auto* v = params.if_contains("protocolVersion"); v && v->is_string()) requested = v->get_string();
  else throw McpError(ec::kInvalidParams, "Invalid params: initialize needs \"protocolVersion\"");
  session.protocol_version = mcp::negotiate_protocol_version(requested);
  if (auto* c = params.if_contains("capabilities"); c && c->is_object())
    session.client_capabilities = c->get_object();
  if (auto* i = params.if_contains("clientInfo"); i && i->is_object()) session.client_info = i->get_object();
  session.initialize_seen = true;

  json::object result;
  result["protocolVersion"] = session.protocol_version;
  result["capabilities"] = aggregator_.server_capabilities();
  result["serverInfo"] = json::object{{"name", "mcproxy"}, {"title", "MCProxy"}, {"version", MCPROXY_VERSION}};
  if (auto text = aggregator_.instructions(); !text.empty()) result["instructions"] = std::move(text);
  std::string client = "unknown client";
  if (auto* n = session.client_info.if_contains("name"); n && n->is_string()) client = n->get_string();
  spdlog::info("session {}: {} initialized with protocol {}", session.label(), client,
               session.protocol_version);
  return result;
}

awaitable<json::value> McpServer::dispatch(DownstreamSession& session, std::string_view method,
                                           json::object params) {
  if (method == "initialize") co_return initialize(session, params);
  if (method == "ping") co_return json::object{};
  if (method == "tools/list") co_return co_await aggregator_.list(ListKind::tools, params);
  if (method == "tools/call") co_return co_await aggregator_.call_tool(std::move(params));
  if (method == "prompts/list") co_return co_await aggregator_.list(ListKind::prompts, params);
  if (method == "prompts/get") co_return co_await aggregator_.get_prompt(std::move(params));
  if (method == "resources/list") co_return co_await aggregator_.list(ListKind::resources, params);
  if (method == "resources/templates/list")
    co_return co_await aggregator_.list(ListKind::templates, params);
  if (method == "resources/read") co_return co_await aggregator_.read_resource(std::move(params));
  if (method == "resources/subscribe" || method == "resources/unsubscribe")
    co_return co_await aggregator_.subscribe(method, std::move(params));
  if (method == "completion/complete") co_return co_await aggregator_.complete(std::move(params));
  if (method == "logging/setLevel") co_return co_await aggregator_.set_log_level(std::move(params));
  throw McpError(ec::kMethodNotFound, fmt::format("Method not found: {}", method));
}

awaitable<std::optional<json::object>> McpServer::handle(DownstreamSession& session,
                                                         mcp::Message message) {
  session.last_activity = std::chrono::steady_clock::now();
  if (message.is_notification()) {
    if (message.method() == "notifications/initialized") session.initialized = true;
    else spdlog::debug("session {}: notification {}", session.label(), message.method());
    co_return std::nullopt;
  }
  if (message.is_response()) {
    spdlog::debug("session {}: response to id {} with no request pending: dropped", session.label(),
                  json::serialize(message.id()));
    co_return std::nullopt;
  }

  const std::uint64_t correlation = next_correlation_id_++;
  ++session.requests;
  json::value id = message.id();
  std::string method(message.method());
  auto started = std::chrono::steady_clock::now();
  auto elapsed_us = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 started)
        .count();
  };
  json::object params;
  if (auto* p = message.body().if_contains("params"); p && p->is_object()) params = std::move(p->get_object());
  try {
    json::value result = co_await dispatch(session, method, std::move(params));
    spdlog::debug("session {} req#{} {} ok in {} us", session.label(), correlation, method, elapsed_us());
    co_return mcp::make_result(std::move(id), std::move(result));
  } catch (const McpError& e) {
    spdlog::info("session {} req#{} {} failed in {} us: {} ({})", session.label(), correlation,
                 method, elapsed_us(), e.what(), e.code());
    co_return mcp::make_error(std::move(id), e);
  } catch (const std::exception& e) {
    spdlog::error("session {} req#{} {} internal error: {}", session.label(), correlation, method,
                  e.what());
    co_return mcp::make_error(std::move(id), ec::kInternalError,
                              fmt::format("Internal error in MCProxy: {}", e.what()));
  }
}

}  // namespace mcproxy::proxy
