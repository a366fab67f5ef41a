#pragma once
// JSON-RPC 2.0 messages as MCP uses them (MCP-DIGEST §1): requests, notifications, results and
// errors over Boost.JSON. A Message keeps the whole parsed object, so fields the proxy does not
// know (`_meta`, future keys) travel on untouched; accessors are thin views into it.

#include "mcp/error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::mcp {

namespace json = boost::json;

enum class MessageKind { request, notification, result, error };

class Message {
 public:
  Message(MessageKind kind, json::object body) : kind_(kind), body_(std::move(body)) {}

  MessageKind kind() const noexcept { return kind_; }
  bool is_request() const noexcept { return kind_ == MessageKind::request; }
  bool is_notification() const noexcept { return kind_ == MessageKind::notification; }
  bool is_response() const noexcept {
    return kind_ == MessageKind::result || kind_ == MessageKind::error;
  }

  // The id of a request or response: a string or an integer (never null).
  const json::value& id() const;
  std::string_view method() const;
  // params of a request or notification; an empty object when absent.
  const json::object& params() const;
  json::object& mutable_params();
  const json::value& result() const;
  const json::object& error() const;

  const json::object& body() const noexcept { return body_; }
  json::object& body() noexcept { return body_; }

 private:
  MessageKind kind_;
  json::object body_;
};

// Thrown when a text is not a valid JSON-RPC message. `id` is set when it could be read, so
// the error response can still be correlated.
class ProtocolError : public McpError {
 public:
  ProtocolError(int code, std::string message, json::value id = nullptr)
      : McpError(code, std::move(message)), id_(std::move(id)) {}
  const json::value& id() const noexcept { return id_; }

 private:
  json::value id_;
};

// How deep JSON may nest in any message, from clients and backends alike
// (httpServer.maxJsonDepth, default 64; Boost.JSON's own default is 32). Set once at start-up
// and on reload.
inline constexpr std::size_t kDefaultMaxJsonDepth = 64;
void set_max_json_depth(std::size_t depth) noexcept;
std::size_t max_json_depth() noexcept;

// Parses one message. Throws ProtocolError: -32700 for malformed JSON, -32600 for a JSON value
// that is not a JSON-RPC 2.0 message or that nests deeper than max_json_depth() (the error
// then carries the message's id, read without building the value, so it can be answered).
Message parse_message(std::string_view text);
// Classifies an already-parsed value (e.g. one element of a batch).
Message classify_message(json::value value);
// Parses a body that may be a batch (2025-03-26 allows arrays). Each element is classified on
// its own; an element that is invalid yields an error entry rather than failing the batch.
json::value parse_json(std::string_view text);  // -32700 on failure, -32600 when too deep or a number is too large

// The top-level "id" of a JSON-RPC text (null when absent or unreadable) and whether it has a
// "method", read by a streaming pass that builds nothing, however deep the text nests.
struct Envelope {
  json::value id;
  bool has_method = false;
};
Envelope peek_envelope(std::string_view text);

bool is_valid_id(const json::value& id) noexcept;

json::object make_request(json::value id, std::string_view method, json::object params);
json::object make_notification(std::string_view method, json::object params);
json::object make_result(json::value id, json::value result);
json::object make_error(json::value id, const McpError& error);
json::object make_error(json::value id, int code, std::string_view message);


}  // namespace mcproxy::mcp
