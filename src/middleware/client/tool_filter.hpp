#pragma once
// tool_filter (client middleware): hides tools, prompts and resources of one backend. A hidden
// item is left out of its list AND refused when called, with the same error as an unknown
// one, so hiding is a real boundary and not cosmetics.
//
// Config (every key optional):
//   "tools":     {"allow": [patterns], "block": [patterns]}   tool names
//   "prompts":   {"allow": [...], "block": [...]}             prompt names
//   "resources": {"allow": [...], "block": [...]}             resource URIs and URI templates
//   "allow" / "block" at the top level are shorthands for "tools".
// An item is visible when it matches an allow pattern (or there is no allow list) and no block
// pattern. Patterns are globs, or RE2 regexes after "re:" (see pattern.hpp). A hidden resource
// template also hides every URI it expands to: reading, subscribing to or completing one is
// refused like a hidden resource (the templates are looked up once, and again after the
// server's resources/list_changed).
// Order: usually after logging (so refused calls are logged) and before security.

#include "middleware/pattern.hpp"
#include "middleware/service.hpp"

#include <optional>
#include <vector>

namespace mcproxy::middleware {

struct ToolFilterConfig {
  VisibilityRule tools;
  VisibilityRule prompts;
  VisibilityRule resources;
};

class ToolFilter final : public Middleware {
 public:
  explicit ToolFilter(std::shared_ptr<const ToolFilterConfig> config) : config_(std::move(config)) {}

 protected:
  boost::asio::awaitable<json::value> list_tools(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> call_tool(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> list_prompts(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> get_prompt(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> list_resources(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> list_resource_templates(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> read_resource(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> subscribe_resource(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> unsubscribe_resource(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> complete(Call call, RequestContext& ctx) override;

 public:
  bool on_server_notification(Call& notification, const ReverseContext& from) override;

 private:
  // Whether a concrete URI is visible: by the patterns, and not an expansion of a hidden
  // template (which are fetched from the server the first time they are needed).
  boost::asio::awaitable<bool> uri_visible(std::string_view uri, RequestContext& ctx);
  boost::asio::awaitable<json::value> by_visible_uri(Call call, RequestContext& ctx);
  void note_templates(const json::value& result);

  std::shared_ptr<const ToolFilterConfig> config_;
  std::optional<std::vector<UriTemplateMatcher>> hidden_templates_;  // nullopt: not known yet
};

}  // namespace mcproxy::middleware
