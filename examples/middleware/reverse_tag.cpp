// An out-of-tree proxy middleware on the reverse path (server -> client): it sees every
// server notification on its way to a client session and every request a server sends a
// client (sampling, elicitation, roots), with the client's answer on its way back.
//   - notifications/message: adds _meta "example/seenBy" = "reverse_tag@<server>" (keeping
//     the server's own _meta), or drops the message when its level is in "drop";
//   - sampling/createMessage: appends "suffix" to the systemPrompt the client gets, and adds
//     _meta "example/seenBy" to the client's answer before the server gets it.
//
//   {"type": "reverse_tag", "config": {"drop": ["debug"], "suffix": " (via reverse_tag)"}}

#include "middleware/registry.hpp"

#include <boost/json.hpp>

#include <set>
#include <string>

namespace example {

namespace json = boost::json;
namespace mw = mcproxy::middleware;

struct ReverseTagConfig {
  std::set<std::string> drop;  // log levels never delivered
  std::string suffix = " (via reverse_tag)";
};

void tag(json::object& object, std::string value) {
  auto& meta = object["_meta"];
  if (!meta.is_object()) meta = json::object();
  meta.get_object()["example/seenBy"] = std::move(value);
}

class ReverseTag final : public mw::Middleware {
 public:
  explicit ReverseTag(std::shared_ptr<const ReverseTagConfig> config) : config_(std::move(config)) {}

  // It never touches a list, so it lets MCProxy serve lists from its cache.
  bool list_is_pure(mcproxy::mcp::ListKind) const override { return true; }

  bool on_server_notification(mw::Call& notification, const mw::ReverseContext& from) override {
    if (notification.method != mcproxy::mcp::Method::message) return true;
    if (auto* level = notification.params.if_contains("level"); level && level->is_string() &&
                                                                config_->drop.contains(std::string(level->get_string())))
      return false;
    tag(notification.params, "reverse_tag@" + std::string(from.server));
    return true;
  }

  boost::asio::awaitable<json::value> on_server_request(mw::Call call, const mw::ReverseContext& from,
                                                       const mw::ReverseNext& next) override {
    if (call.method != mcproxy::mcp::Method::sampling_create_message) co_return co_await next(std::move(call));
    auto* prompt = call.params.if_contains("systemPrompt");
    std::string text = prompt && prompt->is_string() ? std::string(prompt->get_string()) : "";
    call.params["systemPrompt"] = text + config_->suffix;
    json::value answer = co_await next(std::move(call));  // the outer layers, then the client
    if (auto* object = answer.if_object()) tag(*object, "reverse_tag");
    co_return answer;
  }

 private:
  std::shared_ptr<const ReverseTagConfig> config_;
};

std::optional<mw::Maker> parse_reverse_tag(const json::object& config, mcproxy::config::JsonReader& r,
                                           const std::string& path) {
  std::size_t problems = r.errors().size();
  r.check_keys_strict(config, path, {"drop", "suffix"});
  auto cfg = std::make_shared<ReverseTagConfig>();
  if (auto* v = config.if_contains("drop"))
    if (auto levels = r.string_array(*v, mcproxy::config::child_path(path, "drop")))
      cfg->drop.insert(levels->begin(), levels->end());
  if (auto* v = config.if_contains("suffix"))
    if (auto s = r.string(*v, mcproxy::config::child_path(path, "suffix"))) cfg->suffix = *s;
  if (r.errors().size() != problems) return std::nullopt;
  return mw::Maker([cfg](const mw::Site&) { return std::make_shared<ReverseTag>(cfg); });
}

}  // namespace example

MCPROXY_REGISTER_MIDDLEWARE(reverse_tag, {"reverse_tag", ::mcproxy::middleware::Scope::proxy,
                                          "tag server notifications and sampling on the reverse path (example)",
                                          &::example::parse_reverse_tag})
