#pragma once
// Background coroutines owned by one object (a backend's reconnect and health checks, ...):
// each runs bound to a cancellation signal of its own, so the owner can cancel them all at once
// (Asio terminal cancellation reaches every wait inside) and wait until every one has ended,
// within a deadline: "cancel gracefully, wait, then move on" (the Beast server-flex-awaitable
// task group). A member that fails is logged, never rethrown. The group may be destroyed with
// members still running: they are cancelled and end on their own; nothing of the group's
// owner may be captured by reference in them (capture a shared_ptr).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <list>
#include <memory>
#include <string>
#include <utility>

namespace mcproxy::support {

class TaskGroup {
 public:
  explicit TaskGroup(boost::asio::any_io_executor executor)
      : state_(std::make_shared<State>(std::move(executor))) {}
  ~TaskGroup() { cancel(); }
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Starts `make()` (a function object returning awaitable<void>, kept alive while it runs, as
  // co_spawn keeps it) as a member; `what` names it in the log if it fails.
  template <class Make>
  void spawn(std::string what, Make&& make) {
    auto state = state_;
    auto member = state->members.emplace(state->members.end());
    boost::asio::co_spawn(
        state->executor, std::forward<Make>(make),
        boost::asio::bind_cancellation_slot(
            member->signal.slot(), [state, member, what = std::move(what)](std::exception_ptr e) {
              if (e) log_failure(what, e);
              state->members.erase(member);
              if (state->members.empty() && state->idle) state->idle->cancel();
            }));
  }

  // Cancels every member (each ends at its next wait, with operation_aborted).
  void cancel() {
    // A member's completion may run during emit and erase itself: step carefully.
    for (auto it = state_->members.begin(); it != state_->members.end();) {
      auto next = std::next(it);
      it->signal.emit(boost::asio::cancellation_type::terminal);
      it = next;
    }
  }

  // Waits until no member runs, or until `deadline`; true when none is left.
  boost::asio::awaitable<bool> wait(std::chrono::steady_clock::time_point deadline) {
    auto state = state_;
    if (state->members.empty()) co_return true;
    boost::asio::steady_timer idle(co_await boost::asio::this_coro::executor, deadline);
    // Unset however this frame ends (a cancelled co_await throws, a destroyed frame unwinds):
    // a member ending later must never cancel a timer that is gone.
    struct Unset {
      State& state;
      ~Unset() { state.idle = nullptr; }
    } unset{*state};
    state->idle = &idle;
    co_await idle.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return state->members.empty();
  }

  std::size_t size() const noexcept { return state_->members.size(); }

 private:
  struct Member {
    boost::asio::cancellation_signal signal;
  };
  struct State {
    explicit State(boost::asio::any_io_executor ex) : executor(std::move(ex)) {}
    boost::asio::any_io_executor executor;
    std::list<Member> members;  // stable addresses: each signal stays where its slot points
    boost::asio::steady_timer* idle = nullptr;
  };

  static void log_failure(const std::string& what, std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const boost::system::system_error& ex) {
      if (ex.code() == boost::asio::error::operation_aborted) return;  // cancelled: the normal end
      spdlog::warn("{}: {}", what, ex.what());
    } catch (const std::exception& ex) {
      spdlog::warn("{}: {}", what, ex.what());
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace mcproxy::support
