// UriTemplateMatcher: which URIs an RFC 6570 template expands to (tool_filter hides them all
// when it hides the template).
#include "middleware/pattern.hpp"

#include <doctest/doctest.h>

using mcproxy::middleware::UriTemplateMatcher;

TEST_SUITE("UriTemplateMatcher") {
  TEST_CASE("a simple expression matches one path segment") {
    UriTemplateMatcher t("demo://resource/dynamic/text/{resourceId}");
    CHECK(t.matches("demo://resource/dynamic/text/5"));
    CHECK(t.matches("demo://resource/dynamic/text/"));  // an empty value expands to nothing
    CHECK_FALSE(t.matches("demo://resource/dynamic/text/5/more"));
    CHECK_FALSE(t.matches("demo://resource/dynamic/blob/5"));
    CHECK_FALSE(t.matches("xdemo://resource/dynamic/text/5"));
  }

  TEST_CASE("reserved and fragment expansion match anything, path segments may repeat") {
    CHECK(UriTemplateMatcher("file:///{+path}").matches("file:///etc/passwd"));
    CHECK(UriTemplateMatcher("file://{/segments}").matches("file:///a/b/c"));
    CHECK(UriTemplateMatcher("doc{#section}").matches("doc#intro"));
    CHECK(UriTemplateMatcher("search{?q,lang}").matches("search?q=x&lang=en"));
    CHECK(UriTemplateMatcher("search{?q,lang}").matches("search"));
  }

  TEST_CASE("literal parts are literal, regex characters included") {
    UriTemplateMatcher t("a.b+c://x(1)/{id}");
    CHECK(t.matches("a.b+c://x(1)/7"));
    CHECK_FALSE(t.matches("aXb+c://x(1)/7"));
  }

  TEST_CASE("a template without expressions matches only itself; an unclosed brace is literal") {
    CHECK(UriTemplateMatcher("demo://static").matches("demo://static"));
    CHECK_FALSE(UriTemplateMatcher("demo://static").matches("demo://static/x"));
    CHECK(UriTemplateMatcher("demo://{broken").matches("demo://{broken"));
  }
}
