#include "mcp/jsonrpc.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <boost/json/serialize.hpp>

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <vector>

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

namespace {
std::atomic<std::size_t> g_max_json_depth{kDefaultMaxJsonDepth};

// The top-level "id" and "method" of a JSON text, found by one pass that builds nothing and
// keeps only a depth counter, so it never recurses however deep the text nests (Boost.JSON's
// basic_parser recurses once per level: 100,000 levels overflowed the stack). Lenient: what is
// read before the text stops making sense counts.
class EnvelopeScanner {
 public:
  explicit EnvelopeScanner(std::string_view text) : text_(text) {}

  Envelope scan() {
    skip_space();
    if (!eat('{')) return std::move(envelope_);
    for (;;) {
      skip_space();
      std::string_view key_token = string_token();
      if (key_token.empty()) break;
      skip_space();
      if (!eat(':')) break;
      skip_space();
      std::string key = scalar_string(key_token);
      if (key == "method") envelope_.has_method = true;
      std::size_t value_start = pos_;
      if (!skip_value()) break;
      if (key == "id") envelope_.id = id_value(text_.substr(value_start, pos_ - value_start));
      skip_space();
      if (!eat(',')) break;
    }
    return std::move(envelope_);
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool eat(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  // A whole "..." token with its quotes, or empty if there is none here.
  std::string_view string_token() {
    if (pos_ >= text_.size() || text_[pos_] != '"') return {};
    std::size_t start = pos_++;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '\\') ++pos_;
      else if (c == '"') return text_.substr(start, pos_ - start);
    }
    return {};
  }
  // Skips one value, containers included (a depth counter, no recursion). False if there is none.
  bool skip_value() {
    std::size_t depth = 0;
    bool any = false;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (depth == 0 && (c == ',' || c == '}' || c == ']')) return any;
      if (c == '"') {
        if (string_token().empty()) return false;
      } else if (c == '{' || c == '[') {
        ++depth, ++pos_;
      } else if (c == '}' || c == ']') {
        --depth, ++pos_;
      } else {
        ++pos_;
      }
      any = true;
    }
    return any && depth == 0;
  }
  static std::string scalar_string(std::string_view token) {
    boost::system::error_code ec;
    json::value v = json::parse(token, ec);
    return !ec && v.is_string() ? std::string(v.get_string()) : std::string();
  }
  // A string or an integer; anything else is no id.
  static json::value id_value(std::string_view token) {
    boost::system::error_code ec;
    json::value v = json::parse(token, ec);  // a scalar, or refused at depth 32: no recursion to fear
    if (ec || !(v.is_string() || v.is_int64() || v.is_uint64())) return nullptr;
    return v;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  Envelope envelope_;
};

// Boost.JSON reads a number too large for a double (1e400) as infinity and would write it on
// as `Infinity`, which no peer can parse: such a message is refused where it enters, like one
// that nests too deep (-32600, with its id when it can be read).
bool has_non_finite_number(const json::value& root) {
  std::vector<const json::value*> pending{&root};
  while (!pending.empty()) {
    const json::value* v = pending.back();
    pending.pop_back();
    if (v->is_double()) {
      if (!std::isfinite(v->get_double())) return true;
    } else if (v->is_array()) {
      for (auto& x : v->get_array()) pending.push_back(&x);
    } else if (v->is_object()) {
      for (auto& kv : v->get_object()) pending.push_back(&kv.value());
    }
  }
  return false;
}

}  // namespace

void set_max_json_depth(std::size_t depth) noexcept { g_max_json_depth = depth; }
std::size_t max_json_depth() noexcept { return g_max_json_depth; }

Envelope peek_envelope(std::string_view text) { return EnvelopeScanner(text).scan(); }

json::value parse_json(std::string_view text) {
  json::parse_options options;
  options.max_depth = max_json_depth();
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, options);
  if (ec == json::error::too_deep) {
    throw ProtocolError(error_code::kInvalidRequest,
                        fmt::format("Invalid Request: the message nests deeper than {} levels "
                                    "(httpServer.maxJsonDepth)",
                                    options.max_depth),
                        peek_envelope(text).id);
  }
  if (ec) throw ProtocolError(error_code::kParseError, "Parse error: " + ec.message());
  if (has_non_finite_number(v)) {
    throw ProtocolError(error_code::kInvalidRequest,
                        "Invalid Request: a number is too large for a double", peek_envelope(text).id);
  }
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
