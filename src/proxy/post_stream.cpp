#include "proxy/post_stream.hpp"

#include "proxy/http_replies.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::awaitable;

PostStream::PostStream(transport::HttpExchange& exchange, DownstreamSession& session,
                       bool sse_allowed, std::function<void()> on_abandon)
    : exchange_(exchange),
      session_(session),
      sse_allowed_(sse_allowed),
      on_abandon_(std::move(on_abandon)),
      wake_(exchange.executor(), std::chrono::steady_clock::time_point::max()) {}

bool PostStream::send_serialized(std::string message) {
  if (!sse_allowed_ || abandoned_ || final_ || no_response_) return false;
  // No event ids: a POST stream is not resumable here (a GET with Last-Event-ID replays the
  // standalone stream), and ids would make clients try to resume it.
  queue_.push_back(transport::format_sse_event(message, {}, "message"));
  queued_bytes_ += queue_.back().size();
  if (queued_bytes_ > kMaxQueuedBytesPerStream) {
    give_up(fmt::format("the client does not read its response stream ({} bytes queued)",
                        queued_bytes_));
    return true;  // taken: it is lost with the stream, no other route would be read either
  }
  wake_.cancel();
  return true;
}

void PostStream::finish(std::string payload, bool json_ok, http::status status) {
  if (abandoned_) return;
  final_ = std::move(payload);
  json_ok_ = json_ok;
  final_status_ = status;
  wake_.cancel();
}

void PostStream::finish_without_response() {
  if (abandoned_) return;
  no_response_ = true;
  wake_.cancel();
}

void PostStream::abandon() {
  if (abandoned_) return;
  abandoned_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  wake_.cancel();
}

void PostStream::give_up(std::string_view why) {
  if (abandoned_) return;
  spdlog::warn("session {}: {}: giving the stream up", session_.label(), why);
  abandon();
  exchange_.close_after();
  if (on_abandon_) on_abandon_();
}

awaitable<void> PostStream::write_loop() {
  constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
  for (;;) {
    if (abandoned_) co_return;
    if (no_response_ && queue_.empty()) {
      if (started_) co_await exchange_.end_event_stream();
      else co_await exchange_.respond(transport::HttpResponse(http::status::accepted, 11));
      co_return;
    }
    if (queue_.empty() && final_ && !started_ && json_ok_) {
      transport::HttpResponse res(final_status_, 11);
      res.set(http::field::content_type, "application/json");
      res.body() = std::move(*final_);
      co_await exchange_.respond(std::move(res));
      co_return;
    }
    if (!queue_.empty() || final_) {
      if (!started_) {
        started_ = true;
        co_await exchange_.start_event_stream(transport::HttpResponse(http::status::ok, 11));
        if (!exchange_.streaming()) {
          give_up("the client closed its response stream");
          co_return;
        }
      }
      if (!queue_.empty()) {
        std::string event = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= event.size();
        bool sent = co_await exchange_.send_event(event);
        if (!sent) give_up("the client stopped taking its response stream");
        continue;
      }
      std::string last = transport::format_sse_event(*final_, {}, "message");
      bool sent = co_await exchange_.send_event(last);
      if (!sent) {
        give_up("the client stopped taking its response stream");
        co_return;
      }
      co_await exchange_.end_event_stream();
      co_return;
    }
    // An event stream quiet for long (a slow call, a subscriptions/listen) gets a comment now and
    // then, so that no proxy on the way takes it for dead (the spec's SHOULD).
    if (started_) wake_.expires_after(kKeepAliveInterval);
    else wake_.expires_at(std::chrono::steady_clock::time_point::max());
    auto [ec] = co_await wake_.async_wait(kTuple);
    if (!ec && started_ && queue_.empty() && !final_ && !no_response_ && !abandoned_) {
      bool sent = co_await exchange_.send_event(": keep-alive\n\n");
      if (!sent) {
        give_up("the client closed its response stream");
        co_return;
      }
    }
  }
}

}  // namespace mcproxy::proxy
