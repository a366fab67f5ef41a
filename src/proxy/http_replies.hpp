#pragma once
// Small pieces both downstream HTTP endpoints (Streamable HTTP and legacy SSE) answer with:
// JSON bodies, refusals carrying an id-less JSON-RPC error (as the SDKs send them), and the
// Accept header test.

#include "transport/http_server.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace mcproxy::proxy {

inline constexpr std::chrono::seconds kKeepAliveInterval{15};  // SSE comment on idle streams
inline constexpr int kSessionNotFound = -32001;                // as the TypeScript SDK answers

transport::HttpResponse json_response(boost::beast::http::status status, const boost::json::object& body);
transport::HttpResponse error_response(boost::beast::http::status status, int code, std::string_view message);
transport::HttpResponse method_not_allowed(std::string_view allow);

std::string ascii_lower(std::string_view s);
// Whether an Accept header admits `type` (e.g. "text/event-stream"); an absent header does.
bool accepts(std::string_view accept, std::string_view type);

}  // namespace mcproxy::proxy
