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
        if (r->scope == scope || r->scope == Scope::any) known += (known.empty() ? "" : ", ") + r->type;
      reader.error(type_path, fmt::format("unknown {} middleware \"{}\" (known: {})",
                                          to_string(scope), spec.type, known));
      continue;
    }
    if (registration->scope != scope && registration->scope != Scope::any) {
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

Pipeline::Pipeline(const std::vector<Maker>& makers, const Site& site, std::shared_ptr<Service> innermost) {
  std::shared_ptr<Service> next = std::move(innermost);
  layers_.resize(makers.size());
  for (std::size_t i = makers.size(); i-- > 0;) {
    per_session_ |= makers[i].per_session;
    auto layer = makers[i](site);
    layer->next_ = next;
    next = layer;
    layers_[i] = std::move(layer);
  }
  entry_ = std::move(next);
}

bool Pipeline::list_is_pure(mcp::ListKind kind) const {
  if (per_session_) return false;
  for (auto& layer : layers_)
    if (!layer->list_is_pure(kind)) return false;
  return true;
}

std::string Pipeline::list_variant(const Session* session, const json::object& params) const {
  std::string variant;
  for (auto& layer : layers_) {
    auto v = layer->list_variant(session, params);
    if (!v.empty()) variant += (variant.empty() ? "" : "/") + v;
  }
  return variant;
}

bool Pipeline::server_notification(Call& notification, const ReverseContext& from) const {
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it)
    if (!(*it)->on_server_notification(notification, from)) return false;
  return true;
}

boost::asio::awaitable<json::value> Pipeline::server_request(Call call, const ReverseContext& from,
                                                             const ReverseNext& deliver) const {
  // steps[i] hands the call to layer i, whose next is steps[i - 1] (outward); step 0 is the
  // outermost layer, whose next is `deliver`. The innermost layer goes first.
  std::vector<ReverseNext> steps(layers_.size());
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const ReverseNext& outward = i == 0 ? deliver : steps[i - 1];
    Middleware* layer = layers_[i].get();
    steps[i] = [layer, &from, &outward](Call c) { return layer->on_server_request(std::move(c), from, outward); };
  }
  const ReverseNext& first = steps.empty() ? deliver : steps.back();
  co_return co_await first(std::move(call));
}

}  // namespace mcproxy::middleware
