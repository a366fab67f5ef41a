#include "proxy/call_feed.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>

namespace mcproxy::proxy {

boost::json::object CallEvent::to_json() const {
  boost::json::object o;
  o["id"] = id;
  // Formatted here, for someone watching, rather than for every request.
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count() % 1000;
  o["time"] = fmt::format("{:%FT%T}.{:03}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(time)), ms);
  o["method"] = method;
  auto text_or_null = [](const std::string& s) { return s.empty() ? boost::json::value(nullptr) : boost::json::value(s); };
  o["name"] = text_or_null(name);
  o["server"] = text_or_null(server);
  o["identity"] = text_or_null(identity);
  o["session"] = session;
  o["durationMs"] = duration_ms;
  o["outcome"] = outcome;
  o["traceId"] = trace_id;
  return o;
}

void CallFeed::publish(CallEvent event) {
  event.id = next_id_++;
  events_.push_back(std::move(event));
  if (events_.size() > kKept) events_.pop_front();
  wake_all();
}

std::vector<CallEvent> CallFeed::after(std::uint64_t after_id) const {
  std::vector<CallEvent> out;
  for (auto& e : events_)
    if (e.id > after_id) out.push_back(e);
  return out;
}

void CallFeed::unwatch(boost::asio::steady_timer* waiter) { std::erase(waiters_, waiter); }

void CallFeed::wake_all() {
  for (auto* w : waiters_) w->cancel();
}

}  // namespace mcproxy::proxy
