// Revision 2026-07-28 at the edge: the per-request envelope, the standard headers against the
// body (with the Base64 sentinel form), and what a stateless client's results gain.
#include "mcp/error.hpp"
#include "mcp/modern_envelope.hpp"
#include "proxy/modern_results.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

using namespace mcproxy;
namespace json = boost::json;

namespace {

json::object params_with(json::object meta, json::object rest = {}) {
  rest["_meta"] = std::move(meta);
  return rest;
}

json::object envelope(std::string_view version = "2026-07-28") {
  return json::object{{"io.modelcontextprotocol/protocolVersion", version},
                      {"io.modelcontextprotocol/clientCapabilities", json::object{{"sampling", json::object{}}}},
                      {"io.modelcontextprotocol/clientInfo", json::object{{"name", "t"}, {"version", "1"}}},
                      {"progressToken", 3}};
}

}  // namespace

TEST_CASE("a request claims the stateless era by naming a protocol version in _meta") {
  CHECK(mcp::claims_modern_era(params_with(envelope())));
  CHECK_FALSE(mcp::claims_modern_era(params_with(json::object{{"progressToken", 1}})));
  CHECK_FALSE(mcp::claims_modern_era(json::object{}));
}

TEST_CASE("the envelope: version, capabilities, info and log level; refusals with the spec's codes") {
  auto read = mcp::read_modern_envelope(params_with(envelope()));
  REQUIRE(std::holds_alternative<mcp::ModernEnvelope>(read));
  auto& e = std::get<mcp::ModernEnvelope>(read);
  CHECK(e.version == "2026-07-28");
  CHECK(e.client_capabilities.contains("sampling"));
  CHECK(e.client_info.at("name").as_string() == "t");
  CHECK(e.log_level.empty());

  auto unknown = mcp::read_modern_envelope(params_with(envelope("2099-01-01")));
  REQUIRE(std::holds_alternative<mcp::EdgeRejection>(unknown));
  auto& r = std::get<mcp::EdgeRejection>(unknown);
  CHECK(r.code == mcp::error_code::kUnsupportedProtocolVersion);
  CHECK(r.status == 400);
  CHECK(r.data.at("requested").as_string() == "2099-01-01");
  CHECK(r.data.at("supported").as_array().at(0).as_string() == "2026-07-28");

  auto no_caps = envelope();
  no_caps.erase("io.modelcontextprotocol/clientCapabilities");
  auto missing = mcp::read_modern_envelope(params_with(no_caps));
  REQUIRE(std::holds_alternative<mcp::EdgeRejection>(missing));
  CHECK(std::get<mcp::EdgeRejection>(missing).code == mcp::error_code::kInvalidParams);

  auto bad_level = envelope();
  bad_level["io.modelcontextprotocol/logLevel"] = "loud";
  CHECK(std::holds_alternative<mcp::EdgeRejection>(mcp::read_modern_envelope(params_with(bad_level))));
  auto level = envelope();
  level["io.modelcontextprotocol/logLevel"] = "warning";
  CHECK(std::get<mcp::ModernEnvelope>(mcp::read_modern_envelope(params_with(level))).log_level == "warning");
}

TEST_CASE("stripping the envelope keeps the rest of _meta") {
  auto p = params_with(envelope(), json::object{{"name", "x"}});
  mcp::strip_modern_envelope(p);
  CHECK(p.at("_meta").as_object().size() == 1);
  CHECK(p.at("_meta").as_object().contains("progressToken"));
  auto only = params_with(json::object{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"}});
  mcp::strip_modern_envelope(only);
  CHECK_FALSE(only.contains("_meta"));
}

TEST_CASE("header values: plain ASCII as it is, anything else in the canonical Base64 sentinel form") {
  CHECK(mcp::encode_header_value("get_weather") == "get_weather");
  CHECK(mcp::encode_header_value("café") == "=?base64?Y2Fmw6k=?=");
  CHECK(mcp::encode_header_value(" padded") == "=?base64?IHBhZGRlZA==?=");
  CHECK(mcp::decode_header_value("=?base64?Y2Fmw6k=?=") == std::optional<std::string>("café"));
  CHECK(mcp::decode_header_value("plain") == std::optional<std::string>("plain"));
  for (std::string_view text : {"a", "ab", "abc", "abcd", "日本語のツール", "x\ny"})
    CHECK(mcp::decode_header_value(mcp::encode_header_value(text)) == std::optional<std::string>(std::string(text)));
  CHECK_FALSE(mcp::decode_header_value("=?base64?Y2Fmw6k?=").has_value());   // not padded
  CHECK_FALSE(mcp::decode_header_value("=?base64?Y2_mw6k=?=").has_value());  // base64url alphabet
  CHECK_FALSE(mcp::decode_header_value("=?base64?Y2Fm=w6k?=").has_value());  // padding inside
  CHECK_FALSE(mcp::decode_header_value("=?base64?Y2Fmw6l=?=").has_value());  // non-zero spare bits
}

TEST_CASE("the standard headers must agree with the body: -32020 naming both sides") {
  json::object call{{"name", "weather__get"}, {"arguments", json::object{}}};
  auto check = [&](std::optional<std::string_view> version, std::optional<std::string_view> method,
                   std::optional<std::string_view> name) {
    return mcp::check_standard_headers({version, method, name}, "tools/call", call, "2026-07-28");
  };
  CHECK_FALSE(check("2026-07-28", "tools/call", "weather__get").has_value());
  CHECK_FALSE(check(" 2026-07-28 ", "tools/call", "=?base64?d2VhdGhlcl9fZ2V0?=").has_value());
  for (auto r : {check(std::nullopt, "tools/call", "weather__get"), check("2025-11-25", "tools/call", "weather__get"),
                 check("2026-07-28", std::nullopt, "weather__get"), check("2026-07-28", "tools/list", "weather__get"),
                 check("2026-07-28", "tools/call", std::nullopt), check("2026-07-28", "tools/call", "other"),
                 check("2026-07-28", "tools/call", "=?base64?!!!!?=")}) {
    REQUIRE(r.has_value());
    CHECK(r->code == mcp::error_code::kHeaderMismatch);
    CHECK(r->status == 400);
    CHECK(r->data.at("mismatch").as_object().contains("header"));
  }
  // A method with no name source needs no Mcp-Name.
  CHECK_FALSE(mcp::check_standard_headers({"2026-07-28", "tools/list", std::nullopt}, "tools/list", {}, "2026-07-28"));
  CHECK(mcp::mcp_name_source("resources/read") == "uri");
}

TEST_CASE("a stateless client's results say resultType, how long to cache and for whom, and who answered") {
  json::value list = json::object{{"tools", json::array{}}};
  proxy::adapt_result_for_modern("tools/list", list, {"private", 0});
  CHECK(list.at("resultType").as_string() == "complete");
  CHECK(list.at("ttlMs").as_int64() == 0);
  CHECK(list.at("cacheScope").as_string() == "private");
  CHECK(list.at("_meta").at("io.modelcontextprotocol/serverInfo").at("name").as_string() == "mcproxy");

  json::value call = json::object{{"content", json::array{}}, {"resultType", "input_required"}};
  proxy::adapt_result_for_modern("tools/call", call, {"public", 0});
  CHECK(call.at("resultType").as_string() == "input_required");  // never overwritten
  CHECK_FALSE(call.as_object().contains("ttlMs"));  // only cacheable results say it

  // A result one backend built keeps that backend's lifetime, never a wider scope than the view.
  json::value wide = json::object{{"ttlMs", 60000}, {"cacheScope", "public"}};
  proxy::adapt_result_for_modern("resources/read", wide, {"private", 5000});
  CHECK(wide.at("ttlMs").as_int64() == 60000);
  CHECK(wide.at("cacheScope").as_string() == "private");
  json::value bad = json::object{{"ttlMs", -1}};
  proxy::adapt_result_for_modern("resources/read", bad, {"public", 0});
  CHECK(bad.at("ttlMs").as_int64() == 0);
  // A list the proxy merged says the proxy's own lifetime, whatever a page said.
  json::value merged = json::object{{"tools", json::array{}}, {"ttlMs", 60000}};
  proxy::adapt_result_for_modern("tools/list", merged, {"public", 1500});
  CHECK(merged.at("ttlMs").as_int64() == 1500);

  CHECK(proxy::modern_error_code(mcp::error_code::kResourceNotFound) == mcp::error_code::kInvalidParams);
  CHECK(proxy::modern_error_code(mcp::error_code::kMethodNotFound) == mcp::error_code::kMethodNotFound);
}

TEST_CASE("server/discover lists every revision, keeps list changes and subscriptions (subscriptions/listen), drops tasks") {
  json::object caps{{"tools", json::object{{"listChanged", true}}},
                    {"resources", json::object{{"subscribe", true}, {"listChanged", true}}},
                    {"tasks", json::object{}},
                    {"logging", json::object{}}};
  auto r = proxy::discover_result(caps, "hello", {"public", 0});
  auto& versions = r.at("supportedVersions").as_array();
  CHECK(versions.at(0).as_string() == "2026-07-28");
  CHECK(std::find(versions.begin(), versions.end(), json::value("2025-11-25")) != versions.end());
  CHECK(r.at("capabilities").at("tools").at("listChanged") == true);
  CHECK(r.at("capabilities").at("resources").at("subscribe") == true);
  CHECK(r.at("capabilities").at("resources").at("listChanged") == true);
  CHECK_FALSE(r.at("capabilities").as_object().contains("tasks"));
  CHECK(r.at("capabilities").as_object().contains("logging"));
  CHECK(r.at("instructions").as_string() == "hello");
  CHECK(r.at("resultType").as_string() == "complete");
}

TEST_CASE("Mcp-Param-*: what a tool's schema marks is mirrored, and checked against the headers") {
  auto schema = json::parse(R"({"type": "object", "properties": {
      "region": {"type": "string", "x-mcp-header": "Region"},
      "count": {"type": "integer", "x-mcp-header": "Count"},
      "nested": {"type": "object", "x-mcp-header": "Nested"},
      "plain": {"type": "string"}}})").as_object();
  auto args = json::parse(R"({"region": "eu-west", "count": 3, "nested": {"a": 1}, "plain": "x"})").as_object();
  auto expected = mcp::param_headers(schema, args);
  REQUIRE(expected.size() == 2);  // objects are not mirrored, unmarked ones neither
  CHECK(expected[0].name == "Region");
  CHECK(expected[0].value == "eu-west");
  CHECK(expected[1].value == "3");
  CHECK(mcp::param_headers(schema, json::object{}).empty());  // nothing set, nothing expected

  using H = std::vector<mcp::ParamHeader>;
  CHECK(!mcp::check_param_headers(expected, H{{"region", "eu-west"}, {"COUNT", " 3 "}}));  // names case-insensitive, OWS trimmed
  CHECK(!mcp::check_param_headers(expected, H{{"Region", "=?base64?ZXUtd2VzdA==?="}, {"Count", "3"}}));
  auto missing = mcp::check_param_headers(expected, H{{"Region", "eu-west"}});
  REQUIRE(missing);
  CHECK(missing->status == 400);
  CHECK(missing->code == mcp::error_code::kHeaderMismatch);
  CHECK(mcp::check_param_headers(expected, H{{"Region", "us-east"}, {"Count", "3"}}));
  CHECK(mcp::check_param_headers(expected, H{{"Region", "=?base64?ZXUtd2VzdA?="}, {"Count", "3"}}));  // bad padding
}
