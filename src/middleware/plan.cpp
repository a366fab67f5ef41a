#include "middleware/plan.hpp"

#include <fmt/format.h>

namespace mcproxy::middleware {

namespace {

std::vector<Maker> compile_list(const std::vector<config::MiddlewareSpec>& specs, Scope scope,
                                config::JsonReader& reader) {
  std::vector<Maker> makers;
  for (auto& spec : specs) {
    if (spec.type.empty()) continue;  // already reported by the config reader
    auto* registration = Registry::instance().find(spec.type);
    std::string type_path = spec.path + ".type";
    if (!registration) {
      std::string known;
      for (auto* r : Registry::instance().all())
        if (r->scope == scope) known += (known.empty() ? "" : ", ") + r->type;
      reader.error(type_path, fmt::format("unknown {} middleware \"{}\" (known: {})",
                                          to_string(scope), spec.type, known));
      continue;
    }
    if (registration->scope != scope) {
      reader.error(type_path,
                   fmt::format("\"{}\" is a {} middleware; it belongs in the {} list", spec.type,
                               to_string(registration->scope),
                               registration->scope == Scope::client ? "client" : "proxy"));
      continue;
    }
    auto maker = registration->factory(spec.config, reader, spec.path + ".config");
    if (maker && spec.enabled) makers.push_back(std::move(*maker));
  }
  return makers;
}

}  // namespace

Plan compile_plan(const config::Config& config) {
  config::JsonReader reader;
  Plan plan;
  plan.proxy = compile_list(config.middleware.proxy, Scope::proxy, reader);
  plan.client_default = compile_list(config.middleware.client_default, Scope::client, reader);
  for (auto& [server, specs] : config.middleware.client_servers)
    plan.client_servers[server] = compile_list(specs, Scope::client, reader);
  if (!reader.errors().empty()) throw config::ConfigError(config.source, reader.errors());
  return plan;
}

std::shared_ptr<Service> build_chain(const std::vector<Maker>& makers, const Site& site,
                                     std::shared_ptr<Service> innermost,
                                     std::vector<std::shared_ptr<Middleware>>* layers) {
  std::shared_ptr<Service> next = std::move(innermost);
  std::vector<std::shared_ptr<Middleware>> built;
  for (auto it = makers.rbegin(); it != makers.rend(); ++it) {
    auto layer = (*it)(site);
    layer->set_next(next);
    next = layer;
    built.insert(built.begin(), layer);
  }
  if (layers) *layers = std::move(built);
  return next;
}

}  // namespace mcproxy::middleware
