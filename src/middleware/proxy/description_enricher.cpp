#include "middleware/proxy/description_enricher.hpp"

#include "middleware/registry.hpp"

#include <boost/json.hpp>

namespace mcproxy::middleware {

using boost::asio::awaitable;

namespace {

std::string expand(std::string_view text, std::string_view server, std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i).starts_with("{server}")) out += server, i += 7;
    else if (text.substr(i).starts_with("{name}")) out += name, i += 5;
    else out += text[i];
  }
  return out;
}

std::optional<Maker> parse(const json::object& config, config::JsonReader& r, const std::string& path) {
  r.check_keys_strict(config, path, {"prefix", "suffix", "overrides", "prompts"});
  auto cfg = std::make_shared<DescriptionEnricherConfig>();
  std::size_t errors = r.errors().size();
  if (auto* v = config.if_contains("prefix")) cfg->prefix = r.string(*v, config::child_path(path, "prefix")).value_or("");
  if (auto* v = config.if_contains("suffix")) cfg->suffix = r.string(*v, config::child_path(path, "suffix")).value_or("");
  if (auto* v = config.if_contains("prompts"))
    cfg->prompts = r.boolean(*v, config::child_path(path, "prompts")).value_or(false);
  if (auto* v = config.if_contains("overrides")) {
    auto opath = config::child_path(path, "overrides");
    if (auto* obj = r.object(*v, opath)) {
      for (auto& [name, text] : *obj)
        if (auto s = r.string(text, config::child_path(opath, name))) cfg->overrides[name] = *s;
    }
  }
  if (r.errors().size() != errors) return std::nullopt;
  return Maker([cfg](const Site&) { return std::make_shared<DescriptionEnricher>(cfg); });
}

}  // namespace

void DescriptionEnricher::enrich(json::value& result, std::string_view key, NameKind kind,
                                 const RequestContext& ctx) const {
  if (!result.is_object()) return;
  auto* items = result.get_object().if_contains(key);
  if (!items || !items->is_array()) return;
  for (auto& item : items->get_array()) {
    if (!item.is_object()) continue;
    auto& obj = item.get_object();
    auto* name_value = obj.if_contains("name");
    if (!name_value || !name_value->is_string()) continue;
    std::string name(name_value->get_string());
    std::string server = ctx.session ? ctx.session->server_of(kind, name) : std::string();
    std::string description;
    if (auto it = config_->overrides.find(name); it != config_->overrides.end()) description = it->second;
    else if (auto* d = obj.if_contains("description"); d && d->is_string()) description = d->get_string();
    obj["description"] = expand(config_->prefix, server, name) + description +
                         expand(config_->suffix, server, name);
  }
}

awaitable<json::value> DescriptionEnricher::list_tools(Call call, RequestContext& ctx) {
  json::value result = co_await next(std::move(call), ctx);
  enrich(result, "tools", NameKind::tool, ctx);
  co_return result;
}

awaitable<json::value> DescriptionEnricher::list_prompts(Call call, RequestContext& ctx) {
  json::value result = co_await next(std::move(call), ctx);
  if (config_->prompts) enrich(result, "prompts", NameKind::prompt, ctx);
  co_return result;
}

}  // namespace mcproxy::middleware

MCPROXY_REGISTER_MIDDLEWARE(description_enricher,
                            {"description_enricher", ::mcproxy::middleware::Scope::proxy,
                             "add text to tool descriptions ({server}, {name})",
                             &::mcproxy::middleware::parse})
