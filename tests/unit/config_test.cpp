// parse_config / load_config_file: existing client configs parse unchanged; every problem is
// reported at once with its JSON path; unknown keys warn with a hint; ${VAR} substitution.

#include "config/config.hpp"
#include "config/json_reader.hpp"

#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unistd.h>

// Lets doctest print the lists it compares when a check fails.
template <>
struct doctest::StringMaker<std::vector<std::string>> {
  static doctest::String convert(const std::vector<std::string>& v) {
    std::string out = "{";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
    out += "}";
    return out.c_str();
  }
};

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using mcproxy::config::Config;
using mcproxy::config::ConfigError;
using mcproxy::config::load_config_file;
using mcproxy::config::parse_config;
using mcproxy::config::PrefixMode;
using mcproxy::config::ServerTransport;

using Problems = std::vector<std::string>;

Config parse(std::string_view text) { return parse_config(json::parse(text)); }

// The problems parse_config reports for `text`; empty when it is accepted.
Problems problems_of(std::string_view text) {
  try {
    (void)parse(text);
  } catch (const ConfigError& e) {
    return e.problems();
  }
  return {};
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool any_contains(const std::vector<std::string>& lines, std::string_view needle) {
  for (auto& l : lines)
    if (contains(l, needle)) return true;
  return false;
}

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const char* value) : name_(std::move(name)) {
    if (value) ::setenv(name_.c_str(), value, 1);
    else ::unsetenv(name_.c_str());
  }
  ~ScopedEnv() { ::unsetenv(name_.c_str()); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
};

// A file under the temp directory, removed at the end of the test.
class TempFile {
 public:
  TempFile(std::string_view stem, std::string_view content)
      : path_(fs::temp_directory_path() /
              (std::string(stem) + "-" + std::to_string(::getpid()) + ".json")) {
    std::ofstream out(path_, std::ios::binary);
    out << content;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

}  // namespace

TEST_SUITE("config") {
  // --- formats users already have -------------------------------------------------------------

  TEST_CASE("a Claude Desktop config with command, args and env parses unchanged") {
    Config c = parse(R"({
      "mcpServers": {
        "filesystem": {
          "command": "npx",
          "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]
        },
        "github": {
          "command": "docker",
          "args": ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"],
          "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_x", "LOG_LEVEL": "debug"}
        }
      }
    })");
    REQUIRE(c.servers.size() == 2);
    const auto& fsrv = c.servers[0];
    CHECK(fsrv.name == "filesystem");
    CHECK(fsrv.transport == ServerTransport::stdio);
    CHECK(fsrv.command == "npx");
    CHECK(fsrv.args == std::vector<std::string>{"-y", "@modelcontextprotocol/server-filesystem",
                                                "/Users/me/Desktop"});
    CHECK(fsrv.env.empty());
    CHECK_FALSE(fsrv.disabled);

    const auto& gh = c.servers[1];
    CHECK(gh.name == "github");
    CHECK(gh.command == "docker");
    CHECK(gh.env == std::vector<std::pair<std::string, std::string>>{
                        {"GITHUB_PERSONAL_ACCESS_TOKEN", "ghp_x"}, {"LOG_LEVEL", "debug"}});
    CHECK(c.warnings.empty());
  }

  TEST_CASE("defaults apply when httpServer and naming are absent") {
    Config c = parse(R"({"mcpServers": {"fs": {"command": "npx"}}})");
    CHECK(c.source == "<config>");
    CHECK(c.http.host == "127.0.0.1");
    CHECK(c.http.port == 8080);
    CHECK(c.http.path == "/mcp");
    CHECK(c.naming.mode == PrefixMode::always);
    CHECK(c.naming.separator == "__");
    REQUIRE(c.servers.size() == 1);
    CHECK(c.servers[0].args.empty());
    CHECK(c.servers[0].startup_timeout == std::chrono::milliseconds(60'000));
  }

  TEST_CASE("a VS Code style \"servers\" key with \"inputs\" works") {
    Config c = parse(R"({
      "inputs": [{"type": "promptString", "id": "token", "description": "Token"}],
      "servers": {
        "memory": {"type": "stdio", "command": "npx",
                   "args": ["-y", "@modelcontextprotocol/server-memory"]}
      }
    })");
    REQUIRE(c.servers.size() == 1);
    CHECK(c.servers[0].name == "memory");
    CHECK(c.servers[0].transport == ServerTransport::stdio);
    CHECK(c.servers[0].args.size() == 2);
    CHECK(c.warnings.empty());
  }

  TEST_CASE("MCProxy's own settings are read beside mcpServers") {
    Config c = parse(R"({
      "mcpServers": {"fs": {"command": "npx", "cwd": "/tmp", "disabled": true,
                            "startupTimeoutMs": 5000, "requestTimeoutMs": 1500,
                            "maxMessageBytes": 2048}},
      "httpServer": {"host": "0.0.0.0", "port": 0, "path": "/api/mcp", "maxBodyBytes": 4096,
                     "maxSessions": 10, "sessionIdleTimeoutSeconds": 30,
                     "allowedOrigins": ["https://app.example"], "allowedHosts": ["proxy.local"]},
      "naming": {"prefix": "on-conflict", "separator": "."}
    })");
    REQUIRE(c.servers.size() == 1);
    const auto& s = c.servers[0];
    CHECK(s.cwd == "/tmp");
    CHECK(s.disabled);
    CHECK(s.startup_timeout == std::chrono::milliseconds(5000));
    CHECK(s.request_timeout == std::chrono::milliseconds(1500));
    CHECK(s.max_message_bytes == 2048);
    CHECK(c.http.host == "0.0.0.0");
    CHECK(c.http.port == 0);
    CHECK(c.http.path == "/api/mcp");
    CHECK(c.http.max_body_bytes == 4096);
    CHECK(c.http.max_sessions == 10);
    CHECK(c.http.session_idle_timeout == std::chrono::seconds(30));
    CHECK(c.http.allowed_origins == std::vector<std::string>{"https://app.example"});
    CHECK(c.http.allowed_hosts == std::vector<std::string>{"proxy.local"});
    CHECK(c.naming.mode == PrefixMode::on_conflict);
    CHECK(c.naming.separator == ".");
  }

  TEST_CASE("each naming prefix mode is accepted") {
    CHECK(parse(R"({"mcpServers":{"a":{"command":"x"}},"naming":{"prefix":"always"}})")
              .naming.mode == PrefixMode::always);
    CHECK(parse(R"({"mcpServers":{"a":{"command":"x"}},"naming":{"prefix":"never"}})")
              .naming.mode == PrefixMode::never);
  }

  // --- url entries ----------------------------------------------------------------------------

  TEST_CASE("a url entry without a type is auto-detected") {
    Config c = parse(R"({"mcpServers": {"remote": {"url": "https://mcp.example.com/mcp"}}})");
    REQUIRE(c.servers.size() == 1);
    CHECK(c.servers[0].url == "https://mcp.example.com/mcp");
    CHECK(c.servers[0].transport == ServerTransport::auto_detect);
    CHECK(c.servers[0].command.empty());
  }

  TEST_CASE("a url entry's type selects auto, sse or streamable-http") {
    struct Case {
      std::string_view key;
      std::string_view value;
      ServerTransport expected;
    };
    for (const Case& k : {Case{"type", "auto", ServerTransport::auto_detect},
                          Case{"type", "sse", ServerTransport::sse},
                          Case{"type", "streamable-http", ServerTransport::streamable_http},
                          Case{"type", "http", ServerTransport::streamable_http},
                          Case{"type", "streamableHttp", ServerTransport::streamable_http},
                          Case{"transport", "sse", ServerTransport::sse},
                          Case{"transport", "streamable-http", ServerTransport::streamable_http},
                          Case{"transport", "auto", ServerTransport::auto_detect}}) {
      CAPTURE(k.key);
      CAPTURE(k.value);
      Config c = parse(std::string(R"({"mcpServers":{"r":{"url":"http://127.0.0.1:1/mcp",")") +
                       std::string(k.key) + R"(":")" + std::string(k.value) + R"("}}})");
      REQUIRE(c.servers.size() == 1);
      CHECK(c.servers[0].transport == k.expected);
    }
  }

  TEST_CASE("an unknown url type is an error naming the accepted ones") {
    CHECK(problems_of(R"({"mcpServers":{"r":{"url":"http://h/mcp","type":"websocket"}}})") ==
          Problems{R"(mcpServers.r.type: expected "streamable-http", "sse" or "auto", found )"
                   R"("websocket")"});
  }

  TEST_CASE("a bad \"transport\" value is reported at the transport key's path") {
    // The value was written under "transport", so the message must point there, not at "type".
    Problems url_entry =
        problems_of(R"({"mcpServers":{"r":{"url":"http://h/mcp","transport":"ws"}}})");
    REQUIRE(url_entry.size() == 1);
    INFO(url_entry[0]);
    CHECK(contains(url_entry[0], "mcpServers.r.transport: "));

    Problems command_entry =
        problems_of(R"({"mcpServers":{"s":{"command":"npx","transport":"sse"}}})");
    REQUIRE(command_entry.size() == 1);
    INFO(command_entry[0]);
    CHECK(contains(command_entry[0], "mcpServers.s.transport: "));
  }

  TEST_CASE("a command entry with a non-stdio type is an error") {
    CHECK(problems_of(R"({"mcpServers":{"s":{"command":"npx","type":"sse"}}})") ==
          Problems{R"(mcpServers.s.type: expected "stdio" for a server with "command", found )"
                   R"("sse")"});
  }

  // --- wrong types, with paths ----------------------------------------------------------------

  TEST_CASE("a wrong type inside args is reported with the element's path and value") {
    CHECK(problems_of(R"({"mcpServers":{"fs":{"command":"npx","args":["-y","pkg",3]}}})") ==
          Problems{"mcpServers.fs.args[2]: expected a string, found number 3"});
  }

  TEST_CASE("every wrong element of an array is reported") {
    CHECK(problems_of(R"({"mcpServers":{"fs":{"command":"npx","args":[true,"ok",null]}}})") ==
          Problems{"mcpServers.fs.args[0]: expected a string, found boolean true",
                   "mcpServers.fs.args[2]: expected a string, found null"});
  }

  TEST_CASE("args that are not an array are reported with what was found") {
    CHECK(problems_of(R"({"mcpServers":{"fs":{"command":"npx","args":"-y pkg"}}})") ==
          Problems{R"(mcpServers.fs.args: expected an array, found string "-y pkg")"});
  }

  TEST_CASE("an env value that is not a string is reported at its variable's path") {
    CHECK(problems_of(R"({"mcpServers":{"fs":{"command":"npx","env":{"PORT":8080}}}})") ==
          Problems{"mcpServers.fs.env.PORT: expected a string, found number 8080"});
  }

  TEST_CASE("a server name that is not an identifier is quoted in the path") {
    CHECK(problems_of(R"({"mcpServers":{"my server":{"command":5}}})") ==
          Problems{R"(mcpServers["my server"].command: expected a string, found number 5)"});
    CHECK(problems_of(R"({"mcpServers":{"a.b":{"command":[]}}})") ==
          Problems{R"(mcpServers["a.b"].command: expected a string, found array)"});
  }

  TEST_CASE("a long string value is shortened in the message") {
    Problems p = problems_of(
        R"({"mcpServers":{"fs":{"command":"npx","disabled":"this is a very long string value that goes on"}}})");
    REQUIRE(p.size() == 1);
    CHECK(contains(p[0], "mcpServers.fs.disabled: expected true or false, found string \""));
    CHECK(contains(p[0], "..."));
    CHECK(p[0].size() < 120);
  }

  TEST_CASE("a server that is not an object is reported at its path") {
    CHECK(problems_of(R"({"mcpServers":{"fs":"npx"}})") ==
          Problems{R"(mcpServers.fs: expected an object, found string "npx")"});
  }

  TEST_CASE("a document that is not an object is rejected") {
    CHECK(problems_of("[]") == Problems{"expected an object, found array"});
  }

  TEST_CASE("a config without mcpServers or servers says what is missing") {
    CHECK(problems_of(R"({"httpServer":{}})") ==
          Problems{R"(expected a "mcpServers" object naming the MCP servers to proxy, found )"
                   R"(none)"});
  }

  TEST_CASE("an empty mcpServers object is an error") {
    CHECK(problems_of(R"({"mcpServers":{}})") ==
          Problems{"mcpServers: expected at least one server, found none"});
  }

  TEST_CASE("an empty command is an error") {
    CHECK(problems_of(R"({"mcpServers":{"fs":{"command":""}}})") ==
          Problems{R"(mcpServers.fs.command: expected a program to run, found "")"});
  }

  // --- command / url --------------------------------------------------------------------------

  TEST_CASE("a server with neither command nor url is an error") {
    CHECK(problems_of(R"({"mcpServers":{"fs":{"args":["x"]}}})") ==
          Problems{R"(mcpServers.fs: expected "command" (a local stdio server) or "url" (a )"
                   R"(remote server), found neither)"});
  }

  TEST_CASE("a server with both command and url is an error") {
    CHECK(problems_of(R"({"mcpServers":{"fs":{"command":"npx","url":"http://h/mcp"}}})") ==
          Problems{R"(mcpServers.fs: expected either "command" (a local stdio server) or )"
                   R"("url" (a remote server), found both)"});
  }

  // --- ranges and enums -----------------------------------------------------------------------

  TEST_CASE("a port above 65535 is an error with the allowed range") {
    CHECK(problems_of(R"({"mcpServers":{"a":{"command":"x"}},"httpServer":{"port":70000}})") ==
          Problems{"httpServer.port: expected an integer from 0 to 65535, found 70000"});
  }

  TEST_CASE("a negative port and a port written as a string are errors") {
    CHECK(problems_of(R"({"mcpServers":{"a":{"command":"x"}},"httpServer":{"port":-1}})") ==
          Problems{"httpServer.port: expected an integer from 0 to 65535, found -1"});
    CHECK(problems_of(R"({"mcpServers":{"a":{"command":"x"}},"httpServer":{"port":"8080"}})") ==
          Problems{R"(httpServer.port: expected an integer, found string "8080")"});
  }

  TEST_CASE("a fractional port is an error that shows the number as the user wrote it") {
    // Not in Boost.JSON's exponent form ("8.05E1"), which the user never wrote.
    CHECK(problems_of(R"({"mcpServers":{"a":{"command":"x"}},"httpServer":{"port":80.5}})") ==
          Problems{"httpServer.port: expected an integer, found number 80.5"});
  }

  TEST_CASE("a port written as a whole float is accepted") {
    CHECK(parse(R"({"mcpServers":{"a":{"command":"x"}},"httpServer":{"port":9000.0}})").http.port ==
          9000);
  }

  TEST_CASE("a huge integer port is reported as out of range, not as a non-integer") {
    // 18446744073709551615 is an integer; the message should give the allowed range.
    Problems p = problems_of(
        R"({"mcpServers":{"a":{"command":"x"}},"httpServer":{"port":18446744073709551615}})");
    REQUIRE(p.size() == 1);
    INFO(p[0]);
    CHECK(contains(p[0], "httpServer.port: expected an integer from 0 to 65535"));
  }

  TEST_CASE("an http path that does not start with a slash is an error") {
    CHECK(problems_of(R"({"mcpServers":{"a":{"command":"x"}},"httpServer":{"path":"mcp"}})") ==
          Problems{R"(httpServer.path: expected a path starting with "/", found "mcp")"});
  }

  TEST_CASE("a timeout of zero is out of range") {
    CHECK(problems_of(R"({"mcpServers":{"a":{"command":"x","startupTimeoutMs":0}}})") ==
          Problems{"mcpServers.a.startupTimeoutMs: expected an integer from 1 to 86400000, "
                   "found 0"});
  }

  TEST_CASE("an unknown naming prefix is an error listing the modes") {
    CHECK(problems_of(R"({"mcpServers":{"a":{"command":"x"}},"naming":{"prefix":"sometimes"}})") ==
          Problems{R"(naming.prefix: expected "always", "on-conflict" or "never", found )"
                   R"("sometimes")"});
  }

  TEST_CASE("a separator that is empty, too long or has other characters is an error") {
    for (std::string_view sep : {"", "_____", "::", " ", "/"}) {
      CAPTURE(sep);
      Problems p = problems_of(
          std::string(R"({"mcpServers":{"a":{"command":"x"}},"naming":{"separator":")") +
          std::string(sep) + R"("}})");
      CHECK(p == Problems{std::string(R"(naming.separator: expected 1 to 4 characters of )"
                                      R"([A-Za-z0-9_.-], found ")") +
                          std::string(sep) + "\""});
    }
  }

  TEST_CASE("separators of one to four allowed characters are accepted") {
    for (std::string_view sep : {"_", "__", ".", "-", "_.-a"}) {
      CAPTURE(sep);
      Config c = parse(std::string(R"({"mcpServers":{"a":{"command":"x"}},"naming":{"separator":")") +
                       std::string(sep) + R"("}})");
      CHECK(c.naming.separator == sep);
    }
  }

  TEST_CASE("several errors are reported at once, in document order") {
    try {
      (void)parse(R"({
        "mcpServers": {
          "fs": {"command": "npx", "args": ["a", 3]},
          "bad": {}
        },
        "httpServer": {"port": 70000},
        "naming": {"prefix": "sometimes", "separator": "::"}
      })");
      FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      CHECK(e.problems() ==
            Problems{
                "mcpServers.fs.args[1]: expected a string, found number 3",
                R"(mcpServers.bad: expected "command" (a local stdio server) or "url" (a remote )"
                R"(server), found neither)",
                "httpServer.port: expected an integer from 0 to 65535, found 70000",
                R"(naming.prefix: expected "always", "on-conflict" or "never", found "sometimes")",
                R"(naming.separator: expected 1 to 4 characters of [A-Za-z0-9_.-], found "::")"});
      std::string what = e.what();
      CHECK(contains(what, "invalid configuration in <config>:"));
      for (auto& p : e.problems()) CHECK(contains(what, "\n  - " + p));
    }
  }

  // --- unknown keys ---------------------------------------------------------------------------

  TEST_CASE("an unknown key close to a known one warns with a did-you-mean hint") {
    Config c = parse(R"({"mcpServers":{"fs":{"command":"npx","arg":["x"],"comand":"npx"}}})");
    CHECK(c.warnings == std::vector<std::string>{
                            R"(mcpServers.fs.arg: unknown key (did you mean "args"?))",
                            R"(mcpServers.fs.comand: unknown key (did you mean "command"?))"});
  }

  TEST_CASE("a misspelled key in every section warns at its own path") {
    Config c = parse(R"({
      "mcpServers": {"fs": {"command": "npx"}},
      "httpServer": {"prot": 1},
      "naming": {"prefx": "never"},
      "namng": {}
    })");
    CHECK(any_contains(c.warnings, R"(httpServer.prot: unknown key (did you mean "port"?))"));
    CHECK(any_contains(c.warnings, R"(naming.prefx: unknown key (did you mean "prefix"?))"));
    CHECK(any_contains(c.warnings, R"(namng: unknown key (did you mean "naming"?))"));
    CHECK(c.naming.mode == PrefixMode::always);  // the misspelled setting is ignored
  }

  TEST_CASE("an unknown key with no close match warns that it is ignored") {
    Config c = parse(R"({"mcpServers":{"fs":{"command":"npx","zzzzzzzz":1}}})");
    REQUIRE(c.warnings.size() == 1);
    CHECK(c.warnings[0].starts_with("mcpServers.fs.zzzzzzzz: unknown key, ignored (known keys: command, args, env"));
  }

  TEST_CASE("a misspelled command key gets its did-you-mean hint even though loading fails") {
    // With "comand" the server has neither command nor url, so parse_config throws; the hint
    // that explains why must reach the user with the error, not be dropped with the warnings.
    try {
      (void)parse(R"({"mcpServers":{"fs":{"comand":"npx","args":["x"]}}})");
      FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      INFO(std::string(e.what()));
      CHECK(any_contains(e.problems(), "found neither"));
      CHECK(contains(e.what(), R"(did you mean "command"?)"));
    }
  }

  TEST_CASE("httpServer.middleware lists are read with their JSON paths") {
    Config c = parse(R"({"mcpServers":{"fs":{"command":"npx"}},"httpServer":{"middleware":{
      "proxy":[{"type":"a"}],
      "client":{"default":[{"type":"b","enabled":false,"config":{"k":1}}],"servers":{"fs":[]}}}}})");
    CHECK(c.warnings.empty());
    REQUIRE(c.middleware.proxy.size() == 1);
    CHECK(c.middleware.proxy[0].path == "httpServer.middleware.proxy[0]");
    REQUIRE(c.middleware.client_default.size() == 1);
    CHECK_FALSE(c.middleware.client_default[0].enabled);
    CHECK(c.middleware.client_default[0].config.at("k").as_int64() == 1);
    REQUIRE(c.middleware.client_servers.size() == 1);
    CHECK(c.middleware.client_servers[0].first == "fs");
  }

  TEST_CASE("middleware entries: unknown keys, missing type and unknown servers are errors") {
    Problems p = problems_of(R"({"mcpServers":{"fs":{"command":"npx"}},"httpServer":{"middleware":{
      "proxy":[{"typ":"a"}], "client":{"servers":{"nope":[]}}}}})");
    CHECK(any_contains(p, R"(httpServer.middleware.proxy[0].typ: unknown key (did you mean "type"?))"));
    CHECK(any_contains(p, R"(httpServer.middleware.proxy[0]: expected a "type")"));
    CHECK(any_contains(p, R"(httpServer.middleware.client.servers.nope: expected the name of a server)"));
  }

  // --- ${VAR} substitution --------------------------------------------------------------------

  TEST_CASE("${VAR} is replaced by the variable's value in env, args, command and url") {
    ScopedEnv token("MCPROXY_UT_CFG_TOKEN_4b1e", "s3cret");
    ScopedEnv dir("MCPROXY_UT_CFG_DIR_4b1e", "/data");
    Config c = parse(R"({"mcpServers":{
      "fs": {"command": "${MCPROXY_UT_CFG_DIR_4b1e}/bin/srv",
             "args": ["--root=${MCPROXY_UT_CFG_DIR_4b1e}", "plain"],
             "env": {"TOKEN": "Bearer ${MCPROXY_UT_CFG_TOKEN_4b1e}"}},
      "r": {"url": "https://h/${MCPROXY_UT_CFG_TOKEN_4b1e}/mcp"}
    }})");
    REQUIRE(c.servers.size() == 2);
    CHECK(c.servers[0].command == "/data/bin/srv");
    CHECK(c.servers[0].args == std::vector<std::string>{"--root=/data", "plain"});
    CHECK(c.servers[0].env ==
          std::vector<std::pair<std::string, std::string>>{{"TOKEN", "Bearer s3cret"}});
    CHECK(c.servers[1].url == "https://h/s3cret/mcp");
  }

  TEST_CASE("${VAR:-default} uses the default when the variable is unset or empty") {
    ScopedEnv unset("MCPROXY_UT_CFG_UNSET_91c2", nullptr);
    ScopedEnv empty("MCPROXY_UT_CFG_EMPTY_91c2", "");
    ScopedEnv set("MCPROXY_UT_CFG_SET_91c2", "value");
    Config c = parse(R"({"mcpServers":{"fs":{"command":"x","args":[
      "${MCPROXY_UT_CFG_UNSET_91c2:-fallback}",
      "${MCPROXY_UT_CFG_EMPTY_91c2:-fallback}",
      "${MCPROXY_UT_CFG_SET_91c2:-fallback}",
      "${MCPROXY_UT_CFG_UNSET_91c2:-}",
      "a${MCPROXY_UT_CFG_UNSET_91c2:-/x y}b"
    ]}}})");
    REQUIRE(c.servers.size() == 1);
    CHECK(c.servers[0].args ==
          std::vector<std::string>{"fallback", "fallback", "value", "", "a/x yb"});
  }

  TEST_CASE("a variable set to the empty string without a default expands to nothing") {
    ScopedEnv empty("MCPROXY_UT_CFG_EMPTY_5d0a", "");
    Config c = parse(R"({"mcpServers":{"fs":{"command":"x","args":["<${MCPROXY_UT_CFG_EMPTY_5d0a}>"]}}})");
    CHECK(c.servers.at(0).args == std::vector<std::string>{"<>"});
  }

  TEST_CASE("$$ is a literal dollar sign and is not expanded") {
    ScopedEnv var("MCPROXY_UT_CFG_DOLLAR_77aa", "expanded");
    Config c = parse(R"({"mcpServers":{"fs":{"command":"x","args":[
      "price: $$5", "$${MCPROXY_UT_CFG_DOLLAR_77aa}", "$$$${MCPROXY_UT_CFG_DOLLAR_77aa}",
      "$$${MCPROXY_UT_CFG_DOLLAR_77aa}", "end$"
    ]}}})");
    CHECK(c.servers.at(0).args ==
          std::vector<std::string>{"price: $5", "${MCPROXY_UT_CFG_DOLLAR_77aa}",
                                   "$${MCPROXY_UT_CFG_DOLLAR_77aa}", "$expanded", "end$"});
  }

  TEST_CASE("a bare $NAME is left as written") {
    ScopedEnv var("MCPROXY_UT_CFG_BARE_0c0c", "expanded");
    Config c = parse(R"({"mcpServers":{"fs":{"command":"x","args":["$MCPROXY_UT_CFG_BARE_0c0c"]}}})");
    CHECK(c.servers.at(0).args == std::vector<std::string>{"$MCPROXY_UT_CFG_BARE_0c0c"});
  }

  TEST_CASE("a missing variable without a default is an error naming the variable and path") {
    ScopedEnv missing("MCPROXY_UT_CFG_MISSING_e3f0", nullptr);
    Problems p = problems_of(
        R"({"mcpServers":{"gh":{"command":"x","env":{"TOKEN":"${MCPROXY_UT_CFG_MISSING_e3f0}"}}}})");
    REQUIRE(p.size() == 1);
    CHECK(p[0] ==
          "mcpServers.gh.env.TOKEN: environment variable MCPROXY_UT_CFG_MISSING_e3f0 is not set "
          "(use ${MCPROXY_UT_CFG_MISSING_e3f0:-default} for a default)");
  }

  TEST_CASE("every missing variable is reported, each at its own path") {
    ScopedEnv a("MCPROXY_UT_CFG_MISS_A_11", nullptr);
    ScopedEnv b("MCPROXY_UT_CFG_MISS_B_11", nullptr);
    Problems p = problems_of(R"({"mcpServers":{"fs":{"command":"x","args":[
      "${MCPROXY_UT_CFG_MISS_A_11}", "ok", "${MCPROXY_UT_CFG_MISS_B_11}"]}}})");
    REQUIRE(p.size() == 2);
    CHECK(contains(p[0], "mcpServers.fs.args[0]: "));
    CHECK(contains(p[0], "MCPROXY_UT_CFG_MISS_A_11"));
    CHECK(contains(p[1], "mcpServers.fs.args[2]: "));
    CHECK(contains(p[1], "MCPROXY_UT_CFG_MISS_B_11"));
  }

  TEST_CASE("an unterminated or malformed ${ reference is an error at its path") {
    Problems p = problems_of(R"({"mcpServers":{"fs":{"command":"x","args":["${OOPS"]}}})");
    REQUIRE(p.size() == 1);
    CHECK(contains(p[0], "mcpServers.fs.args[0]: unterminated \"${\""));
    p = problems_of(R"({"mcpServers":{"fs":{"command":"x","args":["${}","${A B}"]}}})");
    REQUIRE(p.size() == 2);
    CHECK(p[0] == R"(mcpServers.fs.args[0]: "${}" is not a valid variable reference)");
    CHECK(p[1] == R"(mcpServers.fs.args[1]: "${A B}" is not a valid variable reference)");
  }

  // --- files ----------------------------------------------------------------------------------

  TEST_CASE("load_config_file reads a valid file and records its name as the source") {
    TempFile file("mcproxy-unit-config-ok",
                  R"({"mcpServers": {"fs": {"command": "npx", "args": ["-y", "pkg"]}}})");
    Config c = load_config_file(file.path());
    CHECK(c.source == file.path());
    REQUIRE(c.servers.size() == 1);
    CHECK(c.servers[0].command == "npx");
  }

  TEST_CASE("load_config_file reports validation problems with the file name") {
    TempFile file("mcproxy-unit-config-invalid", R"({"mcpServers": {"fs": {"command": 1}}})");
    try {
      (void)load_config_file(file.path());
      FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      CHECK(e.problems() == Problems{"mcpServers.fs.command: expected a string, found number 1"});
      CHECK(contains(e.what(), "invalid configuration in " + file.path() + ":"));
    }
  }

  TEST_CASE("load_config_file on a missing file says it cannot open it") {
    fs::path missing = fs::temp_directory_path() /
                       ("mcproxy-unit-no-such-file-" + std::to_string(::getpid()) + ".json");
    fs::remove(missing);
    try {
      (void)load_config_file(missing.string());
      FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      REQUIRE(e.problems().size() == 1);
      CHECK(contains(e.problems()[0], "cannot open the file"));
      CHECK(contains(e.problems()[0], "No such file or directory"));
      CHECK(contains(e.what(), missing.string()));
    }
  }

  TEST_CASE("load_config_file on a JSON syntax error gives the line and column") {
    // Line 3 has a trailing comma; the offending '}' is its 29th character.
    TempFile file("mcproxy-unit-config-syntax",
                  "{\n  \"mcpServers\": {\n    \"fs\": {\"command\": \"npx\",}\n  }\n}\n");
    try {
      (void)load_config_file(file.path());
      FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      REQUIRE(e.problems().size() == 1);
      CHECK(contains(e.problems()[0], "line 3, column 29: not valid JSON"));
    }
  }

  TEST_CASE("load_config_file on a truncated file reports a syntax error") {
    TempFile file("mcproxy-unit-config-truncated", "{\n  \"mcpServers\": {\n");
    try {
      (void)load_config_file(file.path());
      FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      REQUIRE(e.problems().size() == 1);
      CHECK(contains(e.problems()[0], "not valid JSON"));
      CHECK(contains(e.problems()[0], "line 3"));
    }
  }

  TEST_CASE("load_config_file on text after the document reports a syntax error") {
    TempFile file("mcproxy-unit-config-trailing",
                  "{\"mcpServers\": {\"fs\": {\"command\": \"npx\"}}}\n}\n");
    try {
      (void)load_config_file(file.path());
      FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
      REQUIRE(e.problems().size() == 1);
      CHECK(contains(e.problems()[0], "line 2, column 1: not valid JSON"));
    }
  }
}
