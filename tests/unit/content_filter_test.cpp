// The detectors (true and false positives of each, Luhn and IBAN checksums) and content_filter's
// work on results: redaction in every text field, replace rules, control characters, budgets.
#include "config/json_reader.hpp"
#include "middleware/client/content_filter.hpp"
#include "middleware/detectors.hpp"
#include "middleware/registry.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <string>

using namespace mcproxy::middleware;
namespace json = boost::json;

namespace {

std::string redacted(std::string_view text, std::vector<Detector> only = {kAllDetectors.begin(), kAllDetectors.end()}) {
  DetectorSet set(std::move(only));
  auto out = set.redact(text, nullptr);
  return out ? *out : std::string(text);
}

}  // namespace

TEST_CASE("checksums: Luhn and IBAN mod 97") {
  CHECK(luhn_valid("4111111111111111"));
  CHECK(luhn_valid("79927398713"));
  CHECK_FALSE(luhn_valid("4111111111111112"));
  CHECK_FALSE(luhn_valid("41111111x1111111"));
  CHECK(iban_valid("GB82WEST12345698765432"));
  CHECK(iban_valid("DE89370400440532013000"));
  CHECK(iban_valid("FR1420041010050500013M02606"));
  CHECK_FALSE(iban_valid("GB82WEST12345698765433"));
  CHECK_FALSE(iban_valid("GB82WEST123"));
}

TEST_CASE("detectors: each kind found, and look-alikes left alone") {
  CHECK(redacted("write to alice.smith+mcp@example.co.uk today") == "write to [REDACTED:email] today");
  CHECK(redacted("card 4111 1111 1111 1111, exp 12/29") == "card [REDACTED:credit-card], exp 12/29");
  CHECK(redacted("card 4111-1111-1111-1111.") == "card [REDACTED:credit-card].");
  CHECK(redacted("not a card 4111 1111 1111 1112") == "not a card 4111 1111 1111 1112");
  CHECK(redacted("IBAN GB82 WEST 1234 5698 7654 32 please") == "IBAN [REDACTED:iban] please");
  CHECK(redacted("IBAN GB82 WEST 1234 5698 7654 33 please") == "IBAN GB82 WEST 1234 5698 7654 33 please");
  CHECK(redacted("host 192.168.1.20 is up") == "host [REDACTED:ipv4] is up");
  CHECK(redacted("version 999.1.1.1 and 1.2.3.4.5") == "version 999.1.1.1 and 1.2.3.4.5");
  CHECK(redacted("v6 2001:db8::1 and fe80::1ff:fe23:4567:890a.") == "v6 [REDACTED:ipv6] and [REDACTED:ipv6].");
  CHECK(redacted("at 12:30:45 in std::vector") == "at 12:30:45 in std::vector");
  CHECK(redacted("call +1 415 555 0100 or (415) 555-0100 or 415-555-0100") ==
        "call [REDACTED:phone] or [REDACTED:phone] or [REDACTED:phone]");
  CHECK(redacted("on 2026-12-02, order 12345678, build 1.2.3") == "on 2026-12-02, order 12345678, build 1.2.3");
  CHECK(redacted("key AKIAIOSFODNN7EXAMPLE ok") == "key [REDACTED:secret] ok");
  CHECK(redacted("token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB") == "token [REDACTED:secret]");
  // Only the kinds asked for.
  CHECK(redacted("alice@example.com 192.168.1.20", {Detector::ipv4}) == "alice@example.com [REDACTED:ipv4]");
  // Counts per kind.
  DetectorSet all;
  std::array<std::size_t, kDetectorCount> counts{};
  all.redact("a@b.io c@d.io 10.0.0.1", &counts);
  CHECK(counts[static_cast<std::size_t>(Detector::email)] == 2);
  CHECK(counts[static_cast<std::size_t>(Detector::ipv4)] == 1);
  CHECK_FALSE(all.redact("nothing to see here", nullptr));
}

TEST_CASE("strip_control: ANSI sequences and control characters go, tab/newline stay") {
  std::size_t removed = 0;
  CHECK(strip_control("\x1b[1;31mred\x1b[0m\tok\n\x07" "bell\x1b]0;title\x07" "end\x7f", &removed) == "red\tok\nbellend");
  CHECK(removed > 0);
  CHECK(strip_control("plain é text") == "plain é text");
}

namespace {

std::shared_ptr<const ContentFilterConfig> config_of(json::object cfg) {
  mcproxy::config::JsonReader reader;
  auto* reg = Registry::instance().find("content_filter");
  REQUIRE(reg);
  auto maker = reg->factory(cfg, reader, "m.config");
  REQUIRE(reader.errors().empty());
  REQUIRE(maker);
  // The maker's config, rebuilt the same way for filter_result (the middleware holds its own).
  auto out = std::make_shared<ContentFilterConfig>();
  if (auto* r = cfg.if_contains("maxBytes")) out->max_bytes = static_cast<std::size_t>(r->as_int64());
  return out;
}

}  // namespace

TEST_CASE("content_filter: redacts text, embedded resources and structured content; cuts to the budget") {
  ContentFilterConfig cfg;
  json::value result = json::parse(R"({
    "content": [
      {"type": "text", "text": "mail bob@example.com \u001b[32mnow\u001b[0m"},
      {"type": "image", "data": "bob@example.com-is-base64", "mimeType": "image/png"},
      {"type": "resource", "resource": {"uri": "x://1", "text": "card 4111111111111111"}}
    ],
    "structuredContent": {"owner": {"email": "bob@example.com"}, "n": 3}
  })");
  FilterCounts counts;
  filter_result(cfg, mcproxy::mcp::Method::tools_call, result, counts);
  auto& content = result.at("content").as_array();
  CHECK(content[0].at("text").as_string() == "mail [REDACTED:email] now");
  CHECK(content[1].at("data").as_string() == "bob@example.com-is-base64");  // not text
  CHECK(content[2].at("resource").at("text").as_string() == "card [REDACTED:credit-card]");
  CHECK(result.at("structuredContent").at("owner").at("email").as_string() == "[REDACTED:email]");
  CHECK(counts.redacted[static_cast<std::size_t>(Detector::email)] == 2);

  ContentFilterConfig budget;
  budget.detectors = DetectorSet(std::vector<Detector>{});
  budget.max_bytes = 10;
  json::value big = json::parse(R"({"content": [{"type": "text", "text": "0123456é89"}, {"type": "text", "text": "more text"}]})");
  FilterCounts cut;
  filter_result(budget, mcproxy::mcp::Method::tools_call, big, cut);
  std::string first(big.at("content").at(0).at("text").as_string());
  CHECK(first.rfind("0123456", 0) == 0);
  CHECK(first.find("\xc3\n") == std::string::npos);  // never half a UTF-8 character
  CHECK(first.find("[MCProxy content_filter: ") != std::string::npos);
  CHECK(first.find("bytes cut (maxBytes 10)") != std::string::npos);
  CHECK(big.at("content").at(1).at("text").as_string() == "");
  CHECK(cut.truncated_bytes == 11 + 9 - 10);
}

TEST_CASE("content_filter config: rules, detectors and budgets read, mistakes named by path") {
  config_of(json::object{{"redact", json::array{"email"}},
                         {"rules", json::array{json::object{{"pattern", "ticket-([0-9]+)"}, {"replace", "ticket-#\\1"}}}},
                         {"maxBytes", 4096}});
  mcproxy::config::JsonReader reader;
  auto* reg = Registry::instance().find("content_filter");
  reg->factory(json::object{{"redact", json::array{"emails"}}, {"maxBytes", 1}, {"bogus", true},
                            {"rules", json::array{json::object{{"pattern", "("}}}}},
               reader, "m.config");
  std::string all;
  for (auto& e : reader.errors()) all += e + "\n";
  CHECK(all.find("m.config.redact[0]") != std::string::npos);
  CHECK(all.find("m.config.maxBytes") != std::string::npos);
  CHECK(all.find("m.config.bogus") != std::string::npos);
  CHECK(all.find("m.config.rules[0].pattern") != std::string::npos);
}

TEST_CASE("content_filter: a replace rule with a group, in prompt messages and resource contents") {
  mcproxy::config::JsonReader reader;
  auto compiled = Pattern::compile_regex("ticket-([0-9]+)", reader, "p");
  REQUIRE(compiled);
  ContentFilterConfig cfg;
  cfg.detectors = DetectorSet(std::vector<Detector>{});
  cfg.rules.push_back({"tickets", std::make_shared<const Pattern>(std::move(*compiled)), "T#\\1"});
  json::value prompt = json::parse(R"({"messages": [{"role": "user", "content": {"type": "text", "text": "see ticket-42 and ticket-7"}}]})");
  FilterCounts counts;
  filter_result(cfg, mcproxy::mcp::Method::prompts_get, prompt, counts);
  CHECK(prompt.at("messages").at(0).at("content").at("text").as_string() == "see T#42 and T#7");
  CHECK(counts.rules[0] == 2);
  json::value read = json::parse(R"({"contents": [{"uri": "x://a", "text": "ticket-1"}]})");
  filter_result(cfg, mcproxy::mcp::Method::resources_read, read, counts);
  CHECK(read.at("contents").at(0).at("text").as_string() == "T#1");
}
