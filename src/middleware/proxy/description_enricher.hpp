#pragma once
// description_enricher (proxy middleware): rewrites tool (and optionally prompt) descriptions
// in tools/list, e.g. to tell the model which server a tool comes from. Applied to each
// response's own copy, so listing again never accumulates text.
//
// Config:
//   "prefix": ""            text put before the description; {server} and {name} expand
//   "suffix": ""            text put after it
//   "overrides": {}         exposed name -> full description (replaces, then prefix/suffix)
//   "prompts": false        also apply to prompts/list
// Order: inside tool_search (after it in the list) if searches should see the enriched text.

#include "middleware/service.hpp"

#include <string>
#include <unordered_map>

namespace mcproxy::middleware {

struct DescriptionEnricherConfig {
  std::string prefix;
  std::string suffix;
  std::unordered_map<std::string, std::string> overrides;
  bool prompts = false;
};

class DescriptionEnricher final : public Middleware {
 public:
  explicit DescriptionEnricher(std::shared_ptr<const DescriptionEnricherConfig> config)
      : config_(std::move(config)) {}
  // Its text depends on the name, the server that owns it and the config alone.
  bool list_is_pure(mcp::ListKind) const override { return true; }

 protected:
  boost::asio::awaitable<json::value> list_tools(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> list_prompts(Call call, RequestContext& ctx) override;

 private:
  void enrich(json::value& result, std::string_view key, NameKind kind, const RequestContext& ctx) const;
  std::shared_ptr<const DescriptionEnricherConfig> config_;
};

}  // namespace mcproxy::middleware
