#pragma once
// The downstream stdio transport, for desktop clients that start their MCP servers as child
// processes (Claude Desktop, Cursor): MCProxy reads JSON-RPC lines on stdin and writes them on
// stdout (nothing else goes to stdout: logs are on stderr). One session; requests are handled
// concurrently; end of stdin ends the proxy. A request of the stateless era (2026-07-28: its
// _meta names the protocol version, e.g. the server/discover probe) is served on a session of
// its own, as over HTTP; notifications/cancelled reaches it by its request id.

#include "proxy/client_stream.hpp"
#include "proxy/mcp_server.hpp"
#include "proxy/session_manager.hpp"
#include "transport/line_framer.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

namespace mcproxy::proxy {

class StdioEndpoint final : public ClientStream {
 public:
  StdioEndpoint(boost::asio::any_io_executor executor, McpServer& server, SessionManager& sessions,
                std::size_t max_message_bytes, std::function<void()> on_end_of_input);

  // Starts reading stdin; throws if stdin/stdout cannot be used.
  void start();
  // ClientStream: queues one message for stdout.
  bool send_serialized(std::string message) override;
  // Waits until everything queued is written (shutdown).
  boost::asio::awaitable<void> flush();

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  void on_line(std::string_view line);
  void serve_stateless(mcp::Message message);

  boost::asio::any_io_executor executor_;
  McpServer& server_;
  SessionManager& sessions_;
  std::function<void()> on_end_of_input_;
  boost::asio::posix::stream_descriptor input_;
  boost::asio::posix::stream_descriptor output_;
  transport::LineFramer framer_;
  std::shared_ptr<DownstreamSession> session_;
  // Stateless requests in flight, by serialized request id (for notifications/cancelled).
  std::unordered_map<std::string, std::weak_ptr<DownstreamSession>> stateless_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  boost::asio::steady_timer write_signal_;
  boost::asio::steady_timer idle_signal_;
  bool writing_ = false;
  bool output_failed_ = false;
};

}  // namespace mcproxy::proxy
