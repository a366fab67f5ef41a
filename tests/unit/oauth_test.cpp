// The building blocks of MCProxy's upstream OAuth client (src/oauth/): the Bearer challenge,
// where metadata is looked for and what is accepted from it, and the token store's file.
#include "oauth/discovery.hpp"
#include "oauth/token_store.hpp"
#include "oauth/www_authenticate.hpp"

#include <boost/json.hpp>

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace json = boost::json;
using namespace mcproxy::oauth;

TEST_CASE("the Bearer challenge of WWW-Authenticate: quoted and bare values, other schemes ignored") {
  auto c = parse_www_authenticate(
      R"(Basic realm="x", Bearer error="insufficient_scope", scope="mcp:basic mcp:write", )"
      R"(resource_metadata="http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp")");
  CHECK(c.bearer);
  CHECK(c.error == "insufficient_scope");
  CHECK(c.scope == "mcp:basic mcp:write");
  CHECK(c.resource_metadata == "http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp");
  auto bare = parse_www_authenticate("bearer error=invalid_token");
  CHECK(bare.bearer);
  CHECK(bare.error == "invalid_token");
  // A realm of another scheme is not the Bearer challenge's.
  auto other = parse_www_authenticate(R"(Basic scope="nope")");
  CHECK_FALSE(other.bearer);
  CHECK(other.scope.empty());
  CHECK_FALSE(parse_www_authenticate("").bearer);
  CHECK(parse_www_authenticate(R"(Bearer scope="unterminated)").scope == "unterminated");
}

TEST_CASE("protected resource and authorization server metadata are looked for in the spec's order") {
  CHECK(resource_metadata_urls("http://localhost:3000/mcp") ==
        std::vector<std::string>{"http://localhost:3000/.well-known/oauth-protected-resource/mcp",
                                 "http://localhost:3000/.well-known/oauth-protected-resource"});
  CHECK(resource_metadata_urls("https://Example.COM/") ==
        std::vector<std::string>{"https://example.com/.well-known/oauth-protected-resource"});
  CHECK(server_metadata_urls("https://auth.example.com/tenant1") ==
        std::vector<std::string>{"https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                                 "https://auth.example.com/.well-known/openid-configuration/tenant1",
                                 "https://auth.example.com/tenant1/.well-known/openid-configuration"});
  CHECK(server_metadata_urls("https://auth.example.com") ==
        std::vector<std::string>{"https://auth.example.com/.well-known/oauth-authorization-server",
                                 "https://auth.example.com/.well-known/openid-configuration"});
}

TEST_CASE("URLs from metadata: https, or http on loopback only; the resource must name the server") {
  CHECK(acceptable_url("https://auth.example.com/token"));
  CHECK(acceptable_url("http://localhost:8080/token"));
  CHECK(acceptable_url("http://127.0.0.1/token"));
  CHECK_FALSE(acceptable_url("http://auth.example.com/token"));
  CHECK_FALSE(acceptable_url("https://user:pw@auth.example.com/"));
  CHECK_FALSE(acceptable_url("javascript:alert(1)"));
  CHECK_FALSE(acceptable_url("file:///etc/passwd"));
  CHECK(canonical_resource("HTTPS://Example.com/mcp/") == "https://example.com/mcp");
  CHECK(resource_matches("https://example.com/mcp", "https://EXAMPLE.com/mcp"));
  CHECK(resource_matches("https://example.com", "https://example.com/mcp"));
  CHECK_FALSE(resource_matches("https://example.com/other", "https://example.com/mcp"));
  CHECK_FALSE(resource_matches("https://example.com/mc", "https://example.com/mcp"));
  CHECK_FALSE(resource_matches("https://evil.example/mcp", "https://example.com/mcp"));
}

TEST_CASE("authorization server metadata: the issuer asked for, usable endpoints, PKCE S256") {
  json::object doc{{"issuer", "http://localhost:9/tenant1"},
                   {"authorization_endpoint", "http://localhost:9/tenant1/authorize"},
                   {"token_endpoint", "http://localhost:9/tenant1/token"},
                   {"registration_endpoint", "http://localhost:9/tenant1/register"},
                   {"code_challenge_methods_supported", json::array{"S256"}},
                   {"token_endpoint_auth_methods_supported", json::array{"client_secret_post"}},
                   {"client_id_metadata_document_supported", true}};
  std::string why;
  auto m = read_server_metadata(doc, "http://localhost:9/tenant1", why);
  REQUIRE(m);
  CHECK(m->token_endpoint == "http://localhost:9/tenant1/token");
  CHECK(m->client_id_metadata_documents);
  CHECK(m->token_endpoint_auth_methods == std::vector<std::string>{"client_secret_post"});

  CHECK_FALSE(read_server_metadata(doc, "http://localhost:9/other", why));  // a mix-up
  CHECK(why.find("issuer") != std::string::npos);
  auto no_pkce = doc;
  no_pkce.erase("code_challenge_methods_supported");
  CHECK_FALSE(read_server_metadata(no_pkce, "http://localhost:9/tenant1", why));
  CHECK(why.find("S256") != std::string::npos);
  auto plain_http = doc;
  plain_http["token_endpoint"] = "http://auth.example.com/token";
  CHECK_FALSE(read_server_metadata(plain_http, "http://localhost:9/tenant1", why));

  json::object prm{{"resource", "http://localhost:9/mcp"},
                   {"authorization_servers", json::array{"http://attacker.example/", "http://localhost:9/tenant1"}},
                   {"scopes_supported", json::array{"mcp:basic"}}};
  auto r = read_resource_metadata(prm, why);
  REQUIRE(r);
  CHECK(r->authorization_servers == std::vector<std::string>{"http://localhost:9/tenant1"});
  CHECK(r->scopes_supported == std::vector<std::string>{"mcp:basic"});
  CHECK_FALSE(read_resource_metadata(json::object{{"resource", "x"}}, why));

  auto fallback = default_server_metadata("http://localhost:9");
  CHECK(fallback.authorization_endpoint == "http://localhost:9/authorize");
  CHECK(fallback.token_endpoint == "http://localhost:9/token");
}

TEST_CASE("the token store: mode 0600, entries survive a new reader, changes by another process are seen") {
  auto dir = std::filesystem::temp_directory_path() / ("mcproxy-oauth-store-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto file = (dir / "state" / "tokens.json").string();
  {
    TokenStore store(file);
    CHECK_FALSE(store.get("remote"));
    store.put(TokenStore::key("remote", ""), json::object{{"access_token", "a1"}});
    store.put(TokenStore::key("remote", "alice"), json::object{{"access_token", "a2"}});
  }
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  TokenStore reader(file);
  REQUIRE(reader.get("remote"));
  CHECK(reader.get("remote")->at("access_token").as_string() == "a1");
  CHECK(reader.get("remote#alice")->at("access_token").as_string() == "a2");
  {
    TokenStore other(file);  // another process: `mcproxy login`
    other.put("remote", json::object{{"access_token", "b1"}});
  }
  CHECK(reader.get("remote")->at("access_token").as_string() == "b1");
  reader.erase("remote#alice");
  CHECK_FALSE(TokenStore(file).get("remote#alice"));
  // A file others could read is made private again; one that is not JSON holds no logins.
  ::chmod(file.c_str(), 0644);
  CHECK(TokenStore(file).get("remote"));
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ofstream(file) << "not json";
  CHECK_FALSE(TokenStore(file).get("remote"));
  std::filesystem::remove_all(dir);
}
