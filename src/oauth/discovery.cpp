#include "oauth/discovery.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace mcproxy::oauth {

namespace json = boost::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim_slash(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::vector<std::string> strings(const json::object& doc, std::string_view key) {
  std::vector<std::string> out;
  if (auto* v = doc.if_contains(key); v && v->is_array())
    for (auto& e : v->get_array())
      if (e.is_string()) out.emplace_back(e.get_string());
  return out;
}

std::string text(const json::object& doc, std::string_view key) {
  auto* v = doc.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::string origin_of(std::string_view url) {
  auto u = boost::urls::parse_uri(url);
  if (!u || u->host().empty()) return {};
  std::string out = lower(u->scheme()) + "://" + lower(u->encoded_host());
  if (u->has_port()) out += ":" + std::string(u->port());
  return out;
}

std::string path_of(std::string_view url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return {};
  std::string p(u->encoded_path());
  return p == "/" ? std::string() : trim_slash(p);
}

bool acceptable_url(std::string_view url) {
  auto u = boost::urls::parse_uri(url);
  if (!u || u->host().empty() || u->has_userinfo()) return false;
  auto scheme = lower(u->scheme());
  if (scheme == "https") return true;
  if (scheme != "http") return false;
  auto host = lower(u->host());
  return host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

std::string canonical_resource(std::string_view server_url) {
  auto u = boost::urls::parse_uri(server_url);
  if (!u) return std::string(server_url);
  std::string out = origin_of(server_url) + path_of(server_url);
  if (u->has_query()) out += "?" + std::string(u->encoded_query());
  return out;
}

bool resource_matches(std::string_view resource, std::string_view server_url) {
  auto want = canonical_resource(server_url);
  auto have = trim_slash(canonical_resource(resource));
  if (have == want) return true;
  // A resource that covers this endpoint: same origin, its path a prefix at a segment boundary.
  return want.size() > have.size() && want.compare(0, have.size(), have) == 0 &&
         (want[have.size()] == '/' || have.back() == '/');
}

std::vector<std::string> resource_metadata_urls(std::string_view server_url) {
  auto origin = origin_of(server_url);
  auto path = path_of(server_url);
  std::vector<std::string> out;
  if (!path.empty()) out.push_back(origin + "/.well-known/oauth-protected-resource" + path);
  out.push_back(origin + "/.well-known/oauth-protected-resource");
  return out;
}

std::vector<std::string> server_metadata_urls(std::string_view issuer) {
  auto origin = origin_of(issuer);
  auto path = path_of(issuer);
  if (path.empty())
    return {origin + "/.well-known/oauth-authorization-server", origin + "/.well-known/openid-configuration"};
  return {origin + "/.well-known/oauth-authorization-server" + path,
          origin + "/.well-known/openid-configuration" + path, origin + path + "/.well-known/openid-configuration"};
}

std::optional<ResourceMetadata> read_resource_metadata(const json::object& doc, std::string& why) {
  ResourceMetadata m;
  m.resource = text(doc, "resource");
  m.authorization_servers = strings(doc, "authorization_servers");
  m.scopes_supported = strings(doc, "scopes_supported");
  std::erase_if(m.authorization_servers, [](auto& s) { return !acceptable_url(s); });
  if (m.authorization_servers.empty()) {
    why = "its protected resource metadata names no usable authorization server (https, or http on loopback)";
    return std::nullopt;
  }
  return m;
}

std::optional<ServerMetadata> read_server_metadata(const json::object& doc, std::string_view issuer, std::string& why) {
  ServerMetadata m;
  m.issuer = text(doc, "issuer");
  if (trim_slash(m.issuer) != trim_slash(std::string(issuer))) {
    why = fmt::format("the authorization server metadata names issuer \"{}\", not \"{}\" (RFC 8414 §3.3)", m.issuer, issuer);
    return std::nullopt;
  }
  m.authorization_endpoint = text(doc, "authorization_endpoint");
  m.token_endpoint = text(doc, "token_endpoint");
  m.registration_endpoint = text(doc, "registration_endpoint");
  m.token_endpoint_auth_methods = strings(doc, "token_endpoint_auth_methods_supported");
  m.scopes_supported = strings(doc, "scopes_supported");
  m.code_challenge_methods = strings(doc, "code_challenge_methods_supported");
  auto* cimd = doc.if_contains("client_id_metadata_document_supported");
  m.client_id_metadata_documents = cimd && cimd->is_bool() && cimd->get_bool();
  auto* iss = doc.if_contains("authorization_response_iss_parameter_supported");
  m.iss_in_response = iss && iss->is_bool() && iss->get_bool();
  for (auto* url : {&m.authorization_endpoint, &m.token_endpoint}) {
    if (!acceptable_url(*url)) {
      why = fmt::format("the authorization server's endpoint \"{}\" is not https (or http on loopback)", *url);
      return std::nullopt;
    }
  }
  if (!m.registration_endpoint.empty() && !acceptable_url(m.registration_endpoint)) m.registration_endpoint.clear();
  // The MCP spec requires PKCE, and a server whose metadata does not list S256 refused.
  if (std::find(m.code_challenge_methods.begin(), m.code_challenge_methods.end(), "S256") == m.code_challenge_methods.end()) {
    why = "the authorization server's metadata does not offer PKCE with S256 (code_challenge_methods_supported)";
    return std::nullopt;
  }
  return m;
}

ServerMetadata default_server_metadata(std::string_view origin) {
  ServerMetadata m;
  m.issuer = std::string(origin);
  m.authorization_endpoint = m.issuer + "/authorize";
  m.token_endpoint = m.issuer + "/token";
  m.registration_endpoint = m.issuer + "/register";
  return m;
}

}  // namespace mcproxy::oauth
