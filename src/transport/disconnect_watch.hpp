#pragma once
// Notices that an HTTP client closed its connection while the server is still working on its
// request (or streaming to it): the socket becomes readable and a peek reads zero bytes. The
// client sends nothing else on that connection meanwhile, so the peek consumes nothing.
// stop() (or the destructor) cancels only the watch's own wait, never a write in progress on
// the same socket, so the final response is not cut off. The waiting coroutine touches the
// socket only while the watch is active; once stopped it only returns.

#include "transport/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cerrno>
#include <functional>
#include <memory>

#include <sys/socket.h>

namespace mcproxy::transport {

class DisconnectWatch {
 public:
  DisconnectWatch(HttpExchange& exchange, std::function<void()> on_gone)
      : state_(std::make_shared<State>()) {
    state_->on_gone = std::move(on_gone);
    boost::asio::co_spawn(exchange.executor(), watch(state_, exchange.socket()),
                          [](std::exception_ptr) {});
  }
  DisconnectWatch(const DisconnectWatch&) = delete;
  DisconnectWatch& operator=(const DisconnectWatch&) = delete;
  ~DisconnectWatch() { stop(); }

  void stop() {
    if (!state_->active) return;
    state_->active = false;
    state_->on_gone = nullptr;
    state_->stop.emit(boost::asio::cancellation_type::all);
  }
  bool gone() const noexcept { return state_->gone; }

 private:
  struct State {
    bool active = true;
    bool gone = false;
    std::function<void()> on_gone;
    boost::asio::cancellation_signal stop;
  };

  static boost::asio::awaitable<void> watch(std::shared_ptr<State> state,
                                            boost::asio::ip::tcp::socket& socket) {
    namespace asio = boost::asio;
    for (;;) {
      auto [err] = co_await socket.async_wait(
          asio::ip::tcp::socket::wait_read,
          asio::bind_cancellation_slot(state->stop.slot(), asio::as_tuple(asio::use_awaitable)));
      if (err || !state->active) co_return;
      // Never a blocking peek: a readiness the reactor reports may be stale (the bytes of the
      // request that was just read), and a blocking receive here would hold the whole executor
      // until the client sends or closes (it stalled every request for 10 s under load).
      // (Asio's own receive() waits out EAGAIN even with MSG_DONTWAIT: the kernel call it is.)
      char byte;
      ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;  // nothing yet
      if (n <= 0) {
        state->gone = true;
        if (auto on_gone = std::move(state->on_gone)) on_gone();
      }
      co_return;  // gone, or the client sent more (it is there)
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace mcproxy::transport
