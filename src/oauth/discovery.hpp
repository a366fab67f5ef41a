#pragma once
// Where the MCP authorization flow looks for its metadata, and what it accepts from there
// (MCP authorization spec, 2025-11-25): protected resource metadata (RFC 9728) and
// authorization server metadata (RFC 8414, OpenID Connect Discovery), in the spec's order.
// Pure functions: the fetching is UpstreamAuth's.

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcproxy::oauth {

struct ResourceMetadata {
  std::string resource;  // the resource identifier tokens are asked for (RFC 8707)
  std::vector<std::string> authorization_servers;
  std::vector<std::string> scopes_supported;
};

struct ServerMetadata {
  std::string issuer;
  std::string authorization_endpoint, token_endpoint, registration_endpoint;
  std::vector<std::string> token_endpoint_auth_methods;  // empty: client_secret_basic (RFC 8414)
  std::vector<std::string> scopes_supported;
  std::vector<std::string> code_challenge_methods;
  bool client_id_metadata_documents = false;  // client_id_metadata_document_supported
  bool iss_in_response = false;               // authorization_response_iss_parameter_supported (RFC 9207)
};

// "scheme://host[:port]" of an absolute URL; empty when it is not one.
std::string origin_of(std::string_view url);
// The path of an absolute URL without its query ("" for "/").
std::string path_of(std::string_view url);
// A URL MCProxy may follow from metadata: https, or http to a loopback host. Never a shell
// word: it is only ever parsed and requested.
bool acceptable_url(std::string_view url);
// The canonical URI of an MCP server as a resource (RFC 8707): lowercase scheme and host, no
// fragment, no trailing slash on an empty path.
std::string canonical_resource(std::string_view server_url);
// Whether the metadata's `resource` names this server (the same canonical URI, or a prefix of
// its path: one resource may cover several endpoints).
bool resource_matches(std::string_view resource, std::string_view server_url);

// Protected resource metadata, in the order to try: the path-based well-known URI, then the
// root one (a URL from WWW-Authenticate comes before both and is not listed here).
std::vector<std::string> resource_metadata_urls(std::string_view server_url);
// Authorization server metadata for `issuer`, in the spec's order: with a path, RFC 8414 path
// insertion, OIDC path insertion, OIDC path appending; without, RFC 8414 then OIDC.
std::vector<std::string> server_metadata_urls(std::string_view issuer);

// Parsed and checked documents; nullopt with `why` set when a required member is missing or a
// URL is not acceptable. The issuer must be the one asked for (RFC 8414 §3.3).
std::optional<ResourceMetadata> read_resource_metadata(const boost::json::object& doc, std::string& why);
std::optional<ServerMetadata> read_server_metadata(const boost::json::object& doc, std::string_view issuer,
                                                   std::string& why);
// The 2025-03-26 fallback: no metadata at all, the default endpoints at the server's origin.
ServerMetadata default_server_metadata(std::string_view origin);

}  // namespace mcproxy::oauth
