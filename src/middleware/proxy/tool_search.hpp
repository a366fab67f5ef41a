#pragma once
// tool_search (proxy middleware): a `search_tools(query, limit)` tool that finds tools by what
// they do, ranked by BM25 over name, title, description and parameter names with English
// stemming (Xapian). With many servers a client need not load every tool: set maxTools and the
// list shows only that many tools plus search_tools; each session's searches add what they
// found to that session's list (and that session alone gets tools/list_changed). Found tools
// are callable at once. The index is rebuilt whenever the catalogue changes.
//
// Config:
//   "maxTools": 0              0: list every tool (plus search_tools)
//   "toolName": "search_tools"
//   "defaultLimit": 5, "maxLimit": 50
// Order: outermost among proxy middleware that change tools/list, so it indexes what clients
// would see (e.g. after description_enricher).

#include "middleware/service.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace mcproxy::middleware {

struct ToolSearchConfig {
  std::size_t max_tools = 0;
  std::string tool_name = "search_tools";
  std::size_t default_limit = 5;
  std::size_t max_limit = 50;
};

// The search index alone (also used by the bench): build from tools, query.
class ToolIndex {
 public:
  ToolIndex();
  ~ToolIndex();
  void build(const json::array& tools);
  struct Hit {
    const json::object* tool;
    double score;
  };
  std::vector<Hit> search(std::string_view query, std::size_t limit) const;
  std::size_t size() const noexcept { return tools_.size(); }
  const json::object& tool(std::size_t i) const { return tools_[i].get_object(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  json::array tools_;
};

class ToolSearch final : public Middleware {
 public:
  explicit ToolSearch(std::shared_ptr<const ToolSearchConfig> config);
  // tools/list grows with a session's searches, unless maxTools is 0 (every tool is listed);
  // the other lists pass through.
  bool list_is_pure(mcp::ListKind kind) const override;

 protected:
  boost::asio::awaitable<json::value> list_tools(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> call_tool(Call call, RequestContext& ctx) override;

 private:
  // What a session found (its own list grows by it): kept in the session's state slot, so it
  // goes with the session; requests without a session find nothing to keep.
  struct Found {
    std::unordered_set<std::string> names;
  };
  boost::asio::awaitable<json::array> all_tools(RequestContext& ctx);
  void refresh_index(const json::array& tools);
  json::object search_tool_definition() const;

  std::shared_ptr<const ToolSearchConfig> config_;
  ToolIndex index_;  // one for every session: the catalogue is shared
  std::uint64_t indexed_signature_ = 0;
};

}  // namespace mcproxy::middleware
