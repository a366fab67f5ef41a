// The stateless era (2026-07-28) on the Streamable HTTP endpoint, beside the initialize era on
// the same path: a request that carries its own envelope in _meta is checked (version -32022,
// headers against body -32020, methods the era removed 404 + -32601), then served on a session
// made for it alone (DownstreamSession::begin_stateless) that ends with it. No Mcp-Session-Id
// is minted; closing the response stream cancels the request.
#include "proxy/http_endpoint.hpp"

#include "mcp/modern_envelope.hpp"
#include "proxy/aggregator.hpp"
#include "proxy/backend.hpp"
#include "proxy/http_replies.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::proxy {

namespace http = boost::beast::http;
namespace json = boost::json;
using boost::asio::awaitable;
using transport::HttpExchange;
using transport::HttpRequest;
using transport::HttpResponse;

namespace {

std::optional<std::string_view> header_of(const HttpRequest& request, std::string_view name) {
  auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return std::string_view(it->value());
}

constexpr std::string_view kParamPrefix = "mcp-param-";
constexpr std::size_t kMaxParamHeaders = 64;

// The Mcp-Param-* headers a tools/call must carry: by the schema of the tool it names, as its
// server declared it.
std::vector<mcp::ParamHeader> expected_param_headers(const DownstreamSession& session, const json::object& params) {
  auto* name = params.if_contains("name");
  auto* arguments = params.if_contains("arguments");
  if (!session.aggregator || !name || !name->is_string() || !arguments || !arguments->is_object()) return {};
  auto* route = session.aggregator->tool_route(std::string(name->get_string()));
  if (!route) return {};
  return route->backend->param_headers_of(route->original, arguments->get_object());
}

}  // namespace

awaitable<void> HttpEndpoint::serve_modern(HttpRequest& request, HttpExchange& exchange, const Caller& caller,
                                           mcp::Message& message, bool json_ok, bool sse_ok) {
  if (!message.is_request()) {
    // Over HTTP a client of this era sends requests only (cancelling is closing the stream).
    co_await exchange.respond(HttpResponse(http::status::accepted, 11));
    co_return;
  }
  const json::value id = message.id();
  auto refuse = [&](const mcp::EdgeRejection& r) {
    spdlog::info("stateless request {} {} refused: {} ({})", json::serialize(id), message.method(), r.message, r.code);
    return exchange.respond(json_response(static_cast<http::status>(r.status), mcp::rejection_error(id, r)));
  };
  auto version_mismatch = mcp::check_version_header(header_of(request, "mcp-protocol-version"), message.params());
  if (version_mismatch) {
    co_await refuse(*version_mismatch);
    co_return;
  }
  auto read = mcp::read_modern_envelope(message.params());
  if (auto* rejection = std::get_if<mcp::EdgeRejection>(&read)) {
    co_await refuse(*rejection);
    co_return;
  }
  const auto& envelope = std::get<mcp::ModernEnvelope>(read);
  mcp::StandardHeaders headers{header_of(request, "mcp-protocol-version"), header_of(request, "mcp-method"),
                               header_of(request, "mcp-name")};
  auto mismatch = mcp::check_standard_headers(headers, message.method(), message.params(), envelope.version);
  if (mismatch) {
    co_await refuse(*mismatch);
    co_return;
  }
  auto not_served = mcp::check_modern_method(message.method(), envelope.version);
  if (not_served) {
    co_await refuse(*not_served);
    co_return;
  }
  // Backends get their own envelope (or, in the initialize era, none) from the proxy.
  mcp::strip_modern_envelope(message.mutable_params());

  auto session = sessions_.create_stateless(envelope, caller.identity, caller.endpoint, caller.profile);
  session->set_languages(request[http::field::accept_language]);
  struct End {
    SessionManager& sessions;
    DownstreamSession& session;
    ~End() { sessions.end_stateless(session); }
  } end{sessions_, *session};
  // Mcp-Param-* (SEP-2243): kept to be forwarded, and checked against the tool's own schema.
  for (auto& field : request) {
    std::string_view name = field.name_string();
    if (name.size() > kParamPrefix.size() && boost::beast::iequals(name.substr(0, kParamPrefix.size()), kParamPrefix) &&
        session->param_headers.size() < kMaxParamHeaders)
      session->param_headers.push_back({std::string(name.substr(kParamPrefix.size())), std::string(field.value())});
  }
  if (message.method() == "tools/call") {
    auto mismatch = mcp::check_param_headers(expected_param_headers(*session, message.params()), session->param_headers);
    if (mismatch) {
      co_await refuse(*mismatch);
      co_return;
    }
  }
  std::vector<mcp::Message> messages;
  messages.push_back(std::move(message));
  std::vector<json::object> no_errors;
  co_await answer_on_stream(request, exchange, session, messages, no_errors, false, json_ok, sse_ok);
}

}  // namespace mcproxy::proxy
