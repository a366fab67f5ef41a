#include "middleware/client/content_filter.hpp"

#include "middleware/counters.hpp"
#include "middleware/registry.hpp"

#include <boost/json.hpp>

#include <re2/re2.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::middleware {

using boost::asio::awaitable;

namespace {

// The longest prefix of `text` of at most `bytes` bytes that does not split a UTF-8 sequence.
std::size_t utf8_cut(std::string_view text, std::size_t bytes) {
  if (bytes >= text.size()) return text.size();
  while (bytes > 0 && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) --bytes;
  return bytes;
}

void visit_strings(json::value& v, const std::function<void(json::value&)>& fn) {
  switch (v.kind()) {
    case json::kind::string: fn(v); break;
    case json::kind::array:
      for (auto& item : v.get_array()) visit_strings(item, fn);
      break;
    case json::kind::object:
      for (auto& [key, item] : v.get_object()) visit_strings(item, fn);
      break;
    default: break;
  }
}

// The text fields of a result that a model reads, in order (what the budget counts).
void collect_texts(mcp::Method method, json::object& result, std::vector<json::value*>& texts) {
  auto text_of = [&](json::value& item) {
    auto* o = item.if_object();
    if (!o) return;
    if (auto* t = o->if_contains("text"); t && t->is_string()) texts.push_back(t);
    if (auto* r = o->if_contains("resource"); r && r->is_object())
      if (auto* t = r->get_object().if_contains("text"); t && t->is_string()) texts.push_back(t);
  };
  if (method == mcp::Method::resources_read) {
    if (auto* contents = result.if_contains("contents"); contents && contents->is_array())
      for (auto& c : contents->get_array()) text_of(c);
  } else if (method == mcp::Method::prompts_get) {
    if (auto* messages = result.if_contains("messages"); messages && messages->is_array())
      for (auto& m : messages->get_array())
        if (auto* o = m.if_object())
          if (auto* content = o->if_contains("content")) {
            if (content->is_array())
              for (auto& c : content->get_array()) text_of(c);
            else
              text_of(*content);
          }
  } else {
    if (auto* content = result.if_contains("content"); content && content->is_array())
      for (auto& c : content->get_array()) text_of(c);
  }
}

void clean(const ContentFilterConfig& config, json::value& text, FilterCounts& counts) {
  std::string_view original = text.get_string();
  std::optional<std::string> changed;
  if (config.strip_control) {
    std::size_t removed = 0;
    auto stripped = strip_control(original, &removed);
    if (removed) {
      counts.stripped += removed;
      changed = std::move(stripped);
    }
  }
  std::string_view current = changed ? std::string_view(*changed) : original;
  if (auto redacted = config.detectors.redact(current, &counts.redacted)) changed = std::move(redacted);
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    auto& rule = config.rules[i];
    if (!RE2::PartialMatch(changed ? std::string_view(*changed) : original, rule.pattern->regex())) continue;
    if (!changed) changed = std::string(original);
    counts.rules[i] += static_cast<std::size_t>(RE2::GlobalReplace(&*changed, rule.pattern->regex(), rule.replace));
  }
  if (changed) text = *changed;
}

}  // namespace

std::string strip_control(std::string_view text, std::size_t* removed) {
  std::string out;
  out.reserve(text.size());
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1B) {  // ESC: a CSI ("ESC [" ... final byte), an OSC ("ESC ]" ... BEL or ST), or ESC x
      std::size_t j = i + 1;
      if (j < text.size() && text[j] == '[') {
        ++j;
        while (j < text.size() && static_cast<unsigned char>(text[j]) >= 0x20 && static_cast<unsigned char>(text[j]) <= 0x3F) ++j;
        while (j < text.size() && static_cast<unsigned char>(text[j]) >= 0x20 && static_cast<unsigned char>(text[j]) <= 0x2F) ++j;
        if (j < text.size()) ++j;  // the final byte
      } else if (j < text.size() && text[j] == ']') {
        ++j;
        while (j < text.size() && text[j] != '\x07' && !(text[j] == '\x1B' && j + 1 < text.size() && text[j + 1] == '\\')) ++j;
        if (j < text.size()) j += text[j] == '\x07' ? 1 : 2;
      } else if (j < text.size()) {
        ++j;
      }
      dropped += j - i;
      i = j - 1;
      continue;
    }
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
      ++dropped;
      continue;
    }
    out.push_back(static_cast<char>(c));
  }
  if (removed) *removed = dropped;
  return out;
}

void filter_result(const ContentFilterConfig& config, mcp::Method method, json::value& result, FilterCounts& counts) {
  auto* r = result.if_object();
  if (!r) return;
  counts.rules.resize(config.rules.size());
  std::vector<json::value*> texts;
  collect_texts(method, *r, texts);
  for (auto* t : texts) clean(config, *t, counts);
  if (auto* structured = r->if_contains("structuredContent"))
    visit_strings(*structured, [&](json::value& s) { clean(config, s, counts); });
  if (!config.max_bytes) return;
  std::size_t total = 0;
  for (auto* t : texts) total += t->get_string().size();
  if (total <= config.max_bytes) return;
  std::size_t left = config.max_bytes;
  json::value* last_kept = nullptr;
  for (auto* t : texts) {
    std::string_view s = t->get_string();
    if (s.size() <= left) {
      left -= s.size();
      last_kept = t;
      continue;
    }
    std::size_t keep = utf8_cut(s, left);
    left = 0;
    if (keep > 0 || !last_kept) {
      *t = std::string(s.substr(0, keep));
      last_kept = t;
    } else {
      *t = "";
    }
  }
  std::size_t cut = total - (config.max_bytes - left);
  counts.truncated_bytes += cut;
  std::string marker =
      config.budget_key == "maxTokens"
          ? fmt::format("\n[MCProxy content_filter: about {} of {} tokens cut (maxTokens {})]", cut / 4, total / 4,
                        config.max_bytes / 4)
          : fmt::format("\n[MCProxy content_filter: {} of {} bytes cut (maxBytes {})]", cut, total, config.max_bytes);
  if (last_kept) *last_kept = std::string(last_kept->get_string()) + marker;
}

ContentFilter::ContentFilter(std::shared_ptr<const ContentFilterConfig> config, std::string site)
    : config_(std::move(config)), site_(std::move(site)) {
  auto& registry = CounterRegistry::instance();
  std::string where = site_.empty() ? "proxy" : site_;
  for (auto d : kAllDetectors)
    redactions_[static_cast<std::size_t>(d)] = &registry.counter(
        "mcproxy_content_filter_redactions_total", "Findings content_filter redacted, by site (server or proxy) and detector",
        {{"site", where}, {"detector", std::string(to_string(d))}});
  for (auto& rule : config_->rules)
    rule_hits_.push_back(&registry.counter("mcproxy_content_filter_rule_replacements_total",
                                           "Replacements made by content_filter's rules, by site and rule",
                                           {{"site", where}, {"rule", rule.name}}));
  truncations_ = &registry.counter("mcproxy_content_filter_truncations_total",
                                   "Results content_filter cut to its budget, by site", {{"site", where}});
}

awaitable<json::value> ContentFilter::filtered(Call call, RequestContext& ctx) {
  auto method = call.method;
  json::value result = co_await next(std::move(call), ctx);
  FilterCounts counts;
  filter_result(*config_, method, result, counts);
  for (std::size_t d = 0; d < kDetectorCount; ++d)
    if (counts.redacted[d]) redactions_[d]->fetch_add(counts.redacted[d], std::memory_order_relaxed);
  for (std::size_t i = 0; i < counts.rules.size() && i < rule_hits_.size(); ++i)
    if (counts.rules[i]) rule_hits_[i]->fetch_add(counts.rules[i], std::memory_order_relaxed);
  if (counts.truncated_bytes) truncations_->fetch_add(1, std::memory_order_relaxed);
  std::string what;
  for (auto d : kAllDetectors)
    if (auto n = counts.redacted[static_cast<std::size_t>(d)]) what += fmt::format("{}{} {}", what.empty() ? "" : ", ", n, to_string(d));
  for (std::size_t i = 0; i < counts.rules.size(); ++i)
    if (counts.rules[i]) what += fmt::format("{}{} by rule {}", what.empty() ? "" : ", ", counts.rules[i], config_->rules[i].name);
  if (!what.empty())
    spdlog::info("[{}] content_filter: redacted {} in a {} result (req#{})", site_.empty() ? "proxy" : site_, what,
                 mcp::info(method) ? mcp::info(method)->name : "?", ctx.correlation_id);
  if (counts.truncated_bytes)
    spdlog::info("[{}] content_filter: cut {} bytes of a {} result (req#{})", site_.empty() ? "proxy" : site_,
                 counts.truncated_bytes, mcp::info(method) ? mcp::info(method)->name : "?", ctx.correlation_id);
  co_return result;
}

awaitable<json::value> ContentFilter::call_tool(Call call, RequestContext& ctx) { return filtered(std::move(call), ctx); }
awaitable<json::value> ContentFilter::read_resource(Call call, RequestContext& ctx) { return filtered(std::move(call), ctx); }
awaitable<json::value> ContentFilter::get_prompt(Call call, RequestContext& ctx) { return filtered(std::move(call), ctx); }
awaitable<json::value> ContentFilter::get_task_result(Call call, RequestContext& ctx) {
  return filtered(std::move(call), ctx);
}

namespace {

std::optional<Maker> parse_content_filter(const json::object& config, config::JsonReader& r, const std::string& path) {
  r.check_keys_strict(config, path, {"redact", "rules", "stripControl", "maxBytes", "maxTokens"});
  std::size_t errors = r.errors().size();
  auto cfg = std::make_shared<ContentFilterConfig>();
  if (auto* v = config.if_contains("redact")) {
    auto rpath = config::child_path(path, "redact");
    if (v->is_string() && v->get_string() == "all") {
      // the default
    } else if (auto list = r.string_array(*v, rpath)) {
      std::vector<Detector> enabled;
      for (std::size_t i = 0; i < list->size(); ++i) {
        auto d = detector_named((*list)[i]);
        if (!d) {
          std::string known;
          for (auto k : kAllDetectors) known += (known.empty() ? "" : ", ") + std::string(to_string(k));
          r.error(config::index_path(rpath, i), fmt::format("unknown detector \"{}\" (known: {}, or \"all\")", (*list)[i], known));
          continue;
        }
        enabled.push_back(*d);
      }
      cfg->detectors = DetectorSet(std::move(enabled));
    }
  }
  if (auto* v = config.if_contains("rules")) {
    auto rpath = config::child_path(path, "rules");
    if (auto* arr = r.array(*v, rpath)) {
      for (std::size_t i = 0; i < arr->size(); ++i) {
        auto ipath = config::index_path(rpath, i);
        auto* obj = r.object((*arr)[i], ipath);
        if (!obj) continue;
        r.check_keys_strict(*obj, ipath, {"pattern", "replace", "name"});
        ReplaceRule rule;
        rule.name = fmt::format("rules[{}]", i);
        if (auto* n = obj->if_contains("name")) rule.name = r.string(*n, config::child_path(ipath, "name")).value_or(rule.name);
        auto* p = obj->if_contains("pattern");
        if (!p) {
          r.error(ipath, "expected a \"pattern\" (an RE2 regex), found none");
          continue;
        }
        auto pattern = r.string(*p, config::child_path(ipath, "pattern"));
        if (!pattern) continue;
        auto compiled = Pattern::compile_regex(*pattern, r, config::child_path(ipath, "pattern"));
        if (!compiled) continue;
        rule.pattern = std::make_shared<const Pattern>(std::move(*compiled));
        if (auto* rep = obj->if_contains("replace"))
          rule.replace = r.string(*rep, config::child_path(ipath, "replace")).value_or("");
        else
          rule.replace = "[REDACTED]";
        std::string why;
        if (!rule.pattern->regex().CheckRewriteString(rule.replace, &why))
          r.error(config::child_path(ipath, "replace"), fmt::format("not a valid replacement for this pattern: {}", why));
        cfg->rules.push_back(std::move(rule));
      }
    }
  }
  if (auto* v = config.if_contains("stripControl"))
    cfg->strip_control = r.boolean(*v, config::child_path(path, "stripControl")).value_or(true);
  if (config.contains("maxBytes") && config.contains("maxTokens"))
    r.error(path, "give \"maxBytes\" or \"maxTokens\", not both");
  if (auto* v = config.if_contains("maxBytes")) {
    if (auto n = r.integer(*v, config::child_path(path, "maxBytes"), 64, 1LL << 30)) cfg->max_bytes = static_cast<std::size_t>(*n);
  } else if (auto* t = config.if_contains("maxTokens")) {
    if (auto n = r.integer(*t, config::child_path(path, "maxTokens"), 16, 1LL << 28)) {
      cfg->max_bytes = static_cast<std::size_t>(*n) * 4;
      cfg->budget_key = "maxTokens";
    }
  }
  if (r.errors().size() != errors) return std::nullopt;
  return Maker([cfg](const Site& site) { return std::make_shared<ContentFilter>(cfg, site.server); });
}

}  // namespace

}  // namespace mcproxy::middleware

MCPROXY_REGISTER_MIDDLEWARE(content_filter,
                            {"content_filter", ::mcproxy::middleware::Scope::any,
                             "redact PII and secrets, apply replace rules, strip control characters and cut "
                             "oversized text in results",
                             &::mcproxy::middleware::parse_content_filter})
