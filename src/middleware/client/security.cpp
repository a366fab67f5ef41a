#include "middleware/client/security.hpp"

#include "middleware/detectors.hpp"

#include "mcp/error.hpp"
#include "middleware/registry.hpp"

#include <boost/json.hpp>

#include <re2/re2.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::middleware {

using boost::asio::awaitable;
using mcp::McpError;
namespace ec = mcp::error_code;

namespace {

struct PresetRule {
  const char* name;
  const char* regex;
  const char* message;
};

// Built-in rules, only with "preset": "default". Regexes run over the arguments' JSON text.
constexpr PresetRule kDefaultPreset[] = {
    {"path-traversal", R"((^|[/\\"])\.\.([/\\"]|$))", "path traversal (\"..\") is not allowed"},
    {"system-files", R"((/etc/(passwd|shadow|sudoers)|/proc/self/|\.ssh/(id_[a-z0-9]+|authorized_keys)))",
     "access to system credential files is not allowed"},
    {"private-key", R"(-----BEGIN [A-Z ]*PRIVATE KEY-----)", "private keys must not be sent to tools"},
    {"shell-chaining", R"((;|&&|\|\|)\s*(rm\s+-rf|curl|wget|nc|bash|sh)\b)",
     "shell command chaining is not allowed"},
};


bool read_rule(const json::value& value, config::JsonReader& r, const std::string& path,
               SecurityRule& rule) {
  auto* obj = r.object(value, path);
  if (!obj) return false;
  r.check_keys_strict(*obj, path, {"name", "tools", "arguments", "negate", "action", "message"});
  if (auto* n = obj->if_contains("name")) rule.name = r.string(*n, config::child_path(path, "name")).value_or("");
  else r.error(path, "expected a \"name\" for the rule, found none");
  if (auto* t = obj->if_contains("tools")) {
    if (auto set = PatternSet::read(*t, r, config::child_path(path, "tools"))) rule.tools = std::move(*set);
  }
  if (auto* a = obj->if_contains("arguments")) {
    auto apath = config::child_path(path, "arguments");
    if (a->is_string()) {
      rule.arguments = Pattern::compile_regex(a->get_string(), r, apath);
    } else if (auto* fields = r.object(*a, apath)) {
      for (auto& [field, regex] : *fields) {
        auto fpath = config::child_path(apath, field);
        if (!regex.is_string()) {
          r.expected(fpath, "a regular expression string", regex);
        } else if (auto p = Pattern::compile_regex(regex.get_string(), r, fpath)) {
          rule.fields.emplace_back(field, std::move(*p));
        }
      }
    }
  }
  if (auto* n = obj->if_contains("negate")) rule.negate = r.boolean(*n, config::child_path(path, "negate")).value_or(false);
  if (auto* a = obj->if_contains("action")) {
    auto action = r.string(*a, config::child_path(path, "action"));
    if (action == "block") rule.block = true;
    else if (action == "warn") rule.block = false;
    else if (action) r.error(config::child_path(path, "action"), fmt::format("expected \"block\" or \"warn\", found \"{}\"", *action));
  }
  if (rule.negate && !rule.arguments && rule.fields.empty())
    r.error(config::child_path(path, "negate"),
            "expected \"arguments\" with \"negate\" (it inverts what the arguments match)");
  if (auto* m = obj->if_contains("message")) rule.message = r.string(*m, config::child_path(path, "message")).value_or("");
  if (rule.message.empty()) rule.message = "the call matches this rule";
  return true;
}

std::optional<Maker> parse(const json::object& config, config::JsonReader& r, const std::string& path) {
  r.check_keys_strict(config, path, {"rules", "preset", "scanResults"});
  auto cfg = std::make_shared<SecurityConfig>();
  std::size_t errors = r.errors().size();
  if (auto* v = config.if_contains("preset")) {
    auto preset = r.string(*v, config::child_path(path, "preset"));
    if (preset == "default") {
      for (auto& p : kDefaultPreset) {
        SecurityRule rule;
        rule.name = p.name;
        rule.arguments = Pattern::compile_regex(p.regex, r, config::child_path(path, "preset"));
        rule.message = p.message;
        cfg->rules.push_back(std::move(rule));
      }
    } else if (preset) {
      r.error(config::child_path(path, "preset"), fmt::format("expected \"default\", found \"{}\"", *preset));
    }
  }
  if (auto* v = config.if_contains("rules")) {
    auto rpath = config::child_path(path, "rules");
    if (auto* arr = r.array(*v, rpath)) {
      for (std::size_t i = 0; i < arr->size(); ++i) {
        SecurityRule rule;
        if (read_rule((*arr)[i], r, config::index_path(rpath, i), rule)) cfg->rules.push_back(std::move(rule));
      }
    }
  }
  if (auto* v = config.if_contains("scanResults")) {
    auto spath = config::child_path(path, "scanResults");
    if (auto* obj = r.object(*v, spath)) {
      r.check_keys_strict(*obj, spath, {"action", "patterns"});
      cfg->scan_results = true;
      if (auto* a = obj->if_contains("action")) {
        auto action = r.string(*a, config::child_path(spath, "action"));
        if (action == "redact") cfg->redact = true;
        else if (action == "block") cfg->redact = false;
        else if (action) r.error(config::child_path(spath, "action"), fmt::format("expected \"redact\" or \"block\", found \"{}\"", *action));
      }
      if (auto* p = obj->if_contains("patterns")) {
        auto ppath = config::child_path(spath, "patterns");
        if (auto list = r.string_array(*p, ppath)) {
          for (std::size_t i = 0; i < list->size(); ++i)
            if (auto pat = Pattern::compile_regex((*list)[i], r, config::index_path(ppath, i)))
              cfg->secret_patterns.push_back(std::move(*pat));
        }
      } else {
        for (auto* regex : default_secret_patterns())  // shared with content_filter (detectors)
          if (auto pat = Pattern::compile_regex(regex, r, spath)) cfg->secret_patterns.push_back(std::move(*pat));
      }
    }
  }
  if (r.errors().size() != errors) return std::nullopt;
  return Maker([cfg](const Site& site) { return std::make_shared<Security>(cfg, site.server); });
}

std::string field_text(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : json::serialize(v);
}

// Copies `v` with every path-like string normalized; false when nothing changed.
bool normalize_paths(json::value& v, int depth = 0) {
  if (depth > 64) return false;
  bool changed = false;
  if (auto* str = v.if_string()) {
    auto normalized = normalize_path(*str);
    if (normalized != std::string_view(*str)) {
      *str = normalized;
      changed = true;
    }
  } else if (auto* arr = v.if_array()) {
    for (auto& item : *arr) changed |= normalize_paths(item, depth + 1);
  } else if (auto* obj = v.if_object()) {
    for (auto& [key, item] : *obj) changed |= normalize_paths(item, depth + 1);
  }
  return changed;
}

}  // namespace

std::string normalize_path(std::string_view text) {
  if (text.find('/') == std::string_view::npos && text.find('\\') == std::string_view::npos)
    return std::string(text);
  std::string prefix;  // "file://" and the like stay as they are
  if (auto scheme = text.find("://"); scheme != std::string_view::npos &&
                                     text.substr(0, scheme).find('/') == std::string_view::npos) {
    prefix = std::string(text.substr(0, scheme + 3));
    text.remove_prefix(scheme + 3);
  }
  std::string path(text);
  for (auto& c : path)
    if (c == '\\') c = '/';
  bool absolute = !path.empty() && path.front() == '/';
  bool trailing = path.size() > 1 && path.back() == '/';
  std::vector<std::string_view> parts;
  std::string_view rest(path);
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto part = rest.substr(0, slash);
    rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!absolute) parts.push_back(part);  // above a relative start: kept, visible
      continue;
    }
    parts.push_back(part);
  }
  std::string out = prefix + (absolute ? "/" : "");
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  if (trailing && !parts.empty()) out += '/';
  if (out.empty()) out = ".";
  return out;
}

void Security::check_rules(std::string_view tool, const json::object& arguments) const {
  // Paths are matched as written and as they resolve ("/srv/data/../../etc/shadow" is
  // "/etc/shadow", "/etc//passwd" is "/etc/passwd"): a block rule fires on either, an
  // allow-list (negate) must hold for the resolved one.
  json::value normalized_value = arguments;
  bool changed = normalize_paths(normalized_value);
  const json::object& normalized = changed ? normalized_value.get_object() : arguments;
  std::optional<std::string> raw_text, normalized_text;  // serialized once, only if needed
  auto text_of = [&](bool norm) -> const std::string& {
    auto& slot = norm ? normalized_text : raw_text;
    if (!slot) slot = json::serialize(norm ? normalized : arguments);
    return *slot;
  };
  for (auto& rule : config_->rules) {
    if (!rule.tools.empty() && !rule.tools.matches(tool)) continue;
    // Whether the rule's argument patterns match the arguments (raw or resolved form).
    auto matches = [&](bool norm) {
      const json::object& args = norm ? normalized : arguments;
      bool matched = false;
      if (rule.arguments) matched = rule.arguments->matches(text_of(norm));
      for (auto& [field, pattern] : rule.fields) {
        auto* v = args.if_contains(field);
        if (v && pattern.matches(field_text(*v))) matched = true;
      }
      return matched;
    };
    bool matched;
    if (!rule.arguments && rule.fields.empty()) {
      matched = true;  // no argument patterns: every call of its tools
    } else if (rule.negate) {
      // An allow-list: fires when the resolved arguments do not match (a missing field too).
      matched = !matches(true);
    } else {
      matched = matches(false) || (changed && matches(true));
    }
    if (!matched) continue;
    if (rule.block) {
      spdlog::warn("[{}] security rule '{}' blocked a call to '{}'", server_, rule.name, tool);
      throw McpError(ec::kInvalidParams,
                     fmt::format("Blocked by security rule '{}': {}", rule.name, rule.message),
                     json::object{{"rule", rule.name}, {"tool", tool}});
    }
    spdlog::warn("[{}] security rule '{}' (warn) matched a call to '{}': {}", server_, rule.name,
                 tool, rule.message);
  }
}

namespace {

// Every string of a value, recursively (text blocks, embedded resources, structuredContent).
template <class Fn>
void for_each_string(json::value& v, Fn&& fn) {
  switch (v.kind()) {
    case json::kind::string: fn(v); break;
    case json::kind::array:
      for (auto& item : v.get_array()) for_each_string(item, fn);
      break;
    case json::kind::object:
      for (auto& [key, item] : v.get_object())
        if (key != "data" && key != "blob") for_each_string(item, fn);  // base64, not text
      break;
    default: break;
  }
}

}  // namespace

void Security::scan(json::value& result) const {
  if (!result.is_object()) return;
  bool redacted = false;
  auto check = [&](json::value& text) {
    std::string_view original = text.get_string();
    bool any = false;
    for (auto& p : config_->secret_patterns) any |= RE2::PartialMatch(original, p.regex());
    if (!any) return;  // the common case: nothing to copy
    if (!config_->redact) {
      for (auto& p : config_->secret_patterns) {
        if (!RE2::PartialMatch(original, p.regex())) continue;
        spdlog::warn("[{}] blocked a result that contains a secret (pattern {})", server_, p.source());
        throw McpError(ec::kInternalError, "The tool's result was blocked because it contains a secret",
                       json::object{{"pattern", p.source()}});
      }
    }
    std::string value(original);
    for (auto& p : config_->secret_patterns) RE2::GlobalReplace(&value, p.regex(), "[REDACTED]");
    text = value;
    redacted = true;
  };
  auto& r = result.get_object();
  if (auto* content = r.if_contains("content")) for_each_string(*content, check);
  if (auto* structured = r.if_contains("structuredContent")) for_each_string(*structured, check);
  if (redacted) spdlog::warn("[{}] redacted a secret in a tool result", server_);
}

awaitable<json::value> Security::call_tool(Call call, RequestContext& ctx) {
  std::string tool;
  if (auto* n = call.params.if_contains("name"); n && n->is_string()) tool = n->get_string();
  static const json::object kNoArguments;
  auto* args = call.params.if_contains("arguments");
  check_rules(tool, args && args->is_object() ? args->get_object() : kNoArguments);
  json::value result = co_await next(std::move(call), ctx);
  if (config_->scan_results) scan(result);
  co_return result;
}

}  // namespace mcproxy::middleware

MCPROXY_REGISTER_MIDDLEWARE(security, {"security", ::mcproxy::middleware::Scope::client,
                                       "block or flag tool calls by rule; redact secrets in results",
                                       &::mcproxy::middleware::parse})
