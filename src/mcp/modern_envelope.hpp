#pragma once
// Revision 2026-07-28 at the edge (MCP-DIGEST §9): a request of the stateless era carries its own
// envelope in params._meta (protocol version, client capabilities, client info, log level), and
// over HTTP the headers MCP-Protocol-Version, Mcp-Method and Mcp-Name must agree with the body.
// This file reads and checks both; it knows nothing of sessions or of HTTP servers, so the HTTP
// and the stdio edges share it.

#include "mcp/jsonrpc.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mcproxy::mcp {

// What a modern request says about its client, request by request (never remembered).
struct ModernEnvelope {
  std::string version;
  boost::json::object client_capabilities;
  boost::json::object client_info;
  std::string log_level;  // empty: no notifications/message for this request
};

// A request refused before it is served: the JSON-RPC error and the HTTP status it goes with.
struct EdgeRejection {
  unsigned status = 400;
  int code = 0;
  std::string message;
  boost::json::value data;
};

// Whether `params` claim the modern era: their _meta names a protocol version.
bool claims_modern_era(const boost::json::object& params);

// The envelope of a request that claims the modern era, or why it cannot be served: a version
// the proxy does not speak (-32022 with the supported list), or a missing or malformed field
// (-32602).
std::variant<ModernEnvelope, EdgeRejection> read_modern_envelope(const boost::json::object& params);

// Drops the envelope from params._meta (and _meta when nothing else is left): backends get
// their own envelope (or none, in the legacy era) from the proxy.
void strip_modern_envelope(boost::json::object& params);

// The value of Mcp-Name or an Mcp-Param-* header: as it is, or decoded from the Base64 sentinel
// form "=?base64?...?=" (UTF-8). Nullopt when the sentinel's payload is not canonical Base64.
std::optional<std::string> decode_header_value(std::string_view value);
// The header form of `value`: as it is when it is printable ASCII without leading or trailing
// space, else the Base64 sentinel form.
std::string encode_header_value(std::string_view value);

// The body field Mcp-Name mirrors for `method` ("name", "uri", "taskId"), or empty.
std::string_view mcp_name_source(std::string_view method);

// -32020 when an MCP-Protocol-Version header names another version than the body's _meta (checked
// before the version itself: a disagreement is reported as such, whatever either names).
std::optional<EdgeRejection> check_version_header(std::optional<std::string_view> header,
                                                  const boost::json::object& params);

struct StandardHeaders {
  std::optional<std::string_view> protocol_version;  // MCP-Protocol-Version
  std::optional<std::string_view> method;            // Mcp-Method
  std::optional<std::string_view> name;              // Mcp-Name
};
// -32020 (HTTP 400) when a required header is missing or disagrees with the request's body.
std::optional<EdgeRejection> check_standard_headers(const StandardHeaders& headers, std::string_view method,
                                                    const boost::json::object& params,
                                                    std::string_view envelope_version);

// --- Mcp-Param-* (SEP-2243): a tool parameter marked "x-mcp-header": "<Name>" in its
// inputSchema travels in the body and, mirrored, in the header Mcp-Param-<Name> ---
struct ParamHeader {
  std::string name;   // <Name> as the schema spells it (header names are case-insensitive)
  std::string value;  // the argument's value as text (not yet in header form)
};
// The headers a tools/call with `arguments` must carry for a tool of `input_schema`: one per
// marked top-level property whose argument is a string, number or boolean.
std::vector<ParamHeader> param_headers(const boost::json::object& input_schema, const boost::json::object& arguments);
// -32020 (HTTP 400) when a header `expected` names is missing, not valid in its Base64 form, or
// disagrees with the body. `received` are the request's Mcp-Param-* headers (name after the
// prefix, value as sent).
std::optional<EdgeRejection> check_param_headers(const std::vector<ParamHeader>& expected,
                                                 const std::vector<ParamHeader>& received);

// 404 + -32601 for a method the stateless era does not have (initialize, ping,
// logging/setLevel, resources/(un)subscribe, ...) and an unknown one.
std::optional<EdgeRejection> check_modern_method(std::string_view method, std::string_view version);

// The error object of a rejection, for the response to request `id`.
boost::json::object rejection_error(const boost::json::value& id, const EdgeRejection& rejection);

}  // namespace mcproxy::mcp
