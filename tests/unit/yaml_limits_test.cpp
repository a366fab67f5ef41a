// YAML configs are bounded before yaml-cpp and the JSON conversion recurse into them: at most
// 64 levels of nesting (flow or block), aliases included, and a bound on what aliases expand to.
// Each refusal is a ConfigError that names the limit, never a crash.
#include "config/config.hpp"

#include <boost/json.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace mcproxy::config;

namespace {

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// {"x": [[...[1]...]]} with `levels` collections in all (the outer map included).
std::string flow_nesting(int levels) {
  return "x: " + repeat("[", levels - 1) + "1" + repeat("]", levels - 1) + "\n";
}

// a0: / a1: / ... one map per level, each indented one more space.
std::string block_nesting(int levels) {
  std::string text;
  for (int i = 0; i < levels - 1; ++i) text += std::string(i, ' ') + "a" + std::to_string(i) + ":\n";
  text += std::string(levels - 1, ' ') + "leaf: 1\n";
  return text;
}

std::string refusal(const std::string& text) {
  try {
    yaml_to_json(text, "deep.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

int depth_of(const boost::json::value& v) {
  int inner = 0;
  if (v.is_array())
    for (auto& x : v.get_array()) inner = std::max(inner, depth_of(x));
  else if (v.is_object())
    for (auto& [k, x] : v.get_object()) inner = std::max(inner, depth_of(x));
  else
    return 0;
  return inner + 1;
}

}  // namespace

TEST_SUITE("YAML limits") {
  TEST_CASE("64 levels of flow nesting are read; 65 are refused with the limit named") {
    auto v = yaml_to_json(flow_nesting(64), "deep.yaml");
    CHECK(depth_of(v) == 64);
    auto what = refusal(flow_nesting(65));
    CHECK(what.find("nested deeper than 64 levels") != std::string::npos);
    CHECK(what.find("deep.yaml") != std::string::npos);
    CHECK(what.find("line 1") != std::string::npos);
  }

  TEST_CASE("64 levels of block nesting are read; 65 are refused") {
    auto v = yaml_to_json(block_nesting(64), "deep.yaml");
    CHECK(depth_of(v) == 64);
    CHECK(refusal(block_nesting(65)).find("nested deeper than 64 levels") != std::string::npos);
  }

  TEST_CASE("compact nested sequences on one line count level by level") {
    // "- - - x": each "- " opens a sequence inside the previous one.
    CHECK(refusal("x:\n  " + repeat("- ", 70) + "leaf\n").find("64 levels") != std::string::npos);
    CHECK(depth_of(yaml_to_json("x:\n  " + repeat("- ", 63) + "leaf\n", "ok.yaml")) == 64);
  }

  TEST_CASE("far deeper nesting is refused too, without exhausting the stack") {
    CHECK(refusal(flow_nesting(100000)).find("64 levels") != std::string::npos);
    CHECK(refusal(repeat("- ", 100000) + "x\n").find("64 levels") != std::string::npos);
  }

  TEST_CASE("an alias inside its own anchor is refused, not followed forever") {
    CHECK(refusal("a: &x [*x]\n").find("once aliases are expanded") != std::string::npos);
    CHECK(refusal("a: &m {self: *m}\n").find("once aliases are expanded") != std::string::npos);
  }

  TEST_CASE("aliases that multiply are bounded") {
    // Nine levels of nine aliases each expand to 9^9 values.
    std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 9; ++i) {
      std::string prev = "*l" + std::to_string(i - 1);
      text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev;
      for (int j = 1; j < 9; ++j) text += ", " + prev;
      text += "]\n";
    }
    CHECK(refusal(text).find("values once aliases are expanded") != std::string::npos);
  }

  TEST_CASE("anchors and aliases within the limits still work") {
    auto v = yaml_to_json("base: &b {command: node}\nmcpServers: {a: *b, c: *b}\n", "ok.yaml");
    CHECK(v.at("mcpServers").at("a").at("command") == "node");
    CHECK(v.at("mcpServers").at("c") == v.at("base"));
  }
}
