// Fuzzes the JSON-RPC reader every downstream and upstream message goes through:
// mcp::parse_message (one message), mcp::parse_json + mcp::classify_message per element (what
// the HTTP endpoint does with a batch), and mcp::peek_envelope (the id of a message that could
// not be used). The input is the message text as received.
//
// Allowed to fail only with mcp::ProtocolError (-32700 for bad JSON, -32600 for JSON that is
// not a JSON-RPC message, nests too deep or holds a number too large). Invariants: each kind
// has the fields it promises; what the proxy classifies it can serialize and classify again as
// the same kind with the same id; the error response the proxy builds for a refused message is
// itself a valid JSON-RPC error; peek_envelope agrees with the full parse.

#include "fuzz_support.hpp"
#include "mcp/jsonrpc.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace json = boost::json;
namespace mcp = mcproxy::mcp;
using mcp::MessageKind;

void check_fields(const mcp::Message& m) {
  const json::object& body = m.body();
  FUZZ_CHECK(body.contains("jsonrpc"));
  switch (m.kind()) {
    case MessageKind::request:
      FUZZ_CHECK(mcp::is_valid_id(m.id()));
      FUZZ_CHECK(body.at("method").is_string());
      break;
    case MessageKind::notification:
      FUZZ_CHECK(!body.contains("id"));
      FUZZ_CHECK(body.at("method").is_string());
      break;
    case MessageKind::result:
      FUZZ_CHECK(body.contains("result") && !body.contains("error"));
      FUZZ_CHECK(m.id().is_null() || mcp::is_valid_id(m.id()));
      break;
    case MessageKind::error:
      FUZZ_CHECK(m.error().at("code").is_int64());
      FUZZ_CHECK(!body.contains("result"));
      break;
  }
  // The accessors are total: they never throw on a classified message.
  (void)m.method();
  (void)m.params();
  (void)m.result();
  (void)mcp::McpError::from_error_object(m.error()).to_error_object();
  mcp::Message copy = m;
  (void)copy.mutable_params();
}

// What the proxy forwards it serializes; the peer must read the same kind and id back.
void check_round_trip(const mcp::Message& m) {
  std::string text = json::serialize(m.body());
  mcp::Message again = mcp::parse_message(text);  // must not throw
  FUZZ_CHECK(again.kind() == m.kind());
  FUZZ_CHECK(again.id() == m.id());
  FUZZ_CHECK(again.method() == m.method());
}

// The error response for a refused message must be a valid error response.
void check_refusal(const mcp::ProtocolError& e) {
  FUZZ_CHECK(e.code() == mcp::error_code::kParseError || e.code() == mcp::error_code::kInvalidRequest);
  FUZZ_CHECK(e.id().is_null() || mcp::is_valid_id(e.id()));
  json::object reply = mcp::make_error(e.id(), e);
  mcp::Message parsed = mcp::parse_message(json::serialize(reply));
  FUZZ_CHECK(parsed.kind() == MessageKind::error);
  FUZZ_CHECK(parsed.id() == e.id());
}

void classify_one(json::value v) {
  try {
    mcp::Message m = mcp::classify_message(std::move(v));
    check_fields(m);
    check_round_trip(m);
  } catch (const mcp::ProtocolError& e) {
    FUZZ_CHECK(e.code() == mcp::error_code::kInvalidRequest);
    check_refusal(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  bool single_ok = false;
  try {
    mcp::Message m = mcp::parse_message(text);
    single_ok = true;
    check_fields(m);
    check_round_trip(m);
  } catch (const mcp::ProtocolError& e) {
    check_refusal(e);
  }

  // peek_envelope reads any text; where the full parse found a message, it agrees.
  mcp::Envelope envelope = mcp::peek_envelope(text);
  if (single_ok) {
    mcp::Message m = mcp::parse_message(text);
    FUZZ_CHECK(envelope.has_method == (m.is_request() || m.is_notification()));
    // With one "id" member (duplicate keys are JSON's grey zone), the ids are the same.
    auto first = text.find("\"id\"");
    bool one_id = first != std::string_view::npos && text.find("\"id\"", first + 1) == std::string_view::npos;
    if (one_id && mcp::is_valid_id(m.id())) FUZZ_CHECK(envelope.id == m.id());
  }

  json::value body;
  try {
    body = mcp::parse_json(text);
  } catch (const mcp::ProtocolError& e) {
    FUZZ_CHECK(e.code() == mcp::error_code::kParseError || e.code() == mcp::error_code::kInvalidRequest);
    FUZZ_CHECK(!single_ok);  // the two readers agree on what is JSON
    return 0;
  }
  if (body.is_array()) {
    FUZZ_CHECK(!single_ok);  // a batch is never one message
    for (auto& element : body.get_array()) classify_one(element);
  } else {
    classify_one(std::move(body));
  }
  return 0;
}
