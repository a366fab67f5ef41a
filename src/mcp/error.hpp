#pragma once
// MCP / JSON-RPC error codes and the exception that carries an error through coroutines.
// Errors travel as McpError inside the proxy and become a JSON-RPC error object at exactly
// two boundaries: the per-request handler and each co_spawn completion.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>
#include <string>

namespace mcproxy::mcp {

namespace error_code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
// Implementation-defined range (-32000..-32019), as the TypeScript SDK uses it.
inline constexpr int kBackendUnavailable = -32000;
inline constexpr int kRequestTimeout = -32001;
inline constexpr int kResourceNotFound = -32002;
// MCProxy is shutting down: the request was still running when the grace period ended.
inline constexpr int kProxyStopping = -32003;
// Revision 2026-07-28: the HTTP headers disagree with the body; a capability the request needs
// was not declared in it; its protocol version is not one the server speaks (data: supported).
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;
// 2025-11-25 only: the client must complete a URL-mode elicitation (data.elicitations) first.
inline constexpr int kUrlElicitationRequired = -32042;
// Internal only, never sent to a client: the server refused a request because it no longer
// knows the upstream session (HTTP 404, or 400 naming the session), so it provably did not
// process it; the backend re-initializes and sends it once more.
inline constexpr int kUpstreamSessionExpired = -32010;
}  // namespace error_code

class McpError : public std::runtime_error {
 public:
  McpError(int code, std::string message, boost::json::value data = nullptr)
      : std::runtime_error(message), code_(code), data_(std::move(data)) {}

  // An error object received from a peer, passed on unchanged (code, message, data).
  static McpError from_error_object(const boost::json::object& error);

  int code() const noexcept { return code_; }
  const boost::json::value& data() const noexcept { return data_; }
  boost::json::object to_error_object() const;

 private:
  int code_;
  boost::json::value data_;
};

}  // namespace mcproxy::mcp
