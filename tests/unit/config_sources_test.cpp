// Config sources: YAML gives the same config as JSON; a credentials file supplies ${VAR}s.
#include "config/config.hpp"

#include <boost/json.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace mcproxy::config;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / "mcproxy-config-sources-test";
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_SUITE("config sources") {
  TEST_CASE("a YAML config and its JSON twin give the same config") {
    auto json_path = write_temp("twin.json", R"({
      "mcpServers": {
        "fs": {"command": "npx", "args": ["-y", "server", "/data"], "env": {"A": "1"}, "requestTimeoutMs": 1500},
        "remote": {"url": "https://example.com/mcp", "type": "sse", "tls": {"insecure": true}}
      },
      "httpServer": {"port": 9000, "middleware": {"proxy": [{"type": "tool_search", "config": {"maxTools": 5}}]}},
      "naming": {"prefix": "on-conflict"}
    })");
    auto yaml_path = write_temp("twin.yaml", R"(
mcpServers:
  fs:
    command: npx
    args: ["-y", server, /data]
    env: {A: "1"}
    requestTimeoutMs: 1500
  remote:
    url: https://example.com/mcp
    type: sse
    tls:
      insecure: true
httpServer:
  port: 9000
  middleware:
    proxy:
      - type: tool_search
        config: {maxTools: 5}
naming:
  prefix: on-conflict
)");
    Config a = load_config_file(json_path);
    Config b = load_config_file(yaml_path);
    REQUIRE(a.servers.size() == 2);
    REQUIRE(b.servers.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
      CHECK(a.servers[i].name == b.servers[i].name);
      CHECK(a.servers[i].command == b.servers[i].command);
      CHECK(a.servers[i].args == b.servers[i].args);
      CHECK(a.servers[i].env == b.servers[i].env);
      CHECK(a.servers[i].url == b.servers[i].url);
      CHECK(a.servers[i].transport == b.servers[i].transport);
      CHECK(a.servers[i].request_timeout == b.servers[i].request_timeout);
      CHECK(a.servers[i].tls_insecure == b.servers[i].tls_insecure);
    }
    CHECK(b.http.port == 9000);
    CHECK(b.naming.mode == PrefixMode::on_conflict);
    REQUIRE(b.middleware.proxy.size() == 1);
    CHECK(boost::json::value(b.middleware.proxy[0].config) == boost::json::value(a.middleware.proxy[0].config));
    CHECK(b.servers[0].env[0].second == "1");  // a quoted YAML scalar stays a string
  }

  TEST_CASE("a YAML type error has the same JSON path as in JSON") {
    auto path = write_temp("bad.yaml", "mcpServers:\n  fs:\n    command: npx\n    args: [a, 3]\n");
    try {
      load_config_file(path);
      FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      REQUIRE(e.problems().size() == 1);
      CHECK(e.problems()[0] == "mcpServers.fs.args[1]: expected a string, found number 3");
    }
  }

  TEST_CASE("invalid YAML names the line") {
    auto path = write_temp("syntax.yaml", "mcpServers:\n  fs: [unclosed\n");
    try {
      load_config_file(path);
      FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      CHECK(std::string(e.what()).find("not valid YAML") != std::string::npos);
      CHECK(std::string(e.what()).find("line ") != std::string::npos);
    }
  }

  TEST_CASE("a credentials file supplies variables; the environment wins") {
    auto creds = write_temp("credentials.json", R"({"MCPROXY_UT_CRED_TOKEN": "from-file", "MCPROXY_UT_CRED_BOTH": "file"})");
    ::setenv("MCPROXY_UT_CRED_BOTH", "env", 1);
    ::unsetenv("MCPROXY_UT_CRED_TOKEN");
    auto path = write_temp("uses-creds.json", R"({"mcpServers": {"r": {"url": "https://x/mcp",
      "headers": {"A": "${MCPROXY_UT_CRED_TOKEN}", "B": "${MCPROXY_UT_CRED_BOTH}"}}}})");
    Config c = load_config_file(path, load_credentials_file(creds));
    REQUIRE(c.servers[0].headers.size() == 2);
    CHECK(c.servers[0].headers[0].second == "from-file");
    CHECK(c.servers[0].headers[1].second == "env");
    ::unsetenv("MCPROXY_UT_CRED_BOTH");
    // Without the credentials, the variable is missing: an error naming it and where.
    try {
      load_config_file(path);
      FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      CHECK(std::string(e.what()).find("mcpServers.r.headers.A: environment variable MCPROXY_UT_CRED_TOKEN is not set") !=
            std::string::npos);
    }
  }

  TEST_CASE("a credentials file must be an object of strings") {
    auto creds = write_temp("bad-credentials.json", R"({"A": 1})");
    CHECK_THROWS_AS(load_credentials_file(creds), ConfigError);
  }

  TEST_CASE("two server names that give the same tool prefix are an error") {
    try {
      parse_config(boost::json::parse(R"({"mcpServers": {"my server": {"command": "a"}, "my_server": {"command": "b"}}})"));
      FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      REQUIRE(e.problems().size() == 1);
      CHECK(e.problems()[0].find("both become \"my_server\"") != std::string::npos);
    }
  }
}
