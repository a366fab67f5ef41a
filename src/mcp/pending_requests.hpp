#pragma once
// Requests this side sent and whose responses it awaits, by id. Used toward backends (RpcPeer)
// and toward downstream clients (server->client requests such as sampling). Waiting costs one
// timer: it is the deadline, and a response, a lost connection or a cancellation wakes it.

#include "mcp/cancellation.hpp"
#include "mcp/jsonrpc.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_map>

namespace mcproxy::mcp {

class PendingRequests {
 public:
  enum class Outcome { response, timeout, cancelled, connection_lost };
  struct Result {
    Outcome outcome;
    std::optional<Message> response;  // set for Outcome::response
  };

  explicit PendingRequests(boost::asio::any_io_executor executor) : executor_(executor) {}

  std::int64_t next_id() noexcept { return next_id_++; }

  // Waits for the response to `id` (call before or right after sending; single-threaded).
  boost::asio::awaitable<Result> wait(std::int64_t id, std::chrono::milliseconds timeout,
                                      Cancellation* cancellation = nullptr);
  // Hands a response to its waiter. False when no one waits for that id (late or unknown).
  bool complete(Message response);
  // Wakes every waiter with connection_lost.
  void fail_all();
  std::size_t size() const noexcept { return waiting_.size(); }
  // Whether `id` still waits for its response (none delivered yet).
  bool waiting(std::int64_t id) const noexcept;

 private:
  struct Waiter;
  boost::asio::any_io_executor executor_;
  std::int64_t next_id_ = 1;
  std::unordered_map<std::int64_t, Waiter*> waiting_;
};

}  // namespace mcproxy::mcp
