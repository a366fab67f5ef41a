#pragma once
// The proxy's configuration: a Claude Desktop `mcpServers` file works unchanged; MCProxy's own
// settings live beside it (`httpServer`, `naming`). Loading validates everything before anything
// starts and reports every problem at once, each with its JSON path.

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mcproxy::config {

enum class ServerTransport { stdio, streamable_http, sse, auto_detect };
// shared: one upstream session serves every client (the default); per_client: each downstream
// session gets its own (its own child process for stdio).
enum class SessionMode { shared, per_client };
// Which era of the protocol a backend is spoken to in: auto_detect probes with server/discover
// (2026-07-28, stateless) and falls back to initialize (2025-11-25 and older); the others force
// one (MCP-DIGEST §9, era detection).
enum class ServerEra { auto_detect, modern, legacy };

struct ServerConfig {
  std::string name;
  ServerTransport transport = ServerTransport::stdio;
  // stdio
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to the proxy's environment
  std::string cwd;
  // remote (Streamable HTTP or legacy HTTP+SSE)
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // sent on every request (never logged)
  std::string tls_ca_file;     // extra CA bundle; the system's store otherwise
  bool tls_insecure = false;   // skip certificate and host name checks (logged as a warning)
  std::chrono::milliseconds connect_timeout{10'000};
  // resilience, every kind of backend
  std::chrono::milliseconds reconnect_initial_delay{500};
  std::chrono::milliseconds reconnect_max_delay{30'000};
  int reconnect_max_attempts = 0;                        // 0: never give up
  std::chrono::milliseconds health_check_interval{30'000};  // ping; 0 disables
  int failure_threshold = 3;  // consecutive failed pings before the connection is dropped

  // The proxy's environment variables the child inherits: nullopt = all of them (the default,
  // as Claude Desktop does), an empty list = none, else only those named. `env` is added on top.
  std::optional<std::vector<std::string>> env_passthrough;
  // Expose this server's resources as "<server>+<uri>" (reversible), so that servers whose
  // URIs clash can all be reached.
  bool namespace_resources = false;

  bool operator==(const ServerConfig&) const = default;
  bool disabled = false;
  SessionMode session_mode = SessionMode::shared;
  ServerEra era = ServerEra::auto_detect;
  std::chrono::milliseconds startup_timeout{60'000};
  std::chrono::milliseconds request_timeout{60'000};
  std::size_t max_message_bytes = 64u << 20;
};

struct HttpServerConfig {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::string path = "/mcp";
  std::size_t max_body_bytes = 16u << 20;
  std::size_t max_sessions = 10'000;
  std::size_t page_size = 0;  // 0: lists are answered in one page
  std::chrono::seconds shutdown_grace{10};  // for requests in flight on SIGTERM
  std::chrono::seconds session_idle_timeout{3600};
  // Bounds on every downstream connection (transport/http_server.hpp).
  std::size_t max_connections = 1024;
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds idle_timeout{120};
  std::chrono::seconds write_stall_timeout{30};
  // Deepest JSON nesting accepted in any message, from clients and from backends alike.
  std::size_t max_json_depth = 64;
  // I/O threads, 0 for one per core. 1 by default: measured faster while the proxy shares a
  // small machine with its backends (docs/PERFORMANCE.md). Read at start; a reload keeps it.
  std::size_t threads = 1;
  // Extra values accepted in Origin / Host besides the loopback ones.
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_hosts;
  // Serving a non-loopback address without `auth` is refused unless this says it is meant.
  bool allow_unauthenticated = false;
};

enum class PrefixMode { always, on_conflict, never };

struct NamingConfig {
  PrefixMode mode = PrefixMode::always;
  std::string separator = "__";
};

// One entry of a middleware list: {type, enabled = true, config}. Its config is validated by
// the middleware's own factory (middleware/plan.hpp); `path` locates it for messages.
struct MiddlewareSpec {
  std::string type;
  bool enabled = true;
  boost::json::object config;
  std::string path;

  // Same middleware, wherever it is written in the file.
  bool operator==(const MiddlewareSpec& o) const {
    return type == o.type && enabled == o.enabled && config == o.config;
  }
};

// httpServer.middleware (igrigorik/MCProxy's layout): proxy-level list, client default list,
// and per-server lists that replace the default for that server.
struct MiddlewareSettings {
  std::vector<MiddlewareSpec> proxy;
  std::vector<MiddlewareSpec> client_default;
  std::vector<std::pair<std::string, std::vector<MiddlewareSpec>>> client_servers;

  const std::vector<MiddlewareSpec>& client_for(const std::string& server) const {
    for (auto& [name, specs] : client_servers)
      if (name == server) return specs;
    return client_default;
  }
};

// --- Identity at the edge (top-level "auth", "profiles", "rateLimits", "audit", "pins") ---

// { "rate": N, "per": "second|minute|hour", "burst": M }: a token bucket.
struct RateLimit {
  double rate = 0;
  std::chrono::milliseconds per{1000};
  double burst = 0;  // defaults to rate
  bool operator==(const RateLimit&) const = default;
};

// One static bearer token: the identity `name`, its profile and roles. The key is the token
// itself (usually "${VAR}") or only its SHA-256 (hex), so the file holds no secret.
struct ApiKeyConfig {
  std::string name;
  std::string key;     // empty when given as a digest
  std::string sha256;  // lowercase hex of the key; computed from `key` when that is given
  std::string profile;                 // the profile it sees on the main endpoint ("" = all)
  std::vector<std::string> profiles;   // every profile it may use (its own included)
  std::vector<std::string> roles;      // "admin", "metrics"...
  bool operator==(const ApiKeyConfig&) const = default;
};

struct JwtConfig {
  std::string jwks_file;
  std::string jwks_url;
  std::vector<std::string> issuers;    // "iss" must be one (when set)
  std::vector<std::string> audiences;  // accepted "aud" values on the main endpoint, besides its resource URL
  std::chrono::seconds leeway{60};
  bool allow_hs256 = false;
  std::string hs256_secret;            // only with allowHs256
  std::string identity_claim = "sub";
  std::string roles_claim = "roles";
  std::string profile_claim;           // a claim naming the profile, or
  std::vector<std::pair<std::string, std::string>> scope_profiles;  // scope -> profile, first match
  std::chrono::seconds jwks_min_refresh{30};   // an unknown kid refreshes at most this often
  std::chrono::seconds jwks_max_age{3600};     // a fetched JWKS is refreshed after this
  std::string jwks_ca_file;
  bool operator==(const JwtConfig&) const = default;
};

struct AuthConfig {
  bool enabled = false;  // the section is present
  std::vector<ApiKeyConfig> api_keys;
  std::optional<JwtConfig> jwt;
  // The public URL clients reach the proxy at ("https://mcp.example.com"), for the protected
  // resource metadata and JWT audiences; default http://<host>:<port>.
  std::string resource;
  std::vector<std::string> authorization_servers;
  std::vector<std::string> scopes;
  std::string default_profile;  // for a JWT that names none
  bool operator==(const AuthConfig&) const = default;
};

// A view of the catalogue for some identities: servers by glob, then tools, prompts and
// resources by the same allow/block rules as tool_filter (kept raw here; compiled and
// checked by proxy/access_policy.cpp). An endpoint serves it at its own path.
struct ProfileConfig {
  std::string name;
  std::vector<std::string> servers;  // globs of server names; empty = every server
  boost::json::object tools, prompts, resources;
  std::string endpoint;              // "" = none; else its path ("/mcp/<name>")
  std::optional<RateLimit> rate_limit;  // calls of everyone using the profile
  std::string path;                  // JSON path, for messages
  bool operator==(const ProfileConfig&) const = default;
};

struct RateLimitsConfig {
  std::optional<RateLimit> global;
  std::optional<RateLimit> per_identity;
  std::vector<std::pair<std::string, RateLimit>> per_tool;  // glob of final tool names -> per identity and tool
  std::size_t max_concurrent_per_identity = 0;  // 0: no cap
  bool operator==(const RateLimitsConfig&) const = default;
};

struct AuditConfig {
  bool enabled = false;
  std::string file;
  std::size_t max_bytes = 10u << 20;
  std::size_t max_files = 5;
  bool include_arguments = false;
  bool operator==(const AuditConfig&) const = default;
};

enum class PinMode { warn, block };
struct PinsConfig {
  bool enabled = false;
  std::string file;  // default: the user's state folder (mcproxy/pins.json)
  PinMode mode = PinMode::warn;
  bool operator==(const PinsConfig&) const = default;
};

// --- The bridge between the protocol's eras (top-level "bridge") ---
// A 2026-07-28 client in front of an initialize-era server: a server-to-client request of the
// server suspends the client's request, which is answered input_required with a requestState
// the proxy signs (HMAC-SHA256) and resumes when the client retries with its answers.
struct BridgeConfig {
  std::string state_key;  // the HMAC key (instances that share it accept each other's states); empty: random per process
  std::chrono::milliseconds input_timeout{300'000};  // how long a suspended request waits for its retry
  std::size_t max_waiting = 256;                     // suspended requests at once
  bool operator==(const BridgeConfig&) const = default;
};

struct Config {
  std::string source;  // file name, for messages
  std::vector<ServerConfig> servers;
  HttpServerConfig http;
  NamingConfig naming;
  MiddlewareSettings middleware;
  AuthConfig auth;
  std::vector<ProfileConfig> profiles;
  RateLimitsConfig rate_limits;
  AuditConfig audit;
  PinsConfig pins;
  BridgeConfig bridge;
  std::vector<std::string> warnings;  // unknown keys and the like; logged at start
  // Values that came from ${VAR} substitutions: never shown (support/redaction.hpp).
  std::vector<std::string> secrets;
};

// Every problem found, one per line: "<path>: <what was expected>, found <what>".
class ConfigError : public std::runtime_error {
 public:
  // `notes` (warnings that may explain the problems) are appended to what().
  ConfigError(std::string source, std::vector<std::string> problems, std::string notes = {});
  const std::vector<std::string>& problems() const noexcept { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// Variables from a credentials file (a JSON object of strings) for ${VAR} substitution, so
// secrets need not sit in the config. Throws ConfigError for a file that is not such an object.
std::vector<std::pair<std::string, std::string>> load_credentials_file(const std::string& path);

// Reads and validates a config file: JSON, or YAML when the name ends in .yaml/.yml (same
// schema). ${VAR} is looked up in the environment, then in `credentials`. Throws ConfigError.
Config load_config_file(const std::string& path,
                        const std::vector<std::pair<std::string, std::string>>& credentials = {});
// Validates an already-parsed document (tests use this). Throws ConfigError.
Config parse_config(const boost::json::value& document, std::string source = "<config>",
                    const std::vector<std::pair<std::string, std::string>>& credentials = {});
// YAML text -> the same JSON document a JSON file would give. Throws ConfigError.
boost::json::value yaml_to_json(const std::string& text, const std::string& source);

std::string_view to_string(ServerTransport t) noexcept;
std::string_view to_string(PrefixMode m) noexcept;
std::string_view to_string(SessionMode m) noexcept;
std::string_view to_string(PinMode m) noexcept;
// $XDG_STATE_HOME/mcproxy/pins.json, else ~/.local/state/mcproxy/pins.json.
std::string default_pins_file();

}  // namespace mcproxy::config
