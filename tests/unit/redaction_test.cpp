// support/redaction: what MCProxy shows never holds a value that came from ${VAR}, nor the
// user-info or query values of a URL; the config reader collects those values and scrubs its
// own messages.
#include "config/config.hpp"
#include "support/redaction.hpp"

#include <boost/json/parse.hpp>

#include <doctest/doctest.h>

#include <cstdlib>

using mcproxy::support::redact;
using mcproxy::support::redact_url;

TEST_SUITE("redaction") {
  TEST_CASE("every known secret is replaced; short values are left alone") {
    mcproxy::support::set_secrets({"s3cr3t-token", "ab", "s3cr3t"});
    CHECK(redact("url ?k=s3cr3t-token and s3cr3t") == "url ?k=*** and ***");
    CHECK(redact("ab stays") == "ab stays");
    CHECK(mcproxy::support::holds_secret("x s3cr3t y"));
    CHECK_FALSE(mcproxy::support::holds_secret("nothing here"));
    mcproxy::support::set_secrets({});
    CHECK(redact("s3cr3t") == "s3cr3t");
  }

  TEST_CASE("URLs lose user-info and query values whatever their origin") {
    mcproxy::support::set_secrets({});
    CHECK(redact_url("https://user:pw@example.com:8443/mcp?token=abc&x=1#f") ==
          "https://***@example.com:8443/mcp?token=***&x=***#f");
    CHECK(redact_url("http://127.0.0.1:9/mcp") == "http://127.0.0.1:9/mcp");
    CHECK(redact_url("http://h/p?flag") == "http://h/p?flag");
    CHECK(redact_url("http://h/a@b") == "http://h/a@b");  // an @ in the path is not user-info
  }

  TEST_CASE("the config reader collects substituted values, not defaults, and scrubs its errors") {
    ::setenv("MCPROXY_TEST_SECRET", "hunter2-long", 1);
    auto doc = boost::json::parse(R"({"mcpServers": {
        "a": {"command": "node", "args": ["--key=${MCPROXY_TEST_SECRET}", "${UNSET_VAR:-plain-default}"]}}})");
    auto config = mcproxy::config::parse_config(doc);
    REQUIRE(config.secrets.size() == 1);
    CHECK(config.secrets.front() == "hunter2-long");
    auto bad = boost::json::parse(R"({"mcpServers": {"b": {"url": "ftp://${MCPROXY_TEST_SECRET}/x"}}})");
    try {
      mcproxy::config::parse_config(bad);
      FAIL("an ftp URL was accepted");
    } catch (const mcproxy::config::ConfigError& e) {
      std::string what = e.what();
      CHECK(what.find("hunter2-long") == std::string::npos);
      CHECK(what.find("ftp://***/x") != std::string::npos);
    }
    ::unsetenv("MCPROXY_TEST_SECRET");
  }

  TEST_CASE("URL user-info becomes a Basic Authorization header and leaves the URL") {
    auto doc = boost::json::parse(R"({"mcpServers": {"r": {"url": "https://me:p%40ss@example.com/mcp"}}})");
    auto config = mcproxy::config::parse_config(doc);
    auto& s = config.servers.front();
    CHECK(s.url == "https://example.com/mcp");
    REQUIRE(s.headers.size() == 1);
    CHECK(s.headers.front().first == "Authorization");
    CHECK(s.headers.front().second == "Basic bWU6cEBzcw==");  // "me:p@ss"
    auto explicit_auth = boost::json::parse(
        R"({"mcpServers": {"r": {"url": "https://me:x@example.com/mcp", "auth": {"type": "bearer", "token": "t"}}}})");
    auto c2 = mcproxy::config::parse_config(explicit_auth);
    REQUIRE(c2.servers.front().headers.size() == 1);
    CHECK(c2.servers.front().headers.front().second == "Bearer t");  // the configured one wins
  }
}
