#include "mcp/modern_envelope.hpp"

#include "mcp/error.hpp"
#include "mcp/log_level.hpp"
#include "mcp/methods.hpp"
#include "mcp/protocol.hpp"
#include "support/digest.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace mcproxy::mcp {

namespace json = boost::json;

namespace {

constexpr std::string_view kSentinelPrefix = "=?base64?";
constexpr std::string_view kSentinelSuffix = "?=";

const json::object* meta_of(const json::object& params) {
  auto* meta = params.if_contains("_meta");
  return meta ? meta->if_object() : nullptr;
}

json::array supported_versions() {
  json::array list;
  for (auto v : kModernProtocolVersions) list.emplace_back(v);
  return list;
}

EdgeRejection invalid_params(std::string message) {
  return EdgeRejection{400, error_code::kInvalidParams, std::move(message), nullptr};
}

EdgeRejection header_mismatch(std::string header, std::string body, std::string message) {
  json::object data{{"mismatch", json::object{{"header", std::move(header)}, {"body", std::move(body)}}}};
  return EdgeRejection{400, error_code::kHeaderMismatch,
                       "Bad Request: the request headers and body disagree: " + std::move(message), std::move(data)};
}

// HTTP optional white space around a field value is not part of it.
std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

bool claims_modern_era(const json::object& params) {
  auto* meta = meta_of(params);
  return meta && meta->contains(kMetaProtocolVersion);
}

std::variant<ModernEnvelope, EdgeRejection> read_modern_envelope(const json::object& params) {
  auto* meta = meta_of(params);
  auto* version = meta ? meta->if_contains(kMetaProtocolVersion) : nullptr;
  if (!version || !version->is_string())
    return EdgeRejection{400, error_code::kUnsupportedProtocolVersion,
                         "Unsupported protocol version: the request names none in _meta",
                         json::object{{"supported", supported_versions()}}};
  ModernEnvelope envelope;
  envelope.version = version->get_string();
  if (!is_modern_protocol_version(envelope.version))
    return EdgeRejection{400, error_code::kUnsupportedProtocolVersion,
                         fmt::format("Unsupported protocol version \"{}\" (MCProxy speaks {} statelessly, and "
                                     "2025-11-25 and older through initialize)",
                                     envelope.version, kModernProtocolVersions.front()),
                         json::object{{"supported", supported_versions()}, {"requested", envelope.version}}};
  auto* caps = meta->if_contains(kMetaClientCapabilities);
  if (!caps || !caps->is_object())
    return invalid_params(fmt::format("Invalid params: _meta[\"{}\"] (an object) is required on every request",
                                      kMetaClientCapabilities));
  envelope.client_capabilities = caps->get_object();
  if (auto* info = meta->if_contains(kMetaClientInfo)) {
    if (!info->is_object())
      return invalid_params(fmt::format("Invalid params: _meta[\"{}\"] must be an object", kMetaClientInfo));
    envelope.client_info = info->get_object();
  }
  if (auto* level = meta->if_contains(kMetaLogLevel)) {
    if (!level->is_string() || log_level_rank(level->get_string()) < 0)
      return invalid_params(
          fmt::format("Invalid params: _meta[\"{}\"] must be a log level (debug ... emergency)", kMetaLogLevel));
    envelope.log_level = level->get_string();
  }
  return envelope;
}

void strip_modern_envelope(json::object& params) {
  auto* meta = params.if_contains("_meta");
  if (!meta || !meta->is_object()) return;
  auto& m = meta->get_object();
  for (auto key : {kMetaProtocolVersion, kMetaClientCapabilities, kMetaClientInfo, kMetaLogLevel}) m.erase(key);
  if (m.empty()) params.erase("_meta");
}

std::optional<std::string> decode_header_value(std::string_view value) {
  if (!(value.size() >= kSentinelPrefix.size() + kSentinelSuffix.size() && value.starts_with(kSentinelPrefix) &&
        value.ends_with(kSentinelSuffix)))
    return std::string(value);
  auto payload = value.substr(kSentinelPrefix.size(), value.size() - kSentinelPrefix.size() - kSentinelSuffix.size());
  // Canonical standard Base64: padded to a multiple of four, only its own alphabet.
  if (payload.size() % 4 != 0) return std::nullopt;
  std::string url(payload);
  for (char& c : url) {
    if (c == '-' || c == '_') return std::nullopt;
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  auto pad = url.find('=');
  if (pad != std::string::npos && (url.size() - pad > 2 || url.find_first_not_of('=', pad) != std::string::npos))
    return std::nullopt;
  return support::base64url_decode(url);
}

std::string encode_header_value(std::string_view value) {
  bool plain = !value.empty() && value.front() != ' ' && value.back() != ' ' &&
               std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (plain) return std::string(value);
  std::string b64 = support::base64url_encode(value);
  for (char& c : b64) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  while (b64.size() % 4 != 0) b64.push_back('=');
  return std::string(kSentinelPrefix) + b64 + std::string(kSentinelSuffix);
}

std::string_view mcp_name_source(std::string_view method) {
  if (method == "tools/call" || method == "prompts/get") return "name";
  if (method == "resources/read") return "uri";
  if (method == "tasks/get" || method == "tasks/update" || method == "tasks/cancel") return "taskId";
  return {};
}

std::optional<EdgeRejection> check_version_header(std::optional<std::string_view> header, const json::object& params) {
  auto* meta = meta_of(params);
  auto* claimed = meta ? meta->if_contains(kMetaProtocolVersion) : nullptr;
  if (!header || !claimed || !claimed->is_string()) return std::nullopt;
  auto version = trim_ows(*header);
  if (version == claimed->get_string()) return std::nullopt;
  return header_mismatch(std::string(version), std::string(claimed->get_string()),
                         fmt::format("MCP-Protocol-Version is {} but the body names {}", version,
                                     std::string_view(claimed->get_string())));
}

std::optional<EdgeRejection> check_standard_headers(const StandardHeaders& headers, std::string_view method,
                                                    const json::object& params, std::string_view envelope_version) {
  if (!headers.protocol_version)
    return header_mismatch("(missing)", std::string(envelope_version),
                    fmt::format("the body names protocol version {} but the MCP-Protocol-Version header is absent",
                                envelope_version));
  auto version = trim_ows(*headers.protocol_version);
  if (version != envelope_version)
    return header_mismatch(std::string(version), std::string(envelope_version),
                    fmt::format("MCP-Protocol-Version is {} but the body names {}", version, envelope_version));
  if (!headers.method)
    return header_mismatch("(missing)", std::string(method),
                    fmt::format("the body names method {} but the Mcp-Method header is absent", method));
  if (auto m = trim_ows(*headers.method); m != method)
    return header_mismatch(std::string(m), std::string(method),
                    fmt::format("Mcp-Method is {} but the body names {}", m, method));
  auto field = mcp_name_source(method);
  if (field.empty()) return std::nullopt;
  auto* body_value = params.if_contains(field);
  std::string body_name = body_value && body_value->is_string() ? std::string(body_value->get_string()) : "";
  if (!headers.name) {
    if (!body_value) return std::nullopt;
    return header_mismatch("(missing)", body_name,
                    fmt::format("the body carries params.{} but the Mcp-Name header is absent", field));
  }
  auto raw = trim_ows(*headers.name);
  auto decoded = decode_header_value(raw);
  if (!decoded) return header_mismatch(std::string(raw), body_name, "the Mcp-Name header is not valid Base64 in its =?base64?...?= form");
  if (body_value && *decoded != body_name)
    return header_mismatch(std::string(raw), body_name,
                    fmt::format("Mcp-Name names \"{}\" but the body's params.{} is \"{}\"", *decoded, field, body_name));
  return std::nullopt;
}

std::vector<ParamHeader> param_headers(const json::object& input_schema, const json::object& arguments) {
  std::vector<ParamHeader> out;
  auto* properties = input_schema.if_contains("properties");
  if (!properties || !properties->is_object()) return out;
  for (auto& [key, property] : properties->get_object()) {
    auto* marked = property.is_object() ? property.get_object().if_contains("x-mcp-header") : nullptr;
    if (!marked || !marked->is_string() || marked->get_string().empty()) continue;
    auto* argument = arguments.if_contains(key);
    if (!argument) continue;
    std::string text;
    if (argument->is_string()) text = argument->get_string();
    else if (argument->is_bool()) text = argument->get_bool() ? "true" : "false";
    else if (argument->is_number()) text = json::serialize(*argument);
    else continue;  // objects, arrays and null are not mirrored
    out.push_back({std::string(marked->get_string()), std::move(text)});
  }
  return out;
}

std::optional<EdgeRejection> check_param_headers(const std::vector<ParamHeader>& expected,
                                                 const std::vector<ParamHeader>& received) {
  auto same_name = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
  };
  for (auto& want : expected) {
    auto it = std::find_if(received.begin(), received.end(), [&](auto& r) { return same_name(r.name, want.name); });
    std::string header = "Mcp-Param-" + want.name;
    if (it == received.end())
      return header_mismatch("(missing)", want.value, fmt::format("{} is missing; the body's argument is set", header));
    auto raw = trim_ows(it->value);
    auto decoded = decode_header_value(raw);
    if (!decoded)
      return header_mismatch(std::string(raw), want.value, fmt::format("{} is not valid Base64 in its =?base64?...?= form", header));
    if (*decoded != want.value)
      return header_mismatch(std::string(raw), want.value, fmt::format("{} disagrees with the body's argument", header));
  }
  return std::nullopt;
}

std::optional<EdgeRejection> check_modern_method(std::string_view method, std::string_view version) {
  auto refuse = [](std::string message) {
    return EdgeRejection{404, error_code::kMethodNotFound, std::move(message), nullptr};
  };
  auto id = find_method(method);
  if (id == Method::unknown) return refuse(fmt::format("Method not found: {}", method));
  auto* entry = info(id);
  if (entry->kind != MethodKind::request || entry->direction == Direction::to_client || !exists_in(id, version))
    return refuse(fmt::format("Method not found: {} is not part of protocol {}", method, version));
  return std::nullopt;
}

json::object rejection_error(const json::value& id, const EdgeRejection& rejection) {
  return make_error(id, McpError(rejection.code, rejection.message, rejection.data));
}

}  // namespace mcproxy::mcp
