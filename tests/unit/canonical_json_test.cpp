// support/canonical_json: RFC 8785 (JCS). The expected texts are the RFC's own examples: its
// number table (Appendix B, IEEE-754 bit patterns and their ECMAScript form), its string and
// whole-document example (§3.2.4) and its member-sorting example (§3.2.3), whose names differ
// in UTF-16 order from their code point order.
#include "support/canonical_json.hpp"

#include <boost/json.hpp>

#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <string>

namespace json = boost::json;
using mcproxy::support::canonical_json;

namespace {

std::string of_bits(std::uint64_t bits) { return canonical_json(json::value(std::bit_cast<double>(bits))); }
std::string of_text(std::string_view text) { return canonical_json(json::parse(text)); }

}  // namespace

TEST_CASE("canonical_json: numbers as ECMAScript writes them (RFC 8785 Appendix B)") {
  CHECK(of_bits(0x0000000000000000) == "0");
  CHECK(of_bits(0x8000000000000000) == "0");  // minus zero
  CHECK(of_bits(0x0000000000000001) == "5e-324");
  CHECK(of_bits(0x8000000000000001) == "-5e-324");
  CHECK(of_bits(0x7fefffffffffffff) == "1.7976931348623157e+308");
  CHECK(of_bits(0xffefffffffffffff) == "-1.7976931348623157e+308");
  CHECK(of_bits(0x4340000000000000) == "9007199254740992");
  CHECK(of_bits(0xc340000000000000) == "-9007199254740992");
  CHECK(of_bits(0x4430000000000000) == "295147905179352830000");
  CHECK(of_bits(0x44b52d02c7e14af5) == "9.999999999999997e+22");
  CHECK(of_bits(0x44b52d02c7e14af6) == "1e+23");
  CHECK(of_bits(0x44b52d02c7e14af7) == "1.0000000000000001e+23");
  CHECK(of_bits(0x444b1ae4d6e2ef4e) == "999999999999999700000");
  CHECK(of_bits(0x444b1ae4d6e2ef4f) == "999999999999999900000");
  CHECK(of_bits(0x444b1ae4d6e2ef50) == "1e+21");
  CHECK(of_bits(0x3eb0c6f7a0b5ed8c) == "9.999999999999997e-7");
  CHECK(of_bits(0x3eb0c6f7a0b5ed8d) == "0.000001");
  CHECK(of_bits(0x41b3de4355555553) == "333333333.3333332");
  CHECK(of_bits(0x41b3de4355555554) == "333333333.33333325");
  CHECK(of_bits(0x41b3de4355555555) == "333333333.3333333");
  CHECK(of_bits(0x41b3de4355555556) == "333333333.3333334");
  CHECK(of_bits(0x41b3de4355555557) == "333333333.33333343");
  CHECK(of_bits(0xbecbf647612f3696) == "-0.0000033333333333333333");
  CHECK(of_bits(0x43143ff3c1cb0959) == "1424953923781206.2");
}

TEST_CASE("canonical_json: number spellings that mean the same value write the same") {
  CHECK(of_text("[1, 1.0, 1e0, 10E-1, -0, -0.0, 0e5]") == "[1,1,1,1,0,0,0]");
  CHECK(of_text("[4.50, 2e-3, 1E30, 0.000000000000000000000000001, 1e-7, 1e21, 1e20]") ==
        "[4.5,0.002,1e+30,1e-27,1e-7,1e+21,100000000000000000000]");
  CHECK(of_text("[123.456, -0.5, 1.5e300, 12345678.9]") == "[123.456,-0.5,1.5e+300,12345678.9]");
  // 64-bit integers are below 1e21: exact decimal, not rounded to a double.
  CHECK(canonical_json(json::value(std::numeric_limits<std::int64_t>::min())) == "-9223372036854775808");
  CHECK(canonical_json(json::value(std::numeric_limits<std::uint64_t>::max())) == "18446744073709551615");
  CHECK(canonical_json(json::value(std::int64_t{-42})) == "-42");
}

TEST_CASE("canonical_json: strings escape only quote, backslash and control characters") {
  // RFC 8785 §3.2.4's string: escapes written every way, read back, written minimally.
  CHECK(of_text(R"("\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/")") == "\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"");
  CHECK(of_text(R"("\b\f\n\r\t\u0000\u001f\u007f\u00e9\ud83d\ude00")") ==
        "\"\\b\\f\\n\\r\\t\\u0000\\u001f\x7F\xC3\xA9\xF0\x9F\x98\x80\"");
  CHECK(of_text(R"("</script>")") == R"("</script>")");
}

TEST_CASE("canonical_json: the RFC 8785 §3.2.4 document, literals and nesting") {
  auto document = json::parse(R"({
      "numbers": [0, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    })");
  // Boost.JSON 1.81's parser may round a long decimal literal by one ulp (precise parsing came
  // in 1.83), so the RFC's 333333333.33333329 comes from the compiler, which reads it exactly.
  document.as_object()["numbers"].as_array()[0] = 333333333.33333329;
  CHECK(canonical_json(document) ==
        "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
        "\"string\":\"\xE2\x82\xAC$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
  CHECK(of_text(R"( { "b" : [ { "z" : 1 , "a" : { } } , [ ] ] , "a" : "" } )") ==
        R"({"a":"","b":[{"a":{},"z":1},[]]})");
}

TEST_CASE("canonical_json: member names sort as UTF-16 code units (RFC 8785 §3.2.3)") {
  auto sorted = of_text(R"({
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    })");
  // U+1F600 (UTF-16 D83D DE00) before U+FB33: in code point order it would come last.
  CHECK(sorted ==
        "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
        "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
        "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\",\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}");
  // A prefix sorts first; member order of the input does not matter.
  CHECK(of_text(R"({"ab": 1, "a": 2, "": 3})") == R"({"":3,"a":2,"ab":1})");
  CHECK(of_text(R"({"ab": 1, "a": 2, "": 3})") == of_text(R"({"": 3, "a": 2, "ab": 1})"));
}

TEST_CASE("canonical_json: a string built in code with invalid UTF-8 still has one form") {
  json::object o;
  o["\xFF"] = 1;
  o["\xEF\xBF\xBD"] = 2;  // U+FFFD itself: ties with the invalid byte, then bytes decide
  o["z"] = 3;
  CHECK(canonical_json(o) == "{\"z\":3,\"\xEF\xBF\xBD\":2,\"\xFF\":1}");
}
