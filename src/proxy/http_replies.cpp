#include "proxy/http_replies.hpp"

#include "mcp/jsonrpc.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <string>

namespace mcproxy::proxy {

namespace http = boost::beast::http;

transport::HttpResponse json_response(http::status status, const boost::json::object& body) {
  transport::HttpResponse res(status, 11);
  res.set(http::field::content_type, "application/json");
  res.body() = boost::json::serialize(body);
  return res;
}

transport::HttpResponse error_response(http::status status, int code, std::string_view message) {
  return json_response(status, mcp::make_error(nullptr, code, message));
}

transport::HttpResponse method_not_allowed(std::string_view allow) {
  auto res = error_response(http::status::method_not_allowed, mcp::error_code::kInvalidRequest,
                            "Method not allowed");
  res.set(http::field::allow, allow);
  return res;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool accepts(std::string_view accept, std::string_view type) {
  if (accept.empty()) return true;
  std::string a = ascii_lower(accept);
  std::string family = std::string(type.substr(0, type.find('/'))) + "/*";
  return a.find(type) != std::string::npos || a.find("*/*") != std::string::npos ||
         a.find(family) != std::string::npos;
}

}  // namespace mcproxy::proxy
