#pragma once
// An MCP server run as a child process and spoken to over its stdin/stdout (MCP-DIGEST §3).
// stdout is framed into messages; stderr is drained continuously and logged line by line with
// the server's name; the exit of the child is noticed at once (pidfd) and reaped. Shutdown
// follows the spec: close stdin, then SIGTERM, then SIGKILL, each after a bounded wait. The
// child runs in its own process group, so a wrapper such as `npx` and the server it starts are
// signalled together; the group is killed when the child exits (nothing it started stays).
// The direct child is `mcproxy __reap` (app/reaper.hpp), which kills the group when the proxy
// dies, even by SIGKILL. Children start with default signal dispositions (SIGPIPE included)
// and an empty signal mask, and get the proxy's environment or only `env_passthrough`.

#include "transport/line_framer.hpp"
#include "mcp/message_transport.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/process/v2/process.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mcproxy::transport {

// argv[1] with which `mcproxy` runs as a server's reaper (app/reaper.hpp).
inline constexpr const char* kReaperArgument = "__reap";

struct StdioChildOptions {
  std::string name;  // the backend's name, for logs and errors
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment
  // Names of the proxy's variables the child inherits; nullopt: all of them.
  std::optional<std::vector<std::string>> env_passthrough;
  // Start the server under `mcproxy __reap` (the default), so that it and what it starts die
  // with the proxy even when the proxy is killed with SIGKILL.
  bool reaper = true;
  std::string cwd;
  std::size_t max_message_bytes = 64u << 20;
  std::chrono::milliseconds stdin_close_grace{2000};  // wait after closing stdin
  std::chrono::milliseconds term_grace{2000};         // wait after SIGTERM
};

// Looks `command` up in a PATH value ("/usr/bin:/bin"); empty when it is not there.
std::string find_in_path(const std::string& command, std::string_view path);

class StdioChild final : public mcp::MessageTransport, public std::enable_shared_from_this<StdioChild> {
 public:
  StdioChild(boost::asio::any_io_executor executor, StdioChildOptions options);
  ~StdioChild() override;

  boost::asio::awaitable<void> start() override;
  void send(std::string message) override;
  boost::asio::awaitable<void> shutdown() override;
  long pid() const noexcept override { return pid_; }

  bool running() const noexcept { return pid_ > 0 && !exited_; }

 private:
  boost::asio::awaitable<void> read_stdout();
  boost::asio::awaitable<void> read_stderr();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> watch_exit();
  boost::asio::awaitable<bool> wait_for_exit(std::chrono::milliseconds limit);
  void report_closed(std::string reason);
  void signal_group(int signo) noexcept;

  boost::asio::any_io_executor executor_;
  StdioChildOptions options_;
  boost::asio::writable_pipe stdin_;
  boost::asio::readable_pipe stdout_;
  boost::asio::readable_pipe stderr_;
  std::unique_ptr<boost::process::v2::basic_process<boost::asio::any_io_executor>> process_;
  long pid_ = 0;
  bool exited_ = false;
  std::string exit_description_;
  bool closed_reported_ = false;
  bool shutting_down_ = false;
  static constexpr std::size_t kMaxQueuedBytes = 256u << 20;
  std::deque<std::string> write_queue_;
  std::size_t queued_bytes_ = 0;
  boost::asio::steady_timer write_signal_;
  boost::asio::steady_timer exit_signal_;
  LineFramer stdout_framer_;
  LineFramer stderr_framer_;
};

}  // namespace mcproxy::transport
