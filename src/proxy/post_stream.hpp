#pragma once
// The response channel of one POST on the Streamable HTTP endpoint. It starts as "nothing sent
// yet"; the first related message (progress, sampling, logging...) turns it into an SSE stream
// when the client accepts one, and the final response then ends that stream; otherwise the
// response is plain JSON.
//
// Messages come from any coroutine (send(), finish()); write_loop() is the exchange's only
// writer. The handler runs it beside the request's processing and returns only when both are
// done, so no write outlives the handler, the exchange or the socket, and writes never
// interleave. Memory is bounded: past kMaxQueuedBytesPerStream queued (a client that does not
// read), or when a write stalls past the server's write timeout, the stream is given up:
// on_abandon runs (the handler cancels the request) and nothing more is written.

#include "proxy/client_stream.hpp"
#include "proxy/downstream_session.hpp"
#include "transport/http_server.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace mcproxy::proxy {

class PostStream final : public ClientStream {
 public:
  PostStream(transport::HttpExchange& exchange, DownstreamSession& session, bool sse_allowed,
             std::function<void()> on_abandon);

  // Queues a related message. False when this stream cannot carry it (the client did not
  // accept an event stream, or the stream is finished or given up).
  bool send_serialized(std::string message) override;
  // The final response (serialized): as the stream's last event if one was started, else as
  // a JSON body when `json_ok` (the client accepts JSON). The writer ends after it.
  // `status` is that of a JSON body (an error of the stateless era may be a 400).
  void finish(std::string payload, bool json_ok, boost::beast::http::status status = boost::beast::http::status::ok);
  // No response will come (the client cancelled the request): what is queued is written, then
  // the event stream ends, or, when none was started, the POST gets 202 with no body.
  void finish_without_response();
  // Nobody will read: drop what is queued, write nothing more (the client is gone).
  void abandon();
  bool abandoned() const noexcept { return abandoned_; }

  // Writes until the final response is out or the stream is given up.
  boost::asio::awaitable<void> write_loop();

 private:
  void give_up(std::string_view why);

  transport::HttpExchange& exchange_;
  DownstreamSession& session_;
  bool sse_allowed_;
  std::function<void()> on_abandon_;
  std::deque<std::string> queue_;  // SSE events
  std::size_t queued_bytes_ = 0;
  std::optional<std::string> final_;
  bool json_ok_ = true;
  boost::beast::http::status final_status_ = boost::beast::http::status::ok;
  bool no_response_ = false;
  bool started_ = false;
  bool abandoned_ = false;
  boost::asio::steady_timer wake_;
};

}  // namespace mcproxy::proxy
