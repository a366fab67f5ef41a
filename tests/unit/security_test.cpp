// security: rules over tool calls (whole arguments or named fields, negated allow-lists, block
// or warn, scoped to tools by pattern), built-in rules only when the preset is named, and
// scanning of results for secrets (redact or block).

#include "mcp/error.hpp"
#include "middleware/client/security.hpp"
#include "support_middleware.hpp"

#include <boost/json.hpp>

#include <doctest/doctest.h>

namespace {

namespace json = boost::json;
using namespace mcproxy::test;
namespace ec = mcproxy::mcp::error_code;

std::shared_ptr<ScriptedService> backend(json::value call_result = json::parse(
                                             R"({"content": [{"type": "text", "text": "ok"}]})")) {
  auto inner = std::make_shared<ScriptedService>();
  inner->on("tools/call", std::move(call_result));
  inner->on("tools/list", json::parse(R"({"tools": [{"name": "read_file"}]})"));
  return inner;
}

// The error a call gets, or nullopt when it goes through.
std::optional<mcproxy::mcp::McpError> refusal(mcproxy::middleware::Service& chain, std::string tool,
                                              json::object arguments) {
  return error_of([&] { call_tool(chain, std::move(tool), std::move(arguments)); });
}

}  // namespace

TEST_SUITE("security") {
  // --- config -----------------------------------------------------------------------------------

  TEST_CASE("a good config is accepted") {
    CHECK(client_problems("security", "{}").empty());
    CHECK(client_problems("security", R"({
        "preset": "default",
        "rules": [
          {"name": "no-etc", "tools": "read_*", "arguments": "/etc/", "action": "warn", "message": "m"},
          {"name": "in-tmp", "tools": ["read_*", "write_*"], "arguments": {"path": "^/tmp/"}, "negate": true}
        ],
        "scanResults": {"action": "block", "patterns": ["SECRET-[0-9]+"]}})")
              .empty());
  }

  TEST_CASE("a bad config is an error at its path") {
    auto problems = client_problems("security", R"({
        "preset": "strict",
        "rules": [{"arguments": "x"}, {"name": "r", "action": "deny", "negate": 1, "arguments": {"path": 3}}, 5],
        "scanResults": {"action": "hide", "patterns": "x"}})");
    auto base = std::string(kClientConfigPath);
    CHECK(contains(problem_at(problems, base + ".preset"), "expected \"default\""));
    CHECK(contains(problem_at(problems, base + ".rules[0]"), "expected a \"name\""));
    CHECK(contains(problem_at(problems, base + ".rules[1].action"), "expected \"block\" or \"warn\""));
    CHECK(contains(problem_at(problems, base + ".rules[1].negate"), "expected true or false"));
    CHECK(contains(problem_at(problems, base + ".rules[1].arguments.path"), "expected a regular expression string"));
    CHECK(contains(problem_at(problems, base + ".rules[2]"), "expected an object"));
    CHECK(contains(problem_at(problems, base + ".scanResults.action"), "expected \"redact\" or \"block\""));
    CHECK(contains(problem_at(problems, base + ".scanResults.patterns"), "expected an array"));
    CHECK(problems.size() == 8);
  }

  TEST_CASE("an unknown key is an error, at the top, in a rule and in scanResults") {
    auto problems = client_problems("security", R"({"rulez": [], "rules": [{"name": "a", "tool": "x"}],
                                                    "scanResults": {"pattern": []}})");
    auto base = std::string(kClientConfigPath);
    CHECK(contains(problem_at(problems, base + ".rulez"), "did you mean \"rules\""));
    CHECK(contains(problem_at(problems, base + ".rules[0].tool"), "did you mean \"tools\""));
    CHECK(contains(problem_at(problems, base + ".scanResults.pattern"), "did you mean \"patterns\""));
    CHECK(problems.size() == 3);
  }

  TEST_CASE("an invalid regex is a config error with its path") {
    auto problems = client_problems("security", R"({
        "rules": [{"name": "a", "arguments": "(unclosed"}, {"name": "b", "arguments": {"path": "[z-a]"}},
                  {"name": "c", "tools": ["re:*"]}],
        "scanResults": {"patterns": ["ok", "(?P<"]}})");
    auto base = std::string(kClientConfigPath);
    CHECK(contains(problem_at(problems, base + ".rules[0].arguments"), "expected a valid pattern"));
    CHECK(contains(problem_at(problems, base + ".rules[1].arguments.path"), "expected a valid pattern"));
    CHECK(contains(problem_at(problems, base + ".rules[2].tools[0]"), "expected a valid pattern"));
    CHECK(contains(problem_at(problems, base + ".scanResults.patterns[1]"), "expected a valid pattern"));
    CHECK(problems.size() == 4);
  }

  // --- rules ------------------------------------------------------------------------------------

  TEST_CASE("a rule over the whole arguments blocks with -32602 naming the rule; the backend is not called") {
    auto inner = backend();
    auto chain = client_chain("security", R"({"rules": [{"name": "no-etc", "arguments": "/etc/",
                                                          "message": "stay out of /etc"}]})", inner);
    auto error = refusal(*chain, "read_file", json::object{{"path", "/etc/shadow"}});
    REQUIRE(error);
    CHECK(error->code() == ec::kInvalidParams);
    CHECK(contains(error->what(), "no-etc"));
    CHECK(contains(error->what(), "stay out of /etc"));
    CHECK(error->data().at("rule") == "no-etc");
    CHECK(error->data().at("tool") == "read_file");
    CHECK(inner->count("tools/call") == 0);

    // The regex is searched in the JSON text of every argument, nested ones too.
    CHECK(refusal(*chain, "copy", json::parse(R"({"options": {"to": ["/tmp/a", "/etc/b"]}})").as_object()));
    CHECK(inner->count("tools/call") == 0);

    CHECK_FALSE(refusal(*chain, "read_file", json::object{{"path", "/home/me/etc.txt"}}));
    CHECK(inner->count("tools/call") == 1);
    CHECK(inner->calls.back().params.at("arguments").at("path") == "/home/me/etc.txt");
  }

  TEST_CASE("a field rule looks only at its field") {
    auto inner = backend();
    auto chain = client_chain("security", R"({"rules": [{"name": "no-rm", "arguments": {"command": "\\brm\\s"}}]})", inner);
    CHECK(refusal(*chain, "run", json::object{{"command", "rm -rf /"}}));
    CHECK_FALSE(refusal(*chain, "run", json::object{{"command", "ls"}, {"note", "rm -rf /"}}));
    CHECK_FALSE(refusal(*chain, "run", json::object{{"note", "rm -rf /"}}));
    // A field that is not a string is matched on its JSON text.
    auto numbers = client_chain("security", R"({"rules": [{"name": "big", "arguments": {"count": "^[0-9]{4,}$"}}]})", inner);
    CHECK(refusal(*numbers, "t", json::object{{"count", 12345}}));
    CHECK_FALSE(refusal(*numbers, "t", json::object{{"count", 12}}));
  }

  TEST_CASE("a negated field rule is an allow-list: blocks outside, allows inside") {
    auto inner = backend();
    auto chain = client_chain("security", R"({"rules": [{"name": "only-workspace", "tools": ["read_*", "write_*"],
        "arguments": {"path": "^/workspace/"}, "negate": true}]})", inner);
    auto outside = refusal(*chain, "read_file", json::object{{"path", "/etc/passwd"}});
    REQUIRE(outside);
    CHECK(contains(outside->what(), "only-workspace"));
    CHECK(refusal(*chain, "write_file", json::object{{"path", "/home/me/x"}}));
    CHECK(refusal(*chain, "read_file", json::object{}));  // a missing field is outside too
    CHECK(inner->count("tools/call") == 0);

    CHECK_FALSE(refusal(*chain, "read_file", json::object{{"path", "/workspace/src/main.cpp"}}));
    CHECK_FALSE(refusal(*chain, "list_directory", json::object{{"path", "/etc"}}));  // not in "tools"
    CHECK(inner->count("tools/call") == 2);
  }

  TEST_CASE("a rule without arguments applies to every call of its tools") {
    auto inner = backend();
    auto chain = client_chain("security", R"({"rules": [{"name": "no-deletes", "tools": "delete_*",
                                                          "message": "deleting is not allowed"}]})", inner);
    auto error = refusal(*chain, "delete_file", json::object{{"path", "/tmp/x"}});
    REQUIRE(error);
    CHECK(contains(error->what(), "Blocked by security rule 'no-deletes': deleting is not allowed"));
    CHECK_FALSE(refusal(*chain, "read_file", json::object{{"path", "/tmp/x"}}));
    CHECK(inner->count("tools/call") == 1);
  }

  TEST_CASE("negate without arguments is a config error") {
    auto problems = client_problems("security", R"({"rules": [{"name": "x", "negate": true}]})");
    REQUIRE(problems.size() == 1);
    CHECK(contains(problem_at(problems, std::string(kClientConfigPath) + ".rules[0].negate"), "expected \"arguments\""));
  }

  TEST_CASE("a warn rule lets the call through") {
    auto inner = backend();
    auto chain = client_chain("security", R"({"rules": [{"name": "curious", "arguments": "passwd", "action": "warn"}]})", inner);
    json::value result = call_tool(*chain, "read_file", json::object{{"path", "/etc/passwd"}});
    CHECK(result.at("content").at(0).at("text") == "ok");
    CHECK(inner->count("tools/call") == 1);
  }

  TEST_CASE("a rule applies only to the tools its patterns name") {
    auto inner = backend();
    auto chain = client_chain("security", R"({"rules": [{"name": "no-secrets-written", "tools": "write_*",
                                                          "arguments": "secret"}]})", inner);
    CHECK(refusal(*chain, "write_file", json::object{{"content", "my secret"}}));
    CHECK_FALSE(refusal(*chain, "read_file", json::object{{"path", "secret.txt"}}));
    CHECK_FALSE(refusal(*chain, "xwrite_file", json::object{{"content", "secret"}}));  // globs match whole names
  }

  TEST_CASE("the default preset applies only when named") {
    auto inner = backend();
    auto none = client_chain("security", "{}", inner);
    CHECK_FALSE(refusal(*none, "read_file", json::object{{"path", "../../etc/passwd"}}));
    auto rules_only = client_chain("security", R"({"rules": [{"name": "x", "arguments": "zzz"}]})", inner);
    CHECK_FALSE(refusal(*rules_only, "read_file", json::object{{"path", "../secret"}}));

    auto preset = client_chain("security", R"({"preset": "default"})", inner);
    auto traversal = refusal(*preset, "read_file", json::object{{"path", "../secret"}});
    REQUIRE(traversal);
    CHECK(contains(traversal->what(), "path-traversal"));
    auto system = refusal(*preset, "read_file", json::object{{"path", "/etc/shadow"}});
    REQUIRE(system);
    CHECK(contains(system->what(), "system-files"));
    CHECK(refusal(*preset, "run", json::object{{"cmd", "ls; rm -rf /"}}));
    CHECK(refusal(*preset, "send", json::object{{"body", "-----BEGIN RSA PRIVATE KEY-----\nMII..."}}));
    CHECK_FALSE(refusal(*preset, "read_file", json::object{{"path", "docs/notes..md"}}));
    CHECK_FALSE(refusal(*preset, "read_file", json::object{{"path", "/workspace/readme.md"}}));
  }

  TEST_CASE("paths are matched resolved too: //, /./ and .. do not slip past the preset") {
    auto inner = backend();
    auto preset = client_chain("security", R"({"preset": "default"})", inner);
    for (auto path : {"/etc//passwd", "/etc/./passwd", "/home/me/.ssh/./id_rsa", "/srv/x/../../etc/shadow",
                      "file:///etc//shadow", "C:\\x\\..\\..\\etc\\passwd"}) {
      CAPTURE(path);
      CHECK(refusal(*preset, "read_file", json::object{{"path", path}}));
    }
    CHECK_FALSE(refusal(*preset, "read_file", json::object{{"path", "/workspace//docs/./readme.md"}}));
  }

  TEST_CASE("an allow-list holds for the resolved path: .. cannot climb out of it") {
    auto inner = backend();
    auto chain = client_chain("security", R"({"rules": [{"name": "data-only", "tools": "read_*",
        "arguments": {"path": "^/srv/data/"}, "negate": true}]})", inner);
    CHECK(refusal(*chain, "read_file", json::object{{"path", "/srv/data/../../etc/shadow"}}));
    CHECK(refusal(*chain, "read_file", json::object{{"path", "/srv/data/../private/x"}}));
    CHECK_FALSE(refusal(*chain, "read_file", json::object{{"path", "/srv/data/a/../b.txt"}}));
    CHECK_FALSE(refusal(*chain, "read_file", json::object{{"path", "/srv//data/c.txt"}}));
  }

  TEST_CASE("normalize_path resolves lexically and leaves other text alone") {
    using mcproxy::middleware::normalize_path;
    CHECK(normalize_path("/a//b/./c/../d") == "/a/b/d");
    CHECK(normalize_path("/../../etc") == "/etc");
    CHECK(normalize_path("a/../../b") == "../b");
    CHECK(normalize_path("dir/") == "dir/");
    CHECK(normalize_path("file:///a/./b") == "file:///a/b");
    CHECK(normalize_path("no slashes here") == "no slashes here");
    CHECK(normalize_path("/") == "/");
  }

  // --- results ----------------------------------------------------------------------------------

  TEST_CASE("scanResults redact replaces an AWS key in a text block") {
    auto inner = backend(json::parse(R"({"content": [
        {"type": "text", "text": "key=AKIAABCDEFGHIJKLMNOP; region=eu"},
        {"type": "image", "data": "AKIAABCDEFGHIJKLMNOP", "mimeType": "image/png"},
        {"type": "text", "text": "nothing here"}]})"));
    auto chain = client_chain("security", R"({"scanResults": {"action": "redact"}})", inner);
    json::value result = call_tool(*chain, "get_config");
    auto& content = result.at("content").as_array();
    CHECK(content.at(0).at("text") == "key=[REDACTED]; region=eu");
    CHECK(content.at(2).at("text") == "nothing here");
  }

  TEST_CASE("scanResults with custom patterns; redact is the default action") {
    auto inner = backend(json::parse(R"({"content": [{"type": "text", "text": "a SECRET-123 and SECRET-456"}]})"));
    auto chain = client_chain("security", R"({"scanResults": {"patterns": ["SECRET-[0-9]+"]}})", inner);
    json::value result = call_tool(*chain, "t");
    CHECK(result.at("content").at(0).at("text") == "a [REDACTED] and [REDACTED]");
  }

  TEST_CASE("scanResults block mode refuses a result with a secret") {
    auto inner = backend(json::parse(R"({"content": [{"type": "text", "text": "token ghp_abcdefghijklmnopqrstuvwxyz0123456789AB"}]})"));
    auto chain = client_chain("security", R"({"scanResults": {"action": "block"}})", inner);
    auto error = refusal(*chain, "t", {});
    REQUIRE(error);
    CHECK(error->code() == ec::kInternalError);
    CHECK(contains(error->what(), "secret"));
    CHECK(inner->count("tools/call") == 1);  // the backend ran; its result is withheld
  }

  TEST_CASE("without scanResults, results are not touched") {
    auto inner = backend(json::parse(R"({"content": [{"type": "text", "text": "AKIAABCDEFGHIJKLMNOP"}]})"));
    auto chain = client_chain("security", R"({"rules": []})", inner);
    CHECK(call_tool(*chain, "t").at("content").at(0).at("text") == "AKIAABCDEFGHIJKLMNOP");
  }

  // BUG: scan() only looks at content[*].text. A tool result's structuredContent (MCP
  // 2025-06-18) and embedded resources (content[*].resource.text) reach the client with the
  // secret intact, even in redact or block mode.
  TEST_CASE("scanResults also covers structuredContent and embedded resources") {
    auto inner = backend(json::parse(R"({
        "content": [{"type": "text", "text": "see structured"},
                    {"type": "resource", "resource": {"uri": "file:///creds", "text": "aws=AKIAABCDEFGHIJKLMNOP"}}],
        "structuredContent": {"aws": "AKIAABCDEFGHIJKLMNOP"}})"));
    auto chain = client_chain("security", R"({"scanResults": {"action": "redact"}})", inner);
    json::value result = call_tool(*chain, "t");
    CHECK_FALSE(contains(json::serialize(result), "AKIAABCDEFGHIJKLMNOP"));

    auto blocking = client_chain("security", R"({"scanResults": {"action": "block"}})", inner);
    CHECK(refusal(*blocking, "t", {}));
  }

  TEST_CASE("other methods pass through") {
    auto inner = backend();
    auto chain = client_chain("security", R"({"preset": "default"})", inner);
    CHECK(names(request(*chain, "tools/list")) == "read_file");
  }
}
