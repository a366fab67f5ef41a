#include "mcp/jsonrpc.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace mcproxy::mcp {

namespace {
const json::object kEmptyObject;
const json::value kNull;
}  // namespace

McpError McpError::from_error_object(const json::object& error) {
  int code = error_code::kInternalError;
  if (auto* c = error.if_contains("code"); c && c->is_int64()) code = static_cast<int>(c->as_int64());
  std::string message = "error without message";
  if (auto* m = error.if_contains("message"); m && m->is_string()) message = m->as_string();
  json::value data = nullptr;
  if (auto* d = error.if_contains("data")) data = *d;
  return McpError(code, std::move(message), std::move(data));
}

json::object McpError::to_error_object() const {
  json::object e;
  e["code"] = code_;
  e["message"] = what();
  if (!data_.is_null()) e["data"] = data_;
  return e;
}

const json::value& Message::id() const {
  auto* id = body_.if_contains("id");
  return id ? *id : kNull;
}

std::string_view Message::method() const {
  auto* m = body_.if_contains("method");
  return m && m->is_string() ? std::string_view(m->get_string()) : std::string_view();
}

const json::object& Message::params() const {
  auto* p = body_.if_contains("params");
  return p && p->is_object() ? p->get_object() : kEmptyObject;
}

json::object& Message::mutable_params() {
  auto& p = body_["params"];
  if (!p.is_object()) p = json::object();
  return p.get_object();
}

const json::value& Message::result() const {
  auto* r = body_.if_contains("result");
  return r ? *r : kNull;
}

const json::object& Message::error() const {
  auto* e = body_.if_contains("error");
  return e && e->is_object() ? e->get_object() : kEmptyObject;
}

bool is_valid_id(const json::value& id) noexcept {
  return id.is_string() || id.is_int64() || id.is_uint64();
}

json::value parse_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) throw ProtocolError(error_code::kParseError, "Parse error: " + ec.message());
  return v;
}

Message classify_message(json::value value) {
  if (!value.is_object()) {
    throw ProtocolError(error_code::kInvalidRequest,
                        "Invalid Request: a JSON-RPC message must be a JSON object");
  }
  json::object& obj = value.get_object();
  json::value id = nullptr;
  if (auto* i = obj.if_contains("id"); i && is_valid_id(*i)) id = *i;

  auto* version = obj.if_contains("jsonrpc");
  if (!version || !version->is_string() || version->get_string() != "2.0") {
    throw ProtocolError(error_code::kInvalidRequest,
                        "Invalid Request: \"jsonrpc\" must be the string \"2.0\"", id);
  }
  auto* method = obj.if_contains("method");
  auto* raw_id = obj.if_contains("id");
  if (method) {
    if (!method->is_string()) {
      throw ProtocolError(error_code::kInvalidRequest, "Invalid Request: \"method\" must be a string",
                          id);
    }
    if (auto* p = obj.if_contains("params"); p && !p->is_object()) {
      throw ProtocolError(error_code::kInvalidRequest,
                          "Invalid Request: \"params\" must be an object", id);
    }
    if (!raw_id) return Message(MessageKind::notification, std::move(obj));
    if (!is_valid_id(*raw_id)) {
      throw ProtocolError(error_code::kInvalidRequest,
                          "Invalid Request: \"id\" must be a string or an integer, not " +
                              std::string(raw_id->is_null() ? "null" : "another type"));
    }
    return Message(MessageKind::request, std::move(obj));
  }
  // No method: a response.
  if (!raw_id || !(is_valid_id(*raw_id) || raw_id->is_null())) {
    throw ProtocolError(error_code::kInvalidRequest,
                        "Invalid Request: neither a request (no \"method\") nor a response "
                        "(no valid \"id\")");
  }
  bool has_result = obj.contains("result");
  auto* error = obj.if_contains("error");
  if (has_result == (error != nullptr)) {
    throw ProtocolError(error_code::kInvalidRequest,
                        "Invalid Request: a response needs exactly one of \"result\" and \"error\"",
                        id);
  }
  if (error) {
    if (!error->is_object() || !error->get_object().contains("code") ||
        !error->get_object().at("code").is_int64()) {
      throw ProtocolError(error_code::kInvalidRequest,
                          "Invalid Request: \"error\" must be an object with an integer \"code\"",
                          id);
    }
    return Message(MessageKind::error, std::move(obj));
  }
  return Message(MessageKind::result, std::move(obj));
}

Message parse_message(std::string_view text) { return classify_message(parse_json(text)); }

json::object make_request(json::value id, std::string_view method, json::object params) {
  json::object m;
  m.reserve(4);
  m["jsonrpc"] = "2.0";
  m["id"] = std::move(id);
  m["method"] = method;
  m["params"] = std::move(params);
  return m;
}

json::object make_notification(std::string_view method, json::object params) {
  json::object m;
  m["jsonrpc"] = "2.0";
  m["method"] = method;
  if (!params.empty()) m["params"] = std::move(params);
  return m;
}

json::object make_result(json::value id, json::value result) {
  json::object m;
  m["jsonrpc"] = "2.0";
  m["id"] = std::move(id);
  m["result"] = std::move(result);
  return m;
}

json::object make_error(json::value id, const McpError& error) {
  json::object m;
  m["jsonrpc"] = "2.0";
  m["id"] = std::move(id);  // null when it could not be read, as JSON-RPC 2.0 says
  m["error"] = error.to_error_object();
  return m;
}

json::object make_error(json::value id, int code, std::string_view message) {
  return make_error(std::move(id), McpError(code, std::string(message)));
}


}  // namespace mcproxy::mcp
