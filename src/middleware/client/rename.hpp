#pragma once
// rename (client middleware): gives a backend's tools, prompts or resource URIs other names,
// for collisions between servers or simply clearer names. The client sees only the new name;
// calls, prompt gets, reads, subscriptions, completions and resources/updated are mapped back.
// New tool and prompt names are exposed as written (no server prefix) unless keepPrefix is set.
//
// Config:
//   "tools":     {"echo": "say", "everything/add": "sum"}   old -> new ("server/old" applies
//   "prompts":   {...}                                        only to that server)
//   "resources": {"file:///old": "file:///new"}
//   "keepPrefix": false
// Two names mapped to the same new name is a config error. Order: anywhere; filters and
// security rules placed after it (inner) see the backend's original names.

#include "middleware/service.hpp"

#include <string>
#include <unordered_map>

namespace mcproxy::middleware {

struct RenameMap {
  std::unordered_map<std::string, std::string> to_new;
  std::unordered_map<std::string, std::string> to_old;
  std::string_view rename(std::string_view name) const;   // unchanged when not mapped
  std::string_view original(std::string_view name) const;  // unchanged when not mapped
};

struct RenameConfig {
  // Keyed by server name; "" holds entries without "server/".
  std::unordered_map<std::string, RenameMap> tools, prompts, resources;
  bool keep_prefix = false;
};

class Rename final : public Middleware {
 public:
  Rename(std::shared_ptr<const RenameConfig> config, std::string server);
  bool on_server_notification(Call& notification, const ReverseContext& from) override;

 protected:
  boost::asio::awaitable<json::value> list_tools(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> call_tool(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> list_prompts(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> get_prompt(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> list_resources(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> read_resource(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> subscribe_resource(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> unsubscribe_resource(Call call, RequestContext& ctx) override;
  boost::asio::awaitable<json::value> complete(Call call, RequestContext& ctx) override;

 private:
  void rename_list(json::value& result, std::string_view key, const RenameMap& map) const;
  RenameMap tools_, prompts_, resources_;  // merged for this server
  bool keep_prefix_;
};

}  // namespace mcproxy::middleware
