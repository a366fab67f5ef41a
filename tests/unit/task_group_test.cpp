// support::TaskGroup: members run, cancel() reaches every wait inside them, wait() returns when
// the last one ended (or at its deadline), a failing member is logged and does not stop the
// others, and a group destroyed with members running leaves them to end on their own.

#include "support/task_group.hpp"

#include "support_asio.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>

namespace {
namespace asio = boost::asio;
using mcproxy::support::TaskGroup;
using namespace std::chrono_literals;

// Waits `d` (cancellably); counts how it ended.
struct Counts {
  int finished = 0, cancelled = 0;
};
auto sleeper(asio::io_context& io, std::chrono::milliseconds d, std::shared_ptr<Counts> counts) {
  return [&io, d, counts]() -> asio::awaitable<void> {
    asio::steady_timer t(io, d);
    try {
      co_await t.async_wait(asio::use_awaitable);
      ++counts->finished;
    } catch (const boost::system::system_error&) {
      ++counts->cancelled;
      throw;
    }
  };
}
}  // namespace

TEST_SUITE("task group") {
  TEST_CASE("members run to their end; wait() returns once the last one has") {
    asio::io_context io;
    TaskGroup group(io.get_executor());
    auto counts = std::make_shared<Counts>();
    group.spawn("a", sleeper(io, 10ms, counts));
    group.spawn("b", sleeper(io, 30ms, counts));
    CHECK(group.size() == 2);
    bool all = mcproxy::test::run_on(io, group.wait(std::chrono::steady_clock::now() + 5s));
    CHECK(all);
    CHECK(counts->finished == 2);
    CHECK(group.size() == 0);
  }

  TEST_CASE("cancel() ends every member at its wait, long before its timer") {
    asio::io_context io;
    TaskGroup group(io.get_executor());
    auto counts = std::make_shared<Counts>();
    for (int i = 0; i < 3; ++i) group.spawn("long", sleeper(io, 60s, counts));
    auto started = std::chrono::steady_clock::now();
    bool all = mcproxy::test::run_on(io, [&]() -> asio::awaitable<bool> {
      asio::steady_timer settle(io, 10ms);  // let them reach their wait
      co_await settle.async_wait(asio::use_awaitable);
      group.cancel();
      co_return co_await group.wait(std::chrono::steady_clock::now() + 5s);
    }());
    CHECK(all);
    CHECK(counts->cancelled == 3);
    CHECK(counts->finished == 0);
    CHECK(std::chrono::steady_clock::now() - started < 2s);
  }

  TEST_CASE("wait() gives up at its deadline while a member still runs") {
    asio::io_context io;
    TaskGroup group(io.get_executor());
    auto counts = std::make_shared<Counts>();
    group.spawn("slow", sleeper(io, 400ms, counts));
    bool all = mcproxy::test::run_on(io, group.wait(std::chrono::steady_clock::now() + 50ms));
    CHECK_FALSE(all);
    CHECK(group.size() == 0);  // run_on ran the io_context to the end: the member finished after
    CHECK(counts->finished == 1);
  }

  TEST_CASE("a failing member is logged, the others go on") {
    asio::io_context io;
    TaskGroup group(io.get_executor());
    auto counts = std::make_shared<Counts>();
    group.spawn("fails", []() -> asio::awaitable<void> {
      throw std::runtime_error("boom");
      co_return;
    });
    group.spawn("ok", sleeper(io, 10ms, counts));
    CHECK(mcproxy::test::run_on(io, group.wait(std::chrono::steady_clock::now() + 5s)));
    CHECK(counts->finished == 1);
  }

  TEST_CASE("a group destroyed with members running cancels them; they end on their own") {
    asio::io_context io;
    auto counts = std::make_shared<Counts>();
    {
      TaskGroup group(io.get_executor());
      group.spawn("long", sleeper(io, 60s, counts));
      io.poll();  // the member reaches its wait
    }
    auto started = std::chrono::steady_clock::now();
    io.run();
    CHECK(counts->cancelled == 1);
    CHECK(std::chrono::steady_clock::now() - started < 2s);
  }

  // The sanitizer tree turns a mistake here into a heap-use-after-free report.
  TEST_CASE("a wait that is itself cancelled leaves nothing behind for the members' end") {
    asio::io_context io;
    TaskGroup group(io.get_executor());
    auto counts = std::make_shared<Counts>();
    group.spawn("member", sleeper(io, 50ms, counts));
    asio::cancellation_signal stop_waiting;
    bool ended = false, threw = false;
    // A caller already cancelled (as a request can be) that then waits for the group: the
    // wait's co_await throws at once, unwinding its frame.
    auto caller = [&]() -> asio::awaitable<void> {
      asio::steady_timer before(io, 60s);
      co_await before.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled here
      co_await group.wait(std::chrono::steady_clock::now() + 60s);
    };
    asio::co_spawn(io, caller(), asio::bind_cancellation_slot(stop_waiting.slot(), [&](std::exception_ptr e) {
                     ended = true;
                     threw = e != nullptr;
                   }));
    io.poll();
    stop_waiting.emit(asio::cancellation_type::terminal);
    io.run();  // the member ends after the wait's frame is gone
    CHECK(ended);
    CHECK(threw);
    CHECK(counts->finished == 1);
    CHECK(group.size() == 0);
  }
}
