// The requestState the era bridge signs: what it binds, and every way a forged, altered, stale
// or foreign one is refused; the bridge's config section.
#include "config/config.hpp"
#include "proxy/modern_results.hpp"
#include "proxy/request_state.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <string>
#include <variant>

using namespace mcproxy;
namespace json = boost::json;
using proxy::RequestStateClaims;
using proxy::RequestStateSigner;

namespace {

const std::string kKey(40, 'k');

RequestStateClaims claims(std::chrono::system_clock::time_point expires) {
  RequestStateClaims c;
  c.suspension = "0123456789abcdef";
  c.instance = "inst-a";
  c.expires_ms = std::chrono::duration_cast<std::chrono::milliseconds>(expires.time_since_epoch()).count();
  c.identity = RequestStateSigner::identity_digest("alice");
  c.method = "tools/call";
  c.name = "everything__echo";
  return c;
}

std::string refusal(const std::variant<RequestStateClaims, std::string>& v) {
  auto* s = std::get_if<std::string>(&v);
  return s ? *s : std::string();
}

}  // namespace

TEST_CASE("a state round-trips its claims under the same key and no other") {
  auto now = std::chrono::system_clock::now();
  RequestStateSigner signer(kKey);
  auto state = signer.mint(claims(now + std::chrono::minutes(5)));
  CHECK(RequestStateSigner::ours(state));
  auto verdict = signer.verify(state, now);
  REQUIRE(std::holds_alternative<RequestStateClaims>(verdict));
  auto& got = std::get<RequestStateClaims>(verdict);
  CHECK(got.suspension == "0123456789abcdef");
  CHECK(got.instance == "inst-a");
  CHECK(got.method == "tools/call");
  CHECK(got.name == "everything__echo");
  CHECK(got.identity == RequestStateSigner::identity_digest("alice"));
  CHECK(got.identity != RequestStateSigner::identity_digest("bob"));
  CHECK(state.find("alice") == std::string::npos);  // the identity travels as a digest only

  // Another instance with the same key accepts it (several instances behind one balancer);
  // one with another key, or a random one, does not.
  CHECK(std::holds_alternative<RequestStateClaims>(RequestStateSigner(kKey).verify(state, now)));
  CHECK(refusal(RequestStateSigner(std::string(40, 'x')).verify(state, now)).find("altered") != std::string::npos);
  CHECK(!refusal(RequestStateSigner("").verify(state, now)).empty());
}

TEST_CASE("altered, expired, oversized and foreign states are refused with a reason") {
  auto now = std::chrono::system_clock::now();
  RequestStateSigner signer(kKey);
  auto state = signer.mint(claims(now + std::chrono::minutes(5)));

  // Any changed character in the claims breaks the signature.
  auto dot = state.rfind('.');
  std::string altered = state;
  altered[dot - 2] = altered[dot - 2] == 'A' ? 'B' : 'A';
  CHECK(refusal(signer.verify(altered, now)).find("altered") != std::string::npos);
  CHECK(!refusal(signer.verify(state + "-TAMPERED", now)).empty());
  CHECK(!refusal(signer.verify(state.substr(0, dot), now)).empty());

  CHECK(refusal(signer.verify(state, now + std::chrono::minutes(6))).find("expired") != std::string::npos);
  CHECK(refusal(signer.verify(std::string(5000, 'a'), now)).find("longer") != std::string::npos);
  CHECK(!RequestStateSigner::ours("a-backend's-own-state"));
  CHECK(refusal(signer.verify("a-backend's-own-state", now)).find("not one MCProxy minted") != std::string::npos);
  CHECK(!refusal(signer.verify("mcpx1.", now)).empty());
  CHECK(!refusal(signer.verify("mcpx1.!!!.???", now)).empty());
}

TEST_CASE("a -32042 URL elicitation becomes the input_required a stateless client can answer") {
  json::value data = json::parse(R"({"elicitations": [{"mode": "url", "elicitationId": "e1",
      "url": "https://login.example/authorize", "message": "Sign in"}]})");
  auto asked = proxy::url_elicitation_as_input(data);
  REQUIRE(asked);
  auto& r = asked->as_object();
  CHECK(r.at("resultType") == "input_required");
  CHECK(!r.contains("requestState"));
  auto& request = r.at("inputRequests").as_object().begin()->value().as_object();
  CHECK(request.at("method") == "elicitation/create");
  CHECK(request.at("params").as_object().at("mode") == "url");
  CHECK(request.at("params").as_object().at("url") == "https://login.example/authorize");
  CHECK(!request.at("params").as_object().contains("elicitationId"));  // not part of the 2026-07-28 shape
  CHECK(!proxy::url_elicitation_as_input(json::parse(R"({"elicitations": []})")));
  CHECK(!proxy::url_elicitation_as_input(json::value(nullptr)));
}

TEST_CASE("the bridge section: a short key and bad bounds are refused by path") {
  auto parse = [](std::string_view text) { return config::parse_config(json::parse(text)); };
  auto ok = parse(R"({"mcpServers": {"a": {"command": "x"}},
                      "bridge": {"stateKey": "0123456789abcdef0123456789abcdef", "inputTimeoutMs": 60000, "maxWaiting": 10}})");
  CHECK(ok.bridge.state_key.size() == 32);
  CHECK(ok.bridge.input_timeout == std::chrono::seconds(60));
  CHECK(ok.bridge.max_waiting == 10);
  CHECK(parse(R"({"mcpServers": {"a": {"command": "x"}}})").bridge.state_key.empty());
  auto refused = [&](std::string_view bridge, std::string_view path) {
    try {
      parse(std::string(R"({"mcpServers": {"a": {"command": "x"}}, "bridge": )") + std::string(bridge) + "}");
      return false;
    } catch (const config::ConfigError& e) {
      return std::string(e.what()).find(path) != std::string::npos;
    }
  };
  CHECK(refused(R"({"stateKey": "short"})", "bridge.stateKey"));
  CHECK(refused(R"({"inputTimeoutMs": 10})", "bridge.inputTimeoutMs"));
  CHECK(refused(R"({"maxWaiting": 0})", "bridge.maxWaiting"));
  CHECK(refused(R"({"stateKeys": "x"})", "bridge.stateKeys"));
}
