// parse_message / classify_message: what counts as a JSON-RPC 2.0 message, which error code an
// invalid one gets (-32700 or -32600), and that fields the proxy does not know travel on
// untouched. Also make_error and McpError's error-object round trip.

#include "mcp/jsonrpc.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>

namespace {

namespace json = boost::json;
using mcproxy::mcp::McpError;
using mcproxy::mcp::Message;
using mcproxy::mcp::MessageKind;
using mcproxy::mcp::parse_message;
using mcproxy::mcp::ProtocolError;

constexpr int kParseError = mcproxy::mcp::error_code::kParseError;
constexpr int kInvalidRequest = mcproxy::mcp::error_code::kInvalidRequest;

// The ProtocolError parse_message throws for `text`, or nothing when it parses.
std::optional<ProtocolError> rejection(std::string_view text) {
  try {
    (void)parse_message(text);
  } catch (const ProtocolError& e) {
    return e;
  }
  return std::nullopt;
}

}  // namespace

TEST_SUITE("jsonrpc") {
  // --- the four kinds -------------------------------------------------------------------------

  TEST_CASE("a request with an id and a method parses as a request") {
    Message m = parse_message(
        R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}})");
    CHECK(m.kind() == MessageKind::request);
    CHECK(m.is_request());
    CHECK_FALSE(m.is_notification());
    CHECK_FALSE(m.is_response());
    CHECK(m.id() == json::value(1));
    CHECK(m.method() == "tools/call");
    CHECK(m.params().at("name") == "echo");
  }

  TEST_CASE("a message with a method and no id parses as a notification") {
    Message m = parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    CHECK(m.kind() == MessageKind::notification);
    CHECK(m.is_notification());
    CHECK_FALSE(m.is_response());
    CHECK(m.method() == "notifications/initialized");
    CHECK(m.id().is_null());
  }

  TEST_CASE("params that are absent read as an empty object and can be created in place") {
    Message m = parse_message(R"({"jsonrpc":"2.0","id":"a","method":"ping"})");
    CHECK(m.params().empty());
    m.mutable_params()["x"] = 1;
    CHECK(m.body().at("params").at("x") == 1);
    CHECK(m.params().at("x") == 1);
  }

  TEST_CASE("a response with a result parses as a result") {
    Message m = parse_message(R"({"jsonrpc":"2.0","id":5,"result":{"tools":[]}})");
    CHECK(m.kind() == MessageKind::result);
    CHECK(m.is_response());
    CHECK(m.id() == json::value(5));
    CHECK(m.result().at("tools").is_array());
  }

  TEST_CASE("a result may be any JSON value, including null") {
    Message m = parse_message(R"({"jsonrpc":"2.0","id":5,"result":null})");
    CHECK(m.kind() == MessageKind::result);
    CHECK(m.result().is_null());
  }

  TEST_CASE("a response with an error object parses as an error") {
    Message m = parse_message(
        R"({"jsonrpc":"2.0","id":"r1","error":{"code":-32601,"message":"Method not found"}})");
    CHECK(m.kind() == MessageKind::error);
    CHECK(m.is_response());
    CHECK(m.id() == json::value("r1"));
    CHECK(m.error().at("code") == -32601);
    CHECK(m.error().at("message") == "Method not found");
  }

  TEST_CASE("an error response with a null id is accepted, as JSON-RPC sends for unreadable ids") {
    Message m = parse_message(
        R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})");
    CHECK(m.kind() == MessageKind::error);
    CHECK(m.id().is_null());
  }

  // --- ids ------------------------------------------------------------------------------------

  TEST_CASE("a string id is kept as a string") {
    Message m = parse_message(R"({"jsonrpc":"2.0","id":"42","method":"ping"})");
    REQUIRE(m.id().is_string());
    CHECK(m.id().get_string() == "42");
  }

  TEST_CASE("an integer id is kept as an integer, including zero and negatives") {
    CHECK(parse_message(R"({"jsonrpc":"2.0","id":0,"method":"ping"})").id() == json::value(0));
    CHECK(parse_message(R"({"jsonrpc":"2.0","id":-7,"method":"ping"})").id() == json::value(-7));
  }

  TEST_CASE("an integer id beyond 2^53 keeps every digit") {
    Message m = parse_message(R"({"jsonrpc":"2.0","id":9007199254740993,"method":"ping"})");
    REQUIRE(m.id().is_int64());
    CHECK(m.id().get_int64() == 9007199254740993LL);
    CHECK(json::serialize(m.id()) == "9007199254740993");
  }

  TEST_CASE("an integer id above INT64_MAX is accepted and kept exactly") {
    Message m =
        parse_message(R"({"jsonrpc":"2.0","id":18446744073709551615,"result":{}})");
    REQUIRE(m.id().is_uint64());
    CHECK(m.id().get_uint64() == 18446744073709551615ULL);
    CHECK(json::serialize(m.id()) == "18446744073709551615");
  }

  TEST_CASE("a request with a null id is an invalid request") {
    auto e = rejection(R"({"jsonrpc":"2.0","id":null,"method":"ping"})");
    REQUIRE(e);
    CHECK(e->code() == kInvalidRequest);
    CHECK(e->id().is_null());
  }

  TEST_CASE("a request id that is a float, a boolean, an object or an array is invalid") {
    for (std::string_view id : {"1.5", "1.0", "1e3", "true", "false", R"({"a":1})", "[1]"}) {
      CAPTURE(id);
      auto e = rejection(std::string(R"({"jsonrpc":"2.0","method":"ping","id":)") +
                         std::string(id) + "}");
      REQUIRE(e);
      CHECK(e->code() == kInvalidRequest);
      CHECK(e->id().is_null());  // an unusable id is never echoed back
    }
  }

  TEST_CASE("an integer too large for 64 bits is not a valid id") {
    auto e = rejection(R"({"jsonrpc":"2.0","id":18446744073709551616,"method":"ping"})");
    REQUIRE(e);
    CHECK(e->code() == kInvalidRequest);
  }

  TEST_CASE("a response whose id is a float or a boolean is invalid") {
    for (std::string_view id : {"2.5", "true"}) {
      CAPTURE(id);
      auto e = rejection(std::string(R"({"jsonrpc":"2.0","result":{},"id":)") + std::string(id) +
                         "}");
      REQUIRE(e);
      CHECK(e->code() == kInvalidRequest);
    }
  }

  TEST_CASE("a message with neither a method nor an id is invalid") {
    auto e = rejection(R"({"jsonrpc":"2.0","result":{}})");
    REQUIRE(e);
    CHECK(e->code() == kInvalidRequest);
  }

  // --- the envelope ---------------------------------------------------------------------------

  TEST_CASE("a missing \"jsonrpc\" member is invalid and the readable id is kept on the error") {
    auto e = rejection(R"({"id":7,"method":"ping"})");
    REQUIRE(e);
    CHECK(e->code() == kInvalidRequest);
    CHECK(e->id() == json::value(7));
  }

  TEST_CASE("a \"jsonrpc\" other than the string 2.0 is invalid and keeps a string id") {
    for (std::string_view version : {R"("1.0")", "2.0", "2", "null", R"("2.0 ")"}) {
      CAPTURE(version);
      auto e = rejection(std::string(R"({"id":"abc","method":"ping","jsonrpc":)") +
                         std::string(version) + "}");
      REQUIRE(e);
      CHECK(e->code() == kInvalidRequest);
      CHECK(e->id() == json::value("abc"));
    }
  }

  TEST_CASE("a wrong \"jsonrpc\" on a response keeps the response's id on the error") {
    auto e = rejection(R"({"jsonrpc":"1.0","id":3,"result":{}})");
    REQUIRE(e);
    CHECK(e->code() == kInvalidRequest);
    CHECK(e->id() == json::value(3));
  }

  TEST_CASE("a JSON value that is not an object is an invalid request, not a parse error") {
    for (std::string_view text : {"[]", "42", R"("hello")", "null", "true"}) {
      CAPTURE(text);
      auto e = rejection(text);
      REQUIRE(e);
      CHECK(e->code() == kInvalidRequest);
    }
  }

  TEST_CASE("a method that is not a string is invalid") {
    auto e = rejection(R"({"jsonrpc":"2.0","id":1,"method":42})");
    REQUIRE(e);
    CHECK(e->code() == kInvalidRequest);
    CHECK(e->id() == json::value(1));
  }

  TEST_CASE("params that are not an object are invalid and the id is kept") {
    for (std::string_view params : {"[1,2]", R"("x")", "3", "null", "true"}) {
      CAPTURE(params);
      auto e = rejection(std::string(R"({"jsonrpc":"2.0","id":9,"method":"ping","params":)") +
                         std::string(params) + "}");
      REQUIRE(e);
      CHECK(e->code() == kInvalidRequest);
      CHECK(e->id() == json::value(9));
    }
  }

  TEST_CASE("a notification with params that are not an object is invalid") {
    auto e = rejection(R"({"jsonrpc":"2.0","method":"notifications/progress","params":[1]})");
    REQUIRE(e);
    CHECK(e->code() == kInvalidRequest);
  }

  // --- responses ------------------------------------------------------------------------------

  TEST_CASE("a response with both result and error is invalid and keeps its id") {
    auto e = rejection(
        R"({"jsonrpc":"2.0","id":4,"result":{},"error":{"code":-1,"message":"x"}})");
    REQUIRE(e);
    CHECK(e->code() == kInvalidRequest);
    CHECK(e->id() == json::value(4));
  }

  TEST_CASE("a response with neither result nor error is invalid and keeps its id") {
    auto e = rejection(R"({"jsonrpc":"2.0","id":"q"})");
    REQUIRE(e);
    CHECK(e->code() == kInvalidRequest);
    CHECK(e->id() == json::value("q"));
  }

  TEST_CASE("an error without an integer code is invalid") {
    for (std::string_view error :
         {R"({"message":"no code"})", R"({"code":"-32600","message":"x"})",
          R"({"code":1.5,"message":"x"})", R"({"code":null,"message":"x"})", R"("oops")", "42",
          "null"}) {
      CAPTURE(error);
      auto e = rejection(std::string(R"({"jsonrpc":"2.0","id":8,"error":)") + std::string(error) +
                         "}");
      REQUIRE(e);
      CHECK(e->code() == kInvalidRequest);
      CHECK(e->id() == json::value(8));
    }
  }

  // --- malformed JSON -------------------------------------------------------------------------

  TEST_CASE("malformed JSON is a parse error with no id") {
    for (std::string_view text :
         {R"({"jsonrpc":"2.0","id":1,"method":"ping")", R"({"jsonrpc":"2.0","id":1,"meth)",
          R"({"jsonrpc":"2.0","id":1,"method":"ping"} garbage)",
          R"({"jsonrpc":"2.0","id":1,"method":"ping"}{})", "", "   ", "{", "not json",
          R"({'jsonrpc':'2.0'})"}) {
      CAPTURE(text);
      auto e = rejection(text);
      REQUIRE(e);
      CHECK(e->code() == kParseError);
      CHECK(e->id().is_null());
    }
  }

  TEST_CASE("a number too large for a double is an invalid request that keeps its id, not an Infinity sent on") {
    // Boost.JSON reads these as infinity and would serialize them as `Infinity` (not JSON).
    struct Case {
      std::string_view text;
      json::value id;
    };
    for (const Case& c : {Case{R"({"jsonrpc":"2.0","id":1,"result":{"n":[1e308123490]}})", 1},
                          Case{R"({"jsonrpc":"2.0","id":"c","method":"tools/call","params":{"arguments":{"x":-1E400}}})", "c"},
                          Case{R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"n","params":{"a":{"b":2e999}}}])", nullptr}}) {
      CAPTURE(c.text);
      auto e = rejection(c.text);
      REQUIRE(e);
      CHECK(e->code() == kInvalidRequest);
      CHECK(e->id() == c.id);
      CHECK_THROWS_AS(mcproxy::mcp::parse_json(c.text), ProtocolError);
    }
    // The largest finite doubles, and tiny ones, still pass and serialize back to JSON.
    Message m = parse_message(R"({"jsonrpc":"2.0","id":1,"result":{"n":[1.7976931348623157e308,1e-400,-0.0]}})");
    CHECK(parse_message(json::serialize(m.body())).kind() == MessageKind::result);
  }

  TEST_CASE("surrounding whitespace and a trailing newline are not garbage") {
    Message m = parse_message(" \t{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}\r\n");
    CHECK(m.is_request());
  }

  // --- unknown fields travel on ---------------------------------------------------------------

  TEST_CASE("unknown top-level fields and _meta are preserved in body()") {
    Message m = parse_message(R"({
      "jsonrpc": "2.0", "id": 11, "method": "tools/call",
      "params": {"name": "echo", "arguments": {"x": 1}, "_meta": {"progressToken": "t-1"}},
      "_meta": {"trace": "abc"},
      "x-vendor": [1, {"deep": true}]
    })");
    const json::object& body = m.body();
    CHECK(body.at("_meta") == json::parse(R"({"trace":"abc"})"));
    CHECK(body.at("x-vendor") == json::parse(R"([1,{"deep":true}])"));
    CHECK(m.params().at("_meta").at("progressToken") == "t-1");
    CHECK(json::value(body) == json::parse(R"({
      "jsonrpc": "2.0", "id": 11, "method": "tools/call",
      "params": {"name": "echo", "arguments": {"x": 1}, "_meta": {"progressToken": "t-1"}},
      "_meta": {"trace": "abc"},
      "x-vendor": [1, {"deep": true}]
    })"));
  }

  TEST_CASE("unknown fields on a result are preserved in body()") {
    Message m = parse_message(R"({"jsonrpc":"2.0","id":1,"result":{"_meta":{"k":1}},"extra":2})");
    CHECK(m.body().at("extra") == 2);
    CHECK(m.result().at("_meta").at("k") == 1);
  }

  // --- building messages ----------------------------------------------------------------------

  TEST_CASE("make_error with a null id writes \"id\": null and the error object") {
    json::object e =
        mcproxy::mcp::make_error(nullptr, kParseError, "Parse error: unexpected end");
    CHECK(json::value(e) == json::parse(R"({"jsonrpc":"2.0","id":null,
      "error":{"code":-32700,"message":"Parse error: unexpected end"}})"));
    // ...and what it builds is itself a valid error response.
    Message m = parse_message(json::serialize(e));
    CHECK(m.kind() == MessageKind::error);
    CHECK(m.id().is_null());
  }

  TEST_CASE("make_error from an McpError carries data and keeps the id") {
    McpError err(-32002, "Resource not found", json::parse(R"({"uri":"file:///x"})"));
    json::object e = mcproxy::mcp::make_error("req-1", err);
    CHECK(e.at("id") == "req-1");
    CHECK(e.at("error") ==
          json::parse(R"({"code":-32002,"message":"Resource not found","data":{"uri":"file:///x"}})"));
  }

  TEST_CASE("make_request, make_notification and make_result build messages that parse back") {
    Message req = parse_message(json::serialize(
        mcproxy::mcp::make_request(3, "tools/list", json::object{{"cursor", "c"}})));
    CHECK(req.is_request());
    CHECK(req.id() == json::value(3));
    CHECK(req.params().at("cursor") == "c");

    Message note =
        parse_message(json::serialize(mcproxy::mcp::make_notification("notifications/x", {})));
    CHECK(note.is_notification());
    CHECK_FALSE(note.body().contains("params"));

    Message res = parse_message(json::serialize(mcproxy::mcp::make_result("z", json::object{})));
    CHECK(res.kind() == MessageKind::result);
    CHECK(res.id() == json::value("z"));
  }

  TEST_CASE("McpError::from_error_object round-trips code, message and data") {
    json::object original = json::parse(
        R"({"code":-32602,"message":"Unknown tool: nope","data":{"tool":"nope","hints":[1,2]}})")
                                .as_object();
    McpError e = McpError::from_error_object(original);
    CHECK(e.code() == -32602);
    CHECK(std::string(e.what()) == "Unknown tool: nope");
    CHECK(e.data() == original.at("data"));
    CHECK(e.to_error_object() == original);
  }

  TEST_CASE("McpError::from_error_object without data round-trips without a data member") {
    json::object original = json::parse(R"({"code":-1,"message":"boom"})").as_object();
    McpError e = McpError::from_error_object(original);
    CHECK(e.code() == -1);
    CHECK(e.data().is_null());
    CHECK(e.to_error_object() == original);
  }

  TEST_CASE("McpError::from_error_object keeps data that is a bare string or number") {
    for (std::string_view data : {R"("text")", "0", "false"}) {
      CAPTURE(data);
      json::object original =
          json::parse(std::string(R"({"code":5,"message":"m","data":)") + std::string(data) + "}")
              .as_object();
      CHECK(McpError::from_error_object(original).to_error_object() == original);
    }
  }

  TEST_CASE("McpError::from_error_object fills in a missing code and message") {
    McpError e = McpError::from_error_object(json::object{});
    CHECK(e.code() == mcproxy::mcp::error_code::kInternalError);
    CHECK_FALSE(std::string(e.what()).empty());
  }
}

namespace {

std::string nested(std::size_t depth, std::string_view id = "7") {
  std::string inner;
  for (std::size_t i = 0; i < depth; ++i) inner += "[";
  for (std::size_t i = 0; i < depth; ++i) inner += "]";
  return std::string(R"({"jsonrpc":"2.0","id":)") + std::string(id) + R"(,"result":{"x":)" + inner + "}}";
}

}  // namespace

TEST_SUITE("JSON depth limit") {
  TEST_CASE("a message nested up to the limit parses; one level more is refused with its id") {
    mcproxy::mcp::set_max_json_depth(64);
    // Top object + "result" object + the arrays.
    CHECK_NOTHROW(mcproxy::mcp::parse_message(nested(62)));
    try {
      mcproxy::mcp::parse_message(nested(63));
      FAIL("a 65-level message was accepted");
    } catch (const mcproxy::mcp::ProtocolError& e) {
      CHECK(e.code() == mcproxy::mcp::error_code::kInvalidRequest);
      CHECK(std::string(e.what()).find("maxJsonDepth") != std::string::npos);
      CHECK(e.id() == json::value(7));
    }
  }

  TEST_CASE("the limit is configurable") {
    mcproxy::mcp::set_max_json_depth(200);
    CHECK_NOTHROW(mcproxy::mcp::parse_message(nested(150)));
    mcproxy::mcp::set_max_json_depth(mcproxy::mcp::kDefaultMaxJsonDepth);
    CHECK_THROWS_AS(mcproxy::mcp::parse_message(nested(150)), mcproxy::mcp::ProtocolError);
  }

  TEST_CASE("peek_envelope reads the id of a text nested far deeper than any limit") {
    auto deep = nested(100'000, R"("abc")");
    auto e = mcproxy::mcp::peek_envelope(deep);
    CHECK(e.id == json::value("abc"));
    CHECK_FALSE(e.has_method);
    auto request = mcproxy::mcp::peek_envelope(R"({"params":{"id":1,"method":"x"},"method":"m","id":42})");
    CHECK(request.id == json::value(42));  // the nested "id" is not the envelope's
    CHECK(request.has_method);
  }

  TEST_CASE("peek_envelope and a too-deep message never recurse per level (a stack overflow before)") {
    // Found by the sanitizer tree: Boost.JSON's basic_parser recursed once per level, so a
    // client's few MB of '[' crashed the proxy through parse_json's error path.
    std::string brackets(8u << 20, '[');
    CHECK(mcproxy::mcp::peek_envelope(brackets).id.is_null());
    auto e = rejection(R"({"jsonrpc":"2.0","method":"x","params":)" + brackets);
    REQUIRE(e);
    CHECK(e->code() == kInvalidRequest);
    auto deep = std::string(R"({"jsonrpc":"2.0","result":)") + std::string(1'000'000, '[') +
                std::string(1'000'000, ']') + R"(,"id":"after"})";
    auto after = rejection(deep);
    REQUIRE(after);
    CHECK(after->id() == json::value("after"));
  }

  TEST_CASE("peek_envelope reads keys and ids as JSON does") {
    CHECK(mcproxy::mcp::peek_envelope(R"({"method":)").has_method);
    CHECK(mcproxy::mcp::peek_envelope(R"( { "\u0069d" : "esc\"aped" , "x":"}" } )").id == json::value("esc\"aped"));
    CHECK(mcproxy::mcp::peek_envelope(R"({"a":"{[\"","id":18446744073709551615})").id == json::value(18446744073709551615ull));
    CHECK(mcproxy::mcp::peek_envelope(R"({"id":1.5})").id.is_null());
    CHECK(mcproxy::mcp::peek_envelope(R"([{"id":1}])").id.is_null());
    CHECK_FALSE(mcproxy::mcp::peek_envelope(R"({"result":{"method":"x"},"id":3})").has_method);
  }

  TEST_CASE("peek_envelope of broken text gives no id") {
    CHECK(mcproxy::mcp::peek_envelope("not json").id.is_null());
    CHECK(mcproxy::mcp::peek_envelope(R"({"id":)").id.is_null());
    CHECK(mcproxy::mcp::peek_envelope(R"({"id":[1]})").id.is_null());
  }
}
