#include "proxy/downstream_session.hpp"

#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
namespace json = boost::json;
using mcp::McpError;

namespace {
constexpr std::size_t kMaxBacklog = 1000;  // standalone events kept for a late or resumed GET
}

DownstreamSession::DownstreamSession(asio::any_io_executor executor, std::string id)
    : executor_(executor),
      id_(std::move(id)),
      pending_(executor),
      standalone_signal_(executor, std::chrono::steady_clock::time_point::max()) {}

void DownstreamSession::close() {
  if (closed_) return;
  closed_ = true;
  pending_.fail_all();
  for (auto& [id, ctx] : in_flight_) ctx->cancellation.cancel();
  standalone_signal_.cancel();
}

void DownstreamSession::add_in_flight(RequestContext& ctx) {
  ctx.id_key = json::serialize(ctx.id);
  in_flight_[ctx.id_key] = &ctx;
}

void DownstreamSession::remove_in_flight(const RequestContext& ctx) {
  auto it = in_flight_.find(ctx.id_key);
  if (it != in_flight_.end() && it->second == &ctx) in_flight_.erase(it);
}

bool DownstreamSession::cancel(const json::value& request_id) {
  auto it = in_flight_.find(json::serialize(request_id));
  if (it == in_flight_.end()) return false;
  it->second->cancellation.cancel();
  return true;
}

asio::awaitable<json::value> DownstreamSession::request_client(ClientStream* via,
                                                               std::string_view method,
                                                               json::object params,
                                                               std::chrono::milliseconds timeout) {
  if (closed_) throw McpError(mcp::error_code::kInternalError, "the client's session has ended");
  const auto id = pending_.next_id();
  auto message = mcp::make_request(id, method, std::move(params));
  if (!via || !via->send(message)) send_unsolicited(message);
  auto result = co_await pending_.wait(id, timeout);
  switch (result.outcome) {
    case mcp::PendingRequests::Outcome::response:
      if (result.response->kind() == mcp::MessageKind::error)
        throw McpError::from_error_object(result.response->error());
      co_return std::move(result.response->body()["result"]);
    case mcp::PendingRequests::Outcome::timeout:
      throw McpError(mcp::error_code::kRequestTimeout,
                     fmt::format("the client did not answer '{}' within {} s", method,
                                 timeout.count() / 1000));
    default:
      throw McpError(mcp::error_code::kInternalError,
                     fmt::format("the client's session ended before it answered '{}'", method));
  }
}

void DownstreamSession::send_unsolicited(const json::object& message) {
  if (closed_) return;
  if (direct_stream) {
    direct_stream->send(message);
    return;
  }
  backlog_.push_back(Event{next_event_id(), json::serialize(message)});
  if (backlog_.size() > kMaxBacklog) backlog_.pop_front();
  standalone_signal_.cancel();
}

std::vector<const DownstreamSession::Event*> DownstreamSession::events_after(std::uint64_t after_id) const {
  std::vector<const Event*> out;
  for (auto& e : backlog_)
    if (e.id > after_id) out.push_back(&e);
  return out;
}

bool DownstreamSession::subscribed_to(std::string_view uri) const {
  if (subscriptions.contains(std::string(uri))) return true;
  // The spec allows updates for sub-resources of a subscribed URI.
  for (auto& s : subscriptions)
    if (uri.starts_with(s)) return true;
  return false;
}

}  // namespace mcproxy::proxy
