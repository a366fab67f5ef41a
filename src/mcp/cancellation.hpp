#pragma once
// The cancellation of one request, and why. Whoever ends a request early calls cancel(reason):
// the client sent notifications/cancelled, its stream closed, the proxy is stopping. The
// request's coroutine runs bound to slot() (see McpServer::handle), so the Asio per-operation
// cancellation reaches every wait on the way: the upstream call, a server->client request, a
// middleware's own timers and I/O. The hook is for a waiter outside that coroutine tree.

#include <boost/asio/cancellation_signal.hpp>

#include <functional>
#include <string_view>
#include <utility>

namespace mcproxy::mcp {

class Cancellation {
 public:
  enum class Reason { none, client, disconnected, shutdown };

  bool cancelled() const noexcept { return reason_ != Reason::none; }
  Reason reason() const noexcept { return reason_; }

  // Only the first call counts.
  void cancel(Reason why = Reason::client) {
    if (cancelled()) return;
    reason_ = why == Reason::none ? Reason::client : why;
    if (hook_) {
      auto hook = std::move(hook_);
      hook_ = nullptr;
      hook();
    }
    signal_.emit(boost::asio::cancellation_type::terminal);
  }

  boost::asio::cancellation_slot slot() noexcept { return signal_.slot(); }

  // Installs the hook (replacing any) and runs it at once if already cancelled.
  void on_cancel(std::function<void()> hook) {
    if (cancelled()) {
      hook();
      return;
    }
    hook_ = std::move(hook);
  }
  void clear() noexcept { hook_ = nullptr; }

 private:
  Reason reason_ = Reason::none;
  std::function<void()> hook_;
  boost::asio::cancellation_signal signal_;
};

constexpr std::string_view to_string(Cancellation::Reason r) noexcept {
  switch (r) {
    case Cancellation::Reason::none: return "not cancelled";
    case Cancellation::Reason::client: return "cancelled by the client";
    case Cancellation::Reason::disconnected: return "the client went away";
    case Cancellation::Reason::shutdown: return "MCProxy is stopping";
  }
  return "cancelled";
}

}  // namespace mcproxy::mcp
