#pragma once
// The dashboard's live feed: the last calls through the proxy (method, name, server, identity,
// session, duration, outcome, trace id), kept in a bounded ring, and a wake-up for the event
// streams that follow it. Core only. Published for every request but ping, as a small struct:
// JSON is made only for someone watching.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace mcproxy::proxy {

struct CallEvent {
  std::uint64_t id = 0;
  std::chrono::system_clock::time_point time;  // shown as ISO-8601 UTC with milliseconds
  std::string method, name, server, identity, session, outcome, trace_id;
  double duration_ms = 0;
  boost::json::object to_json() const;
};

class CallFeed {
 public:
  static constexpr std::size_t kKept = 200;

  void publish(CallEvent event);
  // Events after `after_id` still kept, oldest first.
  std::vector<CallEvent> after(std::uint64_t after_id) const;
  std::uint64_t last_id() const noexcept { return next_id_ - 1; }

  // An event stream waits on its own timer; publish() wakes every registered one.
  void watch(boost::asio::steady_timer* waiter) { waiters_.push_back(waiter); }
  void unwatch(boost::asio::steady_timer* waiter);
  // Wakes every watcher without an event (a state tick, shutdown).
  void wake_all();

 private:
  std::deque<CallEvent> events_;
  std::uint64_t next_id_ = 1;
  std::vector<boost::asio::steady_timer*> waiters_;
};

}  // namespace mcproxy::proxy
