#include "config/access_config.hpp"

#include <boost/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace mcproxy::config {

namespace {

std::optional<std::string> opt_string(JsonReader& r, const json::object& obj, std::string_view key,
                                      const std::string& path) {
  auto* v = obj.if_contains(key);
  return v ? r.string(*v, child_path(path, key)) : std::nullopt;
}

// A string or a list of strings.
std::vector<std::string> one_or_many(JsonReader& r, const json::object& obj, std::string_view key,
                                     const std::string& path) {
  auto* v = obj.if_contains(key);
  if (!v) return {};
  if (v->is_string()) {
    auto s = r.string(*v, child_path(path, key));
    return s ? std::vector<std::string>{*s} : std::vector<std::string>{};
  }
  auto a = r.string_array(*v, child_path(path, key));
  return a ? *a : std::vector<std::string>{};
}

bool is_hex_digest(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::optional<RateLimit> read_rate(JsonReader& r, const json::value& value, const std::string& path) {
  auto* obj = r.object(value, path);
  if (!obj) return std::nullopt;
  r.check_keys_strict(*obj, path, {"rate", "per", "burst"});
  RateLimit limit;
  bool ok = true;
  if (auto* v = obj->if_contains("rate")) {
    auto n = r.integer(*v, child_path(path, "rate"), 1, 1'000'000'000);
    if (n) limit.rate = static_cast<double>(*n);
    else ok = false;
  } else {
    r.error(path, "expected \"rate\" (tokens per \"per\"), found none");
    ok = false;
  }
  if (auto per = opt_string(r, *obj, "per", path)) {
    if (*per == "second") limit.per = std::chrono::seconds(1);
    else if (*per == "minute") limit.per = std::chrono::minutes(1);
    else if (*per == "hour") limit.per = std::chrono::hours(1);
    else {
      r.error(child_path(path, "per"), fmt::format("expected \"second\", \"minute\" or \"hour\", found \"{}\"", *per));
      ok = false;
    }
  }
  limit.burst = limit.rate;
  if (auto* v = obj->if_contains("burst")) {
    auto n = r.integer(*v, child_path(path, "burst"), 1, 1'000'000'000);
    if (n) limit.burst = static_cast<double>(*n);
    else ok = false;
  }
  return ok ? std::optional(limit) : std::nullopt;
}

void read_api_keys(JsonReader& r, const json::value& value, const std::string& path, AuthConfig& auth) {
  auto* list = r.array(value, path);
  if (!list) return;
  for (std::size_t i = 0; i < list->size(); ++i) {
    std::string ipath = index_path(path, i);
    auto* obj = r.object((*list)[i], ipath);
    if (!obj) continue;
    r.check_keys_strict(*obj, ipath, {"name", "key", "sha256", "profile", "profiles", "roles"});
    ApiKeyConfig k;
    if (auto name = opt_string(r, *obj, "name", ipath)) k.name = *name;
    if (k.name.empty()) r.error(ipath, "expected a \"name\" (the identity this key stands for), found none");
    // Usually "${VAR}": the value is substituted (and so known as a secret, never shown).
    if (auto key = opt_string(r, *obj, "key", ipath)) {
      k.key = *key;
      if (k.key.size() < 16)
        r.error(child_path(ipath, "key"), "expected a key of at least 16 characters (generate one: openssl rand -hex 32)");
    }
    if (auto s = opt_string(r, *obj, "sha256", ipath)) {
      std::string lower = *s;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!is_hex_digest(lower))
        r.error(child_path(ipath, "sha256"), "expected 64 hex characters (printf %s \"$KEY\" | sha256sum)");
      else k.sha256 = lower;
    }
    if (k.key.empty() == k.sha256.empty())
      r.error(ipath, "expected exactly one of \"key\" and \"sha256\"");
    if (auto p = opt_string(r, *obj, "profile", ipath)) k.profile = *p;
    k.profiles = one_or_many(r, *obj, "profiles", ipath);
    if (!k.profile.empty() && std::find(k.profiles.begin(), k.profiles.end(), k.profile) == k.profiles.end())
      k.profiles.insert(k.profiles.begin(), k.profile);
    k.roles = one_or_many(r, *obj, "roles", ipath);
    for (auto& other : auth.api_keys)
      if (other.name == k.name) r.error(child_path(ipath, "name"), fmt::format("expected a name not used by another key, found \"{}\" twice", k.name));
    auth.api_keys.push_back(std::move(k));
  }
}

void read_jwt(JsonReader& r, const json::value& value, const std::string& path, AuthConfig& auth) {
  auto* obj = r.object(value, path);
  if (!obj) return;
  r.check_keys_strict(*obj, path,
                      {"jwksFile", "jwksUrl", "issuer", "audience", "leewaySeconds", "allowHs256", "hs256Secret",
                       "identityClaim", "rolesClaim", "profileClaim", "scopeProfiles", "jwksMinRefreshSeconds",
                       "jwksMaxAgeSeconds", "jwksCaFile"});
  JwtConfig jwt;
  if (auto s = opt_string(r, *obj, "jwksFile", path)) jwt.jwks_file = *s;
  if (auto s = opt_string(r, *obj, "jwksUrl", path)) {
    jwt.jwks_url = *s;
    if (!s->starts_with("https://") && !s->starts_with("http://"))
      r.error(child_path(path, "jwksUrl"), fmt::format("expected an http(s):// URL, found \"{}\"", *s));
  }
  if (auto* v = obj->if_contains("allowHs256")) jwt.allow_hs256 = r.boolean(*v, child_path(path, "allowHs256")).value_or(false);
  if (auto s = opt_string(r, *obj, "hs256Secret", path)) {
    jwt.hs256_secret = *s;
    if (!jwt.allow_hs256)
      r.error(child_path(path, "hs256Secret"), "expected \"allowHs256\": true with an HS256 secret (HS256 is off unless asked for)");
    else if (s->size() < 32)
      r.error(child_path(path, "hs256Secret"), "expected a secret of at least 32 bytes");
  }
  if (jwt.jwks_file.empty() && jwt.jwks_url.empty() && jwt.hs256_secret.empty())
    r.error(path, "expected \"jwksFile\" or \"jwksUrl\" (where the signing keys are), found neither");
  jwt.issuers = one_or_many(r, *obj, "issuer", path);
  jwt.audiences = one_or_many(r, *obj, "audience", path);
  if (auto* v = obj->if_contains("leewaySeconds"))
    if (auto n = r.integer(*v, child_path(path, "leewaySeconds"), 0, 600)) jwt.leeway = std::chrono::seconds(*n);
  if (auto* v = obj->if_contains("jwksMinRefreshSeconds"))
    if (auto n = r.integer(*v, child_path(path, "jwksMinRefreshSeconds"), 0, 86400)) jwt.jwks_min_refresh = std::chrono::seconds(*n);
  if (auto* v = obj->if_contains("jwksMaxAgeSeconds"))
    if (auto n = r.integer(*v, child_path(path, "jwksMaxAgeSeconds"), 10, 30 * 86400)) jwt.jwks_max_age = std::chrono::seconds(*n);
  if (auto s = opt_string(r, *obj, "identityClaim", path)) jwt.identity_claim = *s;
  if (auto s = opt_string(r, *obj, "rolesClaim", path)) jwt.roles_claim = *s;
  if (auto s = opt_string(r, *obj, "profileClaim", path)) jwt.profile_claim = *s;
  if (auto s = opt_string(r, *obj, "jwksCaFile", path)) jwt.jwks_ca_file = *s;
  if (auto* v = obj->if_contains("scopeProfiles")) {
    std::string spath = child_path(path, "scopeProfiles");
    if (auto* m = r.object(*v, spath))
      for (auto& [scope, profile] : *m)
        if (auto p = r.string(profile, child_path(spath, scope))) jwt.scope_profiles.emplace_back(scope, *p);
  }
  auth.jwt = std::move(jwt);
}

void read_auth(JsonReader& r, const json::value& value, AuthConfig& auth) {
  const std::string path = "auth";
  auto* obj = r.object(value, path);
  if (!obj) return;
  auth.enabled = true;
  r.check_keys_strict(*obj, path, {"apiKeys", "jwt", "resource", "authorizationServers", "scopes", "defaultProfile"});
  if (auto* v = obj->if_contains("apiKeys")) read_api_keys(r, *v, child_path(path, "apiKeys"), auth);
  if (auto* v = obj->if_contains("jwt")) read_jwt(r, *v, child_path(path, "jwt"), auth);
  if (auth.api_keys.empty() && !auth.jwt)
    r.error(path, "expected \"apiKeys\" or \"jwt\" (who may connect), found neither");
  if (auto s = opt_string(r, *obj, "resource", path)) {
    std::string url = *s;
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    if (!url.starts_with("https://") && !url.starts_with("http://"))
      r.error(child_path(path, "resource"), fmt::format("expected the proxy's public http(s):// URL, found \"{}\"", *s));
    auth.resource = url;
  }
  auth.authorization_servers = one_or_many(r, *obj, "authorizationServers", path);
  auth.scopes = one_or_many(r, *obj, "scopes", path);
  if (auto s = opt_string(r, *obj, "defaultProfile", path)) auth.default_profile = *s;
}

void read_profiles(JsonReader& r, const json::value& value, const std::string& mcp_path,
                   std::vector<ProfileConfig>& out) {
  const std::string path = "profiles";
  auto* obj = r.object(value, path);
  if (!obj) return;
  for (auto& [name, v] : *obj) {
    std::string ppath = child_path(path, name);
    auto* p = r.object(v, ppath);
    if (!p) continue;
    r.check_keys_strict(*p, ppath, {"servers", "tools", "prompts", "resources", "endpoint", "rateLimit", "description"});
    ProfileConfig profile;
    profile.name = name;
    profile.path = ppath;
    bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '-' || c == '_' || c == '.';
    });
    if (!plain) r.error(ppath, "expected a profile name of letters, digits, '-', '_' or '.'");
    profile.servers = one_or_many(r, *p, "servers", ppath);
    for (auto [key, target] : {std::pair{"tools", &profile.tools}, std::pair{"prompts", &profile.prompts},
                               std::pair{"resources", &profile.resources}}) {
      if (auto* rule = p->if_contains(key)) {
        if (auto* o = r.object(*rule, child_path(ppath, key))) *target = *o;
      }
    }
    if (auto* e = p->if_contains("endpoint")) {
      if (e->is_bool()) {
        if (e->get_bool()) profile.endpoint = mcp_path + "/" + std::string(name);
      } else if (auto s = r.string(*e, child_path(ppath, "endpoint"))) {
        if (s->empty() || s->front() != '/')
          r.error(child_path(ppath, "endpoint"), fmt::format("expected true or a path starting with \"/\", found \"{}\"", *s));
        else profile.endpoint = *s;
      }
    }
    if (auto* l = p->if_contains("rateLimit")) profile.rate_limit = read_rate(r, *l, child_path(ppath, "rateLimit"));
    out.push_back(std::move(profile));
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].endpoint.empty()) continue;
    if (out[i].endpoint == mcp_path)
      r.error(child_path(out[i].path, "endpoint"), fmt::format("expected a path other than the main endpoint {}", mcp_path));
    for (std::size_t j = 0; j < i; ++j)
      if (out[j].endpoint == out[i].endpoint)
        r.error(child_path(out[i].path, "endpoint"), fmt::format("expected a path not used by profile \"{}\"", out[j].name));
  }
}

void read_rate_limits(JsonReader& r, const json::value& value, RateLimitsConfig& limits) {
  const std::string path = "rateLimits";
  auto* obj = r.object(value, path);
  if (!obj) return;
  r.check_keys_strict(*obj, path, {"global", "perIdentity", "perTool", "maxConcurrentPerIdentity"});
  if (auto* v = obj->if_contains("global")) limits.global = read_rate(r, *v, child_path(path, "global"));
  if (auto* v = obj->if_contains("perIdentity")) limits.per_identity = read_rate(r, *v, child_path(path, "perIdentity"));
  if (auto* v = obj->if_contains("perTool")) {
    std::string tpath = child_path(path, "perTool");
    if (auto* m = r.object(*v, tpath))
      for (auto& [glob, spec] : *m)
        if (auto l = read_rate(r, spec, child_path(tpath, glob))) limits.per_tool.emplace_back(glob, *l);
  }
  if (auto* v = obj->if_contains("maxConcurrentPerIdentity"))
    if (auto n = r.integer(*v, child_path(path, "maxConcurrentPerIdentity"), 1, 100'000))
      limits.max_concurrent_per_identity = static_cast<std::size_t>(*n);
}

void read_audit(JsonReader& r, const json::value& value, AuditConfig& audit) {
  const std::string path = "audit";
  auto* obj = r.object(value, path);
  if (!obj) return;
  r.check_keys_strict(*obj, path, {"file", "maxBytes", "maxFiles", "includeArguments", "enabled"});
  audit.enabled = true;
  if (auto* v = obj->if_contains("enabled")) audit.enabled = r.boolean(*v, child_path(path, "enabled")).value_or(true);
  if (auto s = opt_string(r, *obj, "file", path)) audit.file = *s;
  if (audit.enabled && audit.file.empty()) r.error(path, "expected a \"file\" to write the audit log to");
  if (auto* v = obj->if_contains("maxBytes"))
    if (auto n = r.integer(*v, child_path(path, "maxBytes"), 4096, 1LL << 40)) audit.max_bytes = static_cast<std::size_t>(*n);
  if (auto* v = obj->if_contains("maxFiles"))
    if (auto n = r.integer(*v, child_path(path, "maxFiles"), 1, 1000)) audit.max_files = static_cast<std::size_t>(*n);
  if (auto* v = obj->if_contains("includeArguments"))
    audit.include_arguments = r.boolean(*v, child_path(path, "includeArguments")).value_or(false);
}

void read_pins(JsonReader& r, const json::value& value, PinsConfig& pins) {
  const std::string path = "pins";
  auto* obj = r.object(value, path);
  if (!obj) return;
  r.check_keys_strict(*obj, path, {"file", "mode", "enabled"});
  pins.enabled = true;
  if (auto* v = obj->if_contains("enabled")) pins.enabled = r.boolean(*v, child_path(path, "enabled")).value_or(true);
  if (auto s = opt_string(r, *obj, "file", path)) pins.file = *s;
  if (pins.file.empty()) pins.file = default_pins_file();
  if (auto s = opt_string(r, *obj, "mode", path)) {
    if (*s == "warn") pins.mode = PinMode::warn;
    else if (*s == "block") pins.mode = PinMode::block;
    else r.error(child_path(path, "mode"), fmt::format("expected \"warn\" or \"block\", found \"{}\"", *s));
  }
}

}  // namespace

std::string default_pins_file() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) return std::string(state) + "/mcproxy/pins.json";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/state/mcproxy/pins.json";
}

std::string_view to_string(PinMode m) noexcept { return m == PinMode::block ? "block" : "warn"; }

void read_access_sections(JsonReader& r, const json::object& root, Config& config) {
  if (auto* v = root.if_contains("auth")) read_auth(r, *v, config.auth);
  if (auto* v = root.if_contains("profiles")) read_profiles(r, *v, config.http.path, config.profiles);
  if (auto* v = root.if_contains("rateLimits")) read_rate_limits(r, *v, config.rate_limits);
  if (auto* v = root.if_contains("audit")) read_audit(r, *v, config.audit);
  if (auto* v = root.if_contains("pins")) read_pins(r, *v, config.pins);

  auto known_profile = [&](const std::string& name) {
    return std::any_of(config.profiles.begin(), config.profiles.end(), [&](auto& p) { return p.name == name; });
  };
  for (std::size_t i = 0; i < config.auth.api_keys.size(); ++i)
    for (auto& p : config.auth.api_keys[i].profiles)
      if (!known_profile(p))
        r.error(child_path(index_path("auth.apiKeys", i), "profile"), fmt::format("expected the name of a profile in \"profiles\", found \"{}\"", p));
  if (!config.auth.default_profile.empty() && !known_profile(config.auth.default_profile))
    r.error("auth.defaultProfile", fmt::format("expected the name of a profile in \"profiles\", found \"{}\"", config.auth.default_profile));
  if (config.auth.jwt)
    for (auto& [scope, p] : config.auth.jwt->scope_profiles)
      if (!known_profile(p))
        r.error(child_path("auth.jwt.scopeProfiles", scope), fmt::format("expected the name of a profile in \"profiles\", found \"{}\"", p));
  for (auto& profile : config.profiles)
    for (auto& s : profile.servers) {
      bool glob = s.find_first_of("*?[") != std::string::npos;
      bool known = glob || std::any_of(config.servers.begin(), config.servers.end(), [&](auto& srv) { return srv.name == s; });
      if (!known)
        r.error(child_path(profile.path, "servers"), fmt::format("expected the name (or a glob) of a server in mcpServers, found \"{}\"", s));
    }
}

}  // namespace mcproxy::config
