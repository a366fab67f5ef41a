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

struct Config {
  std::string source;  // file name, for messages
  std::vector<ServerConfig> servers;
  HttpServerConfig http;
  NamingConfig naming;
  MiddlewareSettings middleware;
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

}  // namespace mcproxy::config
