#pragma once
// One external module (docs/MODULES.md): a child process that speaks the module protocol
// (JSON-RPC 2.0, one message per line) on its stdin/stdout, like a stdio MCP server, or a
// remote one, an HTTP endpoint that takes each message as a POST and answers it in the
// response (a keep-alive pool, TLS, the configured headers). A local one is started on first
// use, initialized with `module/initialize` (which says what it wants to see), then
// called with many requests in flight (RpcPeer: ids, deadlines). A module that exits is
// started again on the next call, after a backoff (1 s doubling to 30 s); meanwhile, and when
// it does not answer within its timeout, calls fail and the module middleware applies its
// failure policy. Core only.

#include "mcp/rpc_peer.hpp"
#include "transport/http_client.hpp"
#include "transport/stdio_child.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace mcproxy::modules {

inline constexpr std::string_view kModuleProtocolVersion = "2026-12-01";

struct ModuleOptions {
  std::string name;  // for logs: "module <command>" or the config's "name"
  std::string command;  // a local module, or:
  std::string url;      // a remote one
  std::vector<std::pair<std::string, std::string>> headers;  // sent to a remote one (credentials)
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::chrono::milliseconds timeout{2000};
  std::chrono::milliseconds start_timeout{10000};
  boost::json::object config;  // handed to the module on initialize
  std::string site;            // the server it sits in front of; empty at proxy level
};

// What the module said on initialize: the methods whose requests and whose results it sees.
struct ModuleCapabilities {
  std::set<std::string, std::less<>> requests, results;
  bool all_requests = false, all_results = false;
  bool wants_request(std::string_view method) const { return all_requests || requests.contains(method); }
  bool wants_result(std::string_view method) const { return all_results || results.contains(method); }
};

class ModuleHost : public std::enable_shared_from_this<ModuleHost> {
 public:
  explicit ModuleHost(ModuleOptions options) : options_(std::move(options)) {}
  ~ModuleHost();

  // Starts it if it is not running (and its backoff allows); nullopt when it is not up.
  boost::asio::awaitable<std::optional<ModuleCapabilities>> ready();
  // One protocol call; throws mcp::McpError on a timeout, an error answer, or a dead module.
  boost::asio::awaitable<boost::json::value> call(std::string_view method, boost::json::object params);
  const ModuleOptions& options() const noexcept { return options_; }
  const std::string& last_error() const noexcept { return last_error_; }

 private:
  struct Starting;
  boost::asio::awaitable<void> start();
  boost::asio::awaitable<void> start_remote();
  boost::asio::awaitable<boost::json::value> post(std::string_view method, boost::json::object params,
                                                  std::chrono::milliseconds timeout);
  // What initialize answered, checked and kept; throws std::runtime_error when unusable.
  void accept_initialize(const boost::json::value& result, std::string_view where);
  boost::json::object initialize_params() const;
  void started_ok();
  void start_failed(const std::string& failure, std::string_view could_not);
  void stop_child();

  ModuleOptions options_;
  std::shared_ptr<transport::StdioChild> child_;
  std::shared_ptr<mcp::RpcPeer> peer_;
  std::optional<ModuleCapabilities> capabilities_;
  bool starting_ = false;
  std::shared_ptr<boost::asio::steady_timer> started_signal_;  // cancelled when a start ends
  boost::asio::any_io_executor executor_;                      // of the child (set on start)
  std::chrono::steady_clock::time_point next_start_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;
  std::uint64_t epoch_ = 0;
  std::unique_ptr<transport::HttpClient> http_;  // a remote module's connections
  std::int64_t next_id_ = 1;
};

}  // namespace mcproxy::modules
