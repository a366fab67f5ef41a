// description_enricher: prefix/suffix with {name} and {server}, full overrides, prompts on
// request; every listing is enriched from the inner service's own answer, so listing again
// never accumulates text.

#include "support_middleware.hpp"

#include <boost/json.hpp>

#include <doctest/doctest.h>

namespace {

namespace json = boost::json;
using namespace mcproxy::test;

std::shared_ptr<ScriptedService> backend() {
  auto inner = std::make_shared<ScriptedService>();
  // The same stored result is answered every time.
  inner->on("tools/list", json::parse(R"({"tools": [
      {"name": "everything__echo", "description": "Echoes back the input", "inputSchema": {"type": "object"}},
      {"name": "everything__add", "description": "Adds two numbers"},
      {"name": "memory__read_graph"}], "nextCursor": "n"})"));
  inner->on("prompts/list", json::parse(R"({"prompts": [{"name": "simple_prompt", "description": "A prompt"}]})"));
  inner->on("tools/call", json::object{});
  return inner;
}

std::string description(const json::value& result, std::size_t i, std::string_view key = "tools") {
  auto* d = result.at(key).at(i).as_object().if_contains("description");
  return d && d->is_string() ? std::string(d->get_string()) : "<none>";
}

}  // namespace

TEST_SUITE("description_enricher") {
  // --- config -----------------------------------------------------------------------------------

  TEST_CASE("a good config is accepted") {
    CHECK(proxy_problems("description_enricher", "{}").empty());
    CHECK(proxy_problems("description_enricher", R"J({"prefix": "[{server}] ", "suffix": " ({name})",
        "overrides": {"a": "b"}, "prompts": true})J")
              .empty());
  }

  TEST_CASE("a bad config is an error at its path") {
    auto problems = proxy_problems("description_enricher", R"({"prefix": 1, "suffix": [], "overrides": {"a": 2},
                                                               "prompts": "yes"})");
    auto base = std::string(kProxyConfigPath);
    CHECK(contains(problem_at(problems, base + ".prefix"), "expected a string"));
    CHECK(contains(problem_at(problems, base + ".suffix"), "expected a string"));
    CHECK(contains(problem_at(problems, base + ".overrides.a"), "expected a string"));
    CHECK(contains(problem_at(problems, base + ".prompts"), "expected true or false"));
    CHECK(problems.size() == 4);
    CHECK(contains(problem_at(proxy_problems("description_enricher", R"({"overrides": []})"), base + ".overrides"),
                   "expected an object"));
  }

  TEST_CASE("an unknown key is an error") {
    auto problems = proxy_problems("description_enricher", R"({"prefx": "x"})");
    REQUIRE(problems.size() == 1);
    CHECK(contains(problem_at(problems, std::string(kProxyConfigPath) + ".prefx"), "did you mean \"prefix\""));
  }

  TEST_CASE("it is a proxy middleware") {
    auto problems = client_problems("description_enricher", "{}");
    REQUIRE(problems.size() == 1);
    CHECK(contains(problems[0], "is a proxy middleware"));
  }

  // --- behaviour --------------------------------------------------------------------------------

  TEST_CASE("prefix and suffix expand {name}; {server} is empty without a session") {
    auto inner = backend();
    auto chain = proxy_chain("description_enricher", R"J({"prefix": "[{server}] {name}: ", "suffix": " ({name}, {other})"})J", inner);
    json::value result = request(*chain, "tools/list", json::object{{"cursor", "c"}});
    CHECK(description(result, 0) == "[] everything__echo: Echoes back the input (everything__echo, {other})");
    CHECK(description(result, 1) == "[] everything__add: Adds two numbers (everything__add, {other})");
    CHECK(description(result, 2) == "[] memory__read_graph:  (memory__read_graph, {other})");
    // Everything else is left alone.
    CHECK(names(result) == "everything__echo,everything__add,memory__read_graph");
    CHECK(result.at("tools").at(0).at("inputSchema") == json::value(json::object{{"type", "object"}}));
    CHECK(result.at("nextCursor") == "n");
    CHECK(inner->calls.back().params.at("cursor") == "c");
  }

  TEST_CASE("{server} names the server the session's catalogue routes the name to") {
    RequestContext ctx;
    auto session = std::make_shared<TestSession>();
    session->tool_servers = {{"everything__echo", "everything"}, {"memory__read_graph", "memory"}};
    ctx.session = session;
    auto chain = proxy_chain("description_enricher", R"({"prefix": "<{server}>"})", backend());
    json::value result = request(*chain, "tools/list", {}, &ctx);
    CHECK(description(result, 0) == "<everything>Echoes back the input");
    CHECK(description(result, 1) == "<>Adds two numbers");  // not in the session's catalogue
    CHECK(description(result, 2) == "<memory>");
  }

  TEST_CASE("overrides replace the description; prefix and suffix still apply") {
    auto chain = proxy_chain("description_enricher",
                             R"({"overrides": {"everything__add": "Sum of a and b"}, "suffix": "!"})", backend());
    json::value result = request(*chain, "tools/list");
    CHECK(description(result, 0) == "Echoes back the input!");
    CHECK(description(result, 1) == "Sum of a and b!");
  }

  TEST_CASE("each listing is enriched afresh: no accumulation over repeated lists") {
    auto inner = backend();
    auto chain = proxy_chain("description_enricher", R"({"prefix": "P:", "suffix": ":S"})", inner);
    for (int i = 0; i < 3; ++i) {
      json::value result = request(*chain, "tools/list");
      CHECK(description(result, 0) == "P:Echoes back the input:S");
    }
    CHECK(inner->count("tools/list") == 3);
  }

  TEST_CASE("prompts are enriched only with \"prompts\": true") {
    auto off = proxy_chain("description_enricher", R"({"prefix": "P:"})", backend());
    CHECK(description(request(*off, "prompts/list"), 0, "prompts") == "A prompt");

    auto on = proxy_chain("description_enricher", R"({"prefix": "P:", "suffix": " [{name}]", "prompts": true})", backend());
    CHECK(description(request(*on, "prompts/list"), 0, "prompts") == "P:A prompt [simple_prompt]");
  }

  TEST_CASE("other methods pass through untouched") {
    auto inner = backend();
    auto chain = proxy_chain("description_enricher", R"({"prefix": "P:"})", inner);
    call_tool(*chain, "everything__echo", json::object{{"message", "hi"}});
    CHECK(inner->calls.back().method == "tools/call");
    CHECK(inner->calls.back().params.at("name") == "everything__echo");
  }
}
