// Over 400 lines on purpose: one reader for the whole schema (servers, httpServer, naming,
// middleware lists), so every problem of a file is collected in one pass with its JSON path,
// and the keys each object accepts sit next to the code that reads them.
#include "config/config.hpp"

#include "config/access_config.hpp"
#include "config/json_reader.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mcproxy::config {

namespace {

std::string join_lines(const std::string& source, const std::vector<std::string>& problems) {
  std::string out = fmt::format("invalid configuration in {}:", source);
  for (auto& p : problems) out += "\n  - " + p;
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned value = 0;
  int bits = -6;
  for (unsigned char c : in) {
    value = (value << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out += kAlphabet[(value >> bits) & 0x3F];
      bits -= 6;
    }
  }
  if (bits > -6) out += kAlphabet[((value << 8) >> (bits + 8)) & 0x3F];
  while (out.size() % 4) out += '=';
  return out;
}

std::chrono::milliseconds read_ms(JsonReader& r, const json::object& obj, std::string_view key,
                                  const std::string& path, std::chrono::milliseconds fallback) {
  auto* v = obj.if_contains(key);
  if (!v) return fallback;
  auto n = r.integer(*v, child_path(path, key), 1, 24LL * 3600 * 1000);
  return n ? std::chrono::milliseconds(*n) : fallback;
}

// "envPassthrough": "none" (an empty list) or a list of variable names.
std::optional<std::vector<std::string>> read_env_passthrough(JsonReader& r, const json::value& v,
                                                             const std::string& path) {
  if (v.is_string()) {
    if (v.get_string() == "none") return std::vector<std::string>{};
    if (v.get_string() == "all") return std::nullopt;
    r.error(path, fmt::format("expected \"none\", \"all\" or a list of variable names, found \"{}\"",
                              std::string_view(v.get_string())));
    return std::nullopt;
  }
  auto names = r.string_array(v, path);
  return names ? std::optional(std::move(*names)) : std::nullopt;
}

void read_server(JsonReader& r, const std::string& name, const json::value& value,
                 const std::string& path, std::vector<ServerConfig>& out) {
  auto* obj = r.object(value, path);
  if (!obj) return;
  r.check_keys(*obj, path,
               {"command", "args", "env", "cwd", "url", "type", "transport", "headers", "auth", "tls",
                "connectTimeoutMs", "disabled", "sessionMode", "startupTimeoutMs", "requestTimeoutMs",
                "maxMessageBytes", "reconnect", "healthCheckIntervalMs", "failureThreshold",
                "envPassthrough", "namespaceResources", "protocol"});
  ServerConfig s;
  s.name = name;
  if (name.empty()) r.error(path, "a server name must not be empty");

  if (auto* v = obj->if_contains("disabled")) s.disabled = r.boolean(*v, child_path(path, "disabled")).value_or(false);

  auto* command = obj->if_contains("command");
  auto* url = obj->if_contains("url");
  if (command && url) {
    r.error(path, "expected either \"command\" (a local stdio server) or \"url\" (a remote "
                  "server), found both");
  } else if (!command && !url) {
    r.error(path, "expected \"command\" (a local stdio server) or \"url\" (a remote server), "
                  "found neither");
  }

  std::string type;
  std::string type_path = child_path(path, "type");  // where the user wrote it, for messages
  for (auto key : {"type", "transport"}) {
    if (auto* v = obj->if_contains(key)) {
      if (auto t = r.string(*v, child_path(path, key))) {
        type = *t;
        type_path = child_path(path, key);
      }
    }
  }
  if (command) {
    if (!type.empty() && type != "stdio") {
      r.error(type_path,
              fmt::format("expected \"stdio\" for a server with \"command\", found \"{}\"", type));
    }
    s.transport = ServerTransport::stdio;
    if (auto c = r.string(*command, child_path(path, "command"))) {
      if (c->empty()) r.error(child_path(path, "command"), "expected a program to run, found \"\"");
      s.command = std::move(*c);
    }
    if (auto* v = obj->if_contains("args")) {
      if (auto a = r.string_array(*v, child_path(path, "args"))) s.args = std::move(*a);
    }
    if (auto* v = obj->if_contains("cwd")) {
      if (auto c = r.string(*v, child_path(path, "cwd"))) s.cwd = std::move(*c);
    }
    if (auto* v = obj->if_contains("env")) {
      std::string env_path = child_path(path, "env");
      if (auto* env = r.object(*v, env_path)) {
        for (auto& [k, ev] : *env) {
          if (auto sv = r.string(ev, child_path(env_path, k))) s.env.emplace_back(k, std::move(*sv));
        }
      }
    }
  } else if (url) {
    std::string url_userinfo;
    if (auto u = r.string(*url, child_path(path, "url"))) {
      if (!u->starts_with("http://") && !u->starts_with("https://"))
        r.error(child_path(path, "url"), fmt::format("expected an http:// or https:// URL, found \"{}\"", *u));
      s.url = std::move(*u);
      // "https://user:password@host/...": credentials go in an Authorization header (as curl
      // does), never on the request line or in what MCProxy shows.
      if (auto parsed = boost::urls::parse_uri(s.url); parsed && parsed->has_userinfo()) {
        std::string userinfo = parsed->userinfo();  // percent-decoded
        boost::urls::url stripped(*parsed);
        stripped.remove_userinfo();
        s.url = std::string(stripped.buffer());
        url_userinfo = std::move(userinfo);
      }
    }
    if (auto* v = obj->if_contains("headers")) {
      std::string hpath = child_path(path, "headers");
      if (auto* h = r.object(*v, hpath)) {
        for (auto& [k, hv] : *h)
          if (auto sv = r.string(hv, child_path(hpath, k))) s.headers.emplace_back(k, std::move(*sv));
      }
    }
    if (auto* v = obj->if_contains("auth")) {
      std::string apath = child_path(path, "auth");
      if (auto* a = r.object(*v, apath)) {
        r.check_keys(*a, apath, {"type", "token", "username", "password"});
        auto type = a->contains("type") ? r.string(a->at("type"), child_path(apath, "type")) : std::nullopt;
        if (type == "bearer") {
          auto token = a->contains("token") ? r.string(a->at("token"), child_path(apath, "token")) : std::nullopt;
          if (!token) r.error(apath, "expected a \"token\" for bearer auth");
          else s.headers.emplace_back("Authorization", "Bearer " + *token);
        } else if (type == "basic") {
          auto user = a->contains("username") ? r.string(a->at("username"), child_path(apath, "username")) : std::nullopt;
          auto pass = a->contains("password") ? r.string(a->at("password"), child_path(apath, "password")) : std::nullopt;
          if (!user || !pass) r.error(apath, "expected \"username\" and \"password\" for basic auth");
          else s.headers.emplace_back("Authorization", "Basic " + base64(*user + ":" + *pass));
        } else {
          r.error(child_path(apath, "type"), fmt::format("expected \"bearer\" or \"basic\", found {}",
                                                         type ? "\"" + *type + "\"" : std::string("none")));
        }
      }
    }
    if (auto* v = obj->if_contains("tls")) {
      std::string tpath = child_path(path, "tls");
      if (auto* t = r.object(*v, tpath)) {
        r.check_keys(*t, tpath, {"caFile", "insecure"});
        if (auto* c = t->if_contains("caFile")) s.tls_ca_file = r.string(*c, child_path(tpath, "caFile")).value_or("");
        if (auto* i = t->if_contains("insecure")) s.tls_insecure = r.boolean(*i, child_path(tpath, "insecure")).value_or(false);
      }
    }
    bool has_authorization = std::any_of(s.headers.begin(), s.headers.end(), [](auto& h) {
      return std::equal(h.first.begin(), h.first.end(), "authorization", "authorization" + 13,
                        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }) &&
             h.first.size() == 13;
    });
    if (!url_userinfo.empty() && !has_authorization)
      s.headers.emplace_back("Authorization", "Basic " + base64(url_userinfo));
    s.connect_timeout = read_ms(r, *obj, "connectTimeoutMs", path, s.connect_timeout);
    if (type.empty() || type == "auto") s.transport = ServerTransport::auto_detect;
    else if (type == "http" || type == "streamable-http" || type == "streamableHttp")
      s.transport = ServerTransport::streamable_http;
    else if (type == "sse") s.transport = ServerTransport::sse;
    else
      r.error(type_path,
              fmt::format("expected \"streamable-http\", \"sse\" or \"auto\", found \"{}\"", type));
  }
  if (auto* v = obj->if_contains("sessionMode")) {
    if (auto m = r.string(*v, child_path(path, "sessionMode"))) {
      if (*m == "shared") s.session_mode = SessionMode::shared;
      else if (*m == "per-client") s.session_mode = SessionMode::per_client;
      else
        r.error(child_path(path, "sessionMode"),
                fmt::format("expected \"shared\" or \"per-client\", found \"{}\"", *m));
    }
  }
  if (auto* v = obj->if_contains("protocol")) {
    if (auto m = r.string(*v, child_path(path, "protocol"))) {
      if (*m == "auto") s.era = ServerEra::auto_detect;
      else if (*m == "2026-07-28") s.era = ServerEra::modern;
      else if (*m == "legacy") s.era = ServerEra::legacy;
      else
        r.error(child_path(path, "protocol"),
                fmt::format("expected \"auto\", \"2026-07-28\" or \"legacy\" (initialize, 2025-11-25 and "
                            "older), found \"{}\"",
                            *m));
    }
  }
  s.startup_timeout = read_ms(r, *obj, "startupTimeoutMs", path, s.startup_timeout);
  if (auto* v = obj->if_contains("reconnect")) {
    std::string rpath = child_path(path, "reconnect");
    if (auto* rc = r.object(*v, rpath)) {
      r.check_keys(*rc, rpath, {"initialDelayMs", "maxDelayMs", "maxAttempts"});
      s.reconnect_initial_delay = read_ms(r, *rc, "initialDelayMs", rpath, s.reconnect_initial_delay);
      s.reconnect_max_delay = read_ms(r, *rc, "maxDelayMs", rpath, s.reconnect_max_delay);
      if (auto* m = rc->if_contains("maxAttempts"))
        s.reconnect_max_attempts = static_cast<int>(r.integer(*m, child_path(rpath, "maxAttempts"), 0, 1'000'000).value_or(0));
    }
  }
  if (auto* v = obj->if_contains("healthCheckIntervalMs")) {
    if (auto n = r.integer(*v, child_path(path, "healthCheckIntervalMs"), 0, 24LL * 3600 * 1000))
      s.health_check_interval = std::chrono::milliseconds(*n);
  }
  if (auto* v = obj->if_contains("failureThreshold"))
    s.failure_threshold = static_cast<int>(r.integer(*v, child_path(path, "failureThreshold"), 1, 1000).value_or(3));
  s.request_timeout = read_ms(r, *obj, "requestTimeoutMs", path, s.request_timeout);
  if (auto* v = obj->if_contains("envPassthrough")) s.env_passthrough = read_env_passthrough(r, *v, child_path(path, "envPassthrough"));
  if (auto* v = obj->if_contains("namespaceResources"))
    s.namespace_resources = r.boolean(*v, child_path(path, "namespaceResources")).value_or(false);
  if (auto* v = obj->if_contains("maxMessageBytes")) {
    if (auto n = r.integer(*v, child_path(path, "maxMessageBytes"), 1024, 1LL << 32))
      s.max_message_bytes = static_cast<std::size_t>(*n);
  }
  out.push_back(std::move(s));
}

void read_http(JsonReader& r, const json::value& value, HttpServerConfig& http) {
  const std::string path = "httpServer";
  auto* obj = r.object(value, path);
  if (!obj) return;
  r.check_keys(*obj, path,
               {"host", "port", "path", "maxBodyBytes", "maxSessions", "sessionIdleTimeoutSeconds",
                "pageSize", "shutdownGraceSeconds", "allowedOrigins", "allowedHosts", "middleware",
                "maxConnections", "headerTimeoutSeconds", "idleTimeoutSeconds",
                "writeStallTimeoutSeconds", "maxJsonDepth", "threads", "allowUnauthenticated"});
  if (auto* v = obj->if_contains("host")) {
    if (auto s = r.string(*v, child_path(path, "host"))) http.host = *s;
  }
  if (auto* v = obj->if_contains("port")) {
    if (auto n = r.integer(*v, child_path(path, "port"), 0, 65535))
      http.port = static_cast<unsigned short>(*n);
  }
  if (auto* v = obj->if_contains("path")) {
    if (auto s = r.string(*v, child_path(path, "path"))) {
      if (s->empty() || s->front() != '/')
        r.error(child_path(path, "path"), fmt::format("expected a path starting with \"/\", found \"{}\"", *s));
      else http.path = *s;
    }
  }
  if (auto* v = obj->if_contains("maxBodyBytes")) {
    if (auto n = r.integer(*v, child_path(path, "maxBodyBytes"), 1024, 1LL << 32))
      http.max_body_bytes = static_cast<std::size_t>(*n);
  }
  if (auto* v = obj->if_contains("maxSessions")) {
    if (auto n = r.integer(*v, child_path(path, "maxSessions"), 1, 1'000'000))
      http.max_sessions = static_cast<std::size_t>(*n);
  }
  if (auto* v = obj->if_contains("shutdownGraceSeconds")) {
    if (auto n = r.integer(*v, child_path(path, "shutdownGraceSeconds"), 0, 3600))
      http.shutdown_grace = std::chrono::seconds(*n);
  }
  if (auto* v = obj->if_contains("pageSize")) {
    if (auto n = r.integer(*v, child_path(path, "pageSize"), 0, 100'000))
      http.page_size = static_cast<std::size_t>(*n);
  }
  if (auto* v = obj->if_contains("sessionIdleTimeoutSeconds")) {
    if (auto n = r.integer(*v, child_path(path, "sessionIdleTimeoutSeconds"), 1, 30LL * 86400))
      http.session_idle_timeout = std::chrono::seconds(*n);
  }
  if (auto* v = obj->if_contains("maxConnections")) {
    if (auto n = r.integer(*v, child_path(path, "maxConnections"), 1, 1'000'000))
      http.max_connections = static_cast<std::size_t>(*n);
  }
  auto seconds = [&](std::string_view key, std::chrono::seconds& out, std::int64_t max) {
    if (auto* v = obj->if_contains(key)) {
      if (auto n = r.integer(*v, child_path(path, key), 1, max)) out = std::chrono::seconds(*n);
    }
  };
  seconds("headerTimeoutSeconds", http.header_timeout, 3600);
  seconds("idleTimeoutSeconds", http.idle_timeout, 86400);
  seconds("writeStallTimeoutSeconds", http.write_stall_timeout, 3600);
  if (auto* v = obj->if_contains("maxJsonDepth")) {
    if (auto n = r.integer(*v, child_path(path, "maxJsonDepth"), 16, 10'000))
      http.max_json_depth = static_cast<std::size_t>(*n);
  }
  if (auto* v = obj->if_contains("threads")) {
    if (auto n = r.integer(*v, child_path(path, "threads"), 0, 256)) http.threads = static_cast<std::size_t>(*n);
  }
  if (auto* v = obj->if_contains("allowUnauthenticated"))
    http.allow_unauthenticated = r.boolean(*v, child_path(path, "allowUnauthenticated")).value_or(false);
  if (auto* v = obj->if_contains("allowedOrigins")) {
    if (auto a = r.string_array(*v, child_path(path, "allowedOrigins"))) http.allowed_origins = *a;
  }
  if (auto* v = obj->if_contains("allowedHosts")) {
    if (auto a = r.string_array(*v, child_path(path, "allowedHosts"))) http.allowed_hosts = *a;
  }
}

std::vector<MiddlewareSpec> read_middleware_list(JsonReader& r, const json::value& value,
                                                 const std::string& path) {
  std::vector<MiddlewareSpec> out;
  auto* arr = r.array(value, path);
  if (!arr) return out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    std::string item_path = index_path(path, i);
    auto* obj = r.object((*arr)[i], item_path);
    if (!obj) continue;
    r.check_keys_strict(*obj, item_path, {"type", "enabled", "config"});
    MiddlewareSpec spec;
    spec.path = item_path;
    if (auto* t = obj->if_contains("type")) {
      if (auto s = r.string(*t, child_path(item_path, "type"))) spec.type = *s;
    } else {
      r.error(item_path, "expected a \"type\" naming the middleware, found none");
    }
    if (auto* e = obj->if_contains("enabled"))
      spec.enabled = r.boolean(*e, child_path(item_path, "enabled")).value_or(true);
    if (auto* c = obj->if_contains("config")) {
      if (auto* co = r.object(*c, child_path(item_path, "config"))) spec.config = *co;
    }
    out.push_back(std::move(spec));
  }
  return out;
}

void read_middleware(JsonReader& r, const json::value& value, MiddlewareSettings& out) {
  const std::string path = "httpServer.middleware";
  auto* obj = r.object(value, path);
  if (!obj) return;
  r.check_keys_strict(*obj, path, {"proxy", "client"});
  if (auto* p = obj->if_contains("proxy")) out.proxy = read_middleware_list(r, *p, child_path(path, "proxy"));
  if (auto* c = obj->if_contains("client")) {
    std::string client_path = child_path(path, "client");
    if (auto* client = r.object(*c, client_path)) {
      r.check_keys_strict(*client, client_path, {"default", "servers"});
      if (auto* d = client->if_contains("default"))
        out.client_default = read_middleware_list(r, *d, child_path(client_path, "default"));
      if (auto* s = client->if_contains("servers")) {
        std::string servers_path = child_path(client_path, "servers");
        if (auto* servers = r.object(*s, servers_path)) {
          for (auto& [name, list] : *servers)
            out.client_servers.emplace_back(name, read_middleware_list(r, list, child_path(servers_path, name)));
        }
      }
    }
  }
}

void read_bridge(JsonReader& r, const json::value& value, BridgeConfig& bridge) {
  const std::string path = "bridge";
  auto* obj = r.object(value, path);
  if (!obj) return;
  r.check_keys_strict(*obj, path, {"stateKey", "inputTimeoutMs", "maxWaiting"});
  if (auto* v = obj->if_contains("stateKey")) {
    if (auto s = r.string(*v, child_path(path, "stateKey"))) {
      // Empty ("${MCPROXY_STATE_KEY:-}" unset) is no key: one is made for the process.
      if (!s->empty() && s->size() < 32) r.error(child_path(path, "stateKey"), "expected a key of at least 32 bytes (e.g. ${MCPROXY_STATE_KEY} from the credentials file)");
      else bridge.state_key = *s;
    }
  }
  if (auto* v = obj->if_contains("inputTimeoutMs"))
    if (auto n = r.integer(*v, child_path(path, "inputTimeoutMs"), 1000, 86'400'000)) bridge.input_timeout = std::chrono::milliseconds(*n);
  if (auto* v = obj->if_contains("maxWaiting"))
    if (auto n = r.integer(*v, child_path(path, "maxWaiting"), 1, 100'000)) bridge.max_waiting = static_cast<std::size_t>(*n);
}

void read_naming(JsonReader& r, const json::value& value, NamingConfig& naming) {
  const std::string path = "naming";
  auto* obj = r.object(value, path);
  if (!obj) return;
  r.check_keys(*obj, path, {"prefix", "separator"});
  if (auto* v = obj->if_contains("prefix")) {
    if (auto s = r.string(*v, child_path(path, "prefix"))) {
      if (*s == "always") naming.mode = PrefixMode::always;
      else if (*s == "on-conflict") naming.mode = PrefixMode::on_conflict;
      else if (*s == "never") naming.mode = PrefixMode::never;
      else
        r.error(child_path(path, "prefix"),
                fmt::format("expected \"always\", \"on-conflict\" or \"never\", found \"{}\"", *s));
    }
  }
  if (auto* v = obj->if_contains("separator")) {
    if (auto s = r.string(*v, child_path(path, "separator"))) {
      bool ok = !s->empty() && s->size() <= 4 &&
                s->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                    std::string::npos;
      if (!ok)
        r.error(child_path(path, "separator"),
                fmt::format("expected 1 to 4 characters of [A-Za-z0-9_.-], found \"{}\"", *s));
      else naming.separator = *s;
    }
  }
}

}  // namespace

ConfigError::ConfigError(std::string source, std::vector<std::string> problems, std::string notes)
    : std::runtime_error(join_lines(source, problems) + notes), problems_(std::move(problems)) {}

std::string_view to_string(ServerTransport t) noexcept {
  switch (t) {
    case ServerTransport::stdio: return "stdio";
    case ServerTransport::streamable_http: return "streamable-http";
    case ServerTransport::sse: return "sse";
    case ServerTransport::auto_detect: return "auto";
  }
  return "?";
}

std::string_view to_string(SessionMode m) noexcept {
  return m == SessionMode::shared ? "shared" : "per-client";
}

std::string_view to_string(PrefixMode m) noexcept {
  switch (m) {
    case PrefixMode::always: return "always";
    case PrefixMode::on_conflict: return "on-conflict";
    case PrefixMode::never: return "never";
  }
  return "?";
}

Config parse_config(const json::value& document, std::string source,
                    const std::vector<std::pair<std::string, std::string>>& credentials) {
  auto env = process_env_lookup();
  std::string servers_key_used = "mcpServers";
  JsonReader r([env, credentials](const std::string& name) -> std::optional<std::string> {
    if (auto v = env(name)) return v;
    for (auto& [k, v] : credentials)
      if (k == name) return v;
    return std::nullopt;
  });
  Config config;
  config.source = source;
  if (auto* root = r.object(document, "")) {
    r.check_keys(*root, "", {"mcpServers", "servers", "httpServer", "naming", "$schema", "inputs",
                             "envPassthrough", "auth", "profiles", "rateLimits", "audit", "pins", "bridge"});
    // Claude Desktop and Cursor write "mcpServers"; VS Code's mcp.json writes "servers".
    const char* servers_key = root->contains("mcpServers") ? "mcpServers" : "servers";
    servers_key_used = servers_key;
    if (auto* servers = root->if_contains(servers_key)) {
      if (auto* obj = r.object(*servers, servers_key)) {
        for (auto& [name, value] : *obj)
          read_server(r, name, value, child_path(servers_key, name), config.servers);
        if (obj->empty()) r.error(servers_key, "expected at least one server, found none");
      }
    } else {
      r.error("", "expected a \"mcpServers\" object naming the MCP servers to proxy, found none");
    }
    if (auto* v = root->if_contains("httpServer")) {
      read_http(r, *v, config.http);
      if (auto* m = v->is_object() ? v->get_object().if_contains("middleware") : nullptr)
        read_middleware(r, *m, config.middleware);
    }
    if (auto* v = root->if_contains("naming")) read_naming(r, *v, config.naming);
    if (auto* v = root->if_contains("bridge")) read_bridge(r, *v, config.bridge);
    read_access_sections(r, *root, config);
    // The global envPassthrough applies to every server that does not set its own.
    if (auto* v = root->if_contains("envPassthrough")) {
      auto global = read_env_passthrough(r, *v, "envPassthrough");
      for (auto& s : config.servers) {
        auto* own = root->contains(servers_key) && root->at(servers_key).is_object()
                        ? root->at(servers_key).get_object().if_contains(s.name)
                        : nullptr;
        bool has_own = own && own->is_object() && own->get_object().contains("envPassthrough");
        if (!has_own) s.env_passthrough = global;
      }
    }
    // Server names become tool prefixes: two that give the same prefix would collide.
    for (std::size_t i = 0; i < config.servers.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        auto prefix = [](std::string_view n) {
          std::string out;
          for (unsigned char c : n) out += (std::isalnum(c) || c == '_' || c == '.' || c == '-') ? static_cast<char>(c) : '_';
          return out;
        };
        if (prefix(config.servers[i].name) == prefix(config.servers[j].name)) {
          r.error(child_path(servers_key_used, config.servers[i].name),
                  fmt::format("expected a name that differs from \"{}\" once made a tool prefix (both "
                              "become \"{}\")",
                              config.servers[j].name, prefix(config.servers[i].name)));
        }
      }
    }
    for (auto& [name, list] : config.middleware.client_servers) {
      bool known = std::any_of(config.servers.begin(), config.servers.end(),
                               [&name = name](auto& s) { return s.name == name; });
      if (!known)
        r.error(child_path("httpServer.middleware.client.servers", name),
                fmt::format("expected the name of a server in mcpServers, found \"{}\"", name));
    }
  }
  if (!r.errors().empty()) {
    // Warnings (e.g. "did you mean \"command\"?") often explain the error: keep them with it.
    std::string notes;
    for (auto& w : r.warnings()) notes += "\n  note: " + w;
    throw ConfigError(source, r.errors(), notes);
  }
  config.warnings = r.warnings();
  config.secrets = r.substituted();
  // Keys written in the file itself are secrets too.
  for (auto& k : config.auth.api_keys)
    if (!k.key.empty()) config.secrets.push_back(k.key);
  if (config.auth.jwt && !config.auth.jwt->hs256_secret.empty()) config.secrets.push_back(config.auth.jwt->hs256_secret);
  return config;
}

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path, {fmt::format("cannot open the file: {} (pass --config FILE; "
                                         "example-config.json shows the format)",
                                         std::strerror(errno))});
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

json::value parse_json_text(const std::string& text, const std::string& path) {
  json::stream_parser parser;
  boost::system::error_code ec;
  std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
      if (text[i] == '\n') ++line, column = 1;
      else ++column;
    }
    throw ConfigError(path, {fmt::format("line {}, column {}: not valid JSON ({})", line, column,
                                         ec.message())});
  }
  return parser.release();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> load_credentials_file(const std::string& path) {
  json::value doc = parse_json_text(read_file(path), path);
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> problems;
  if (!doc.is_object()) {
    problems.push_back("expected an object of VARIABLE: \"value\" pairs");
  } else {
    for (auto& [k, v] : doc.get_object()) {
      if (v.is_string()) out.emplace_back(k, std::string(v.get_string()));
      else problems.push_back(fmt::format("{}: expected a string, found {}", std::string(k), json_kind(v)));
    }
  }
  if (!problems.empty()) throw ConfigError(path, problems);
  return out;
}

Config load_config_file(const std::string& path,
                        const std::vector<std::pair<std::string, std::string>>& credentials) {
  std::string text = read_file(path);
  bool yaml = path.ends_with(".yaml") || path.ends_with(".yml");
  return parse_config(yaml ? yaml_to_json(text, path) : parse_json_text(text, path), path, credentials);
}

}  // namespace mcproxy::config
