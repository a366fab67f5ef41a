#include "proxy/downstream_session.hpp"

#include "mcp/protocol.hpp"
#include "proxy/aggregator.hpp"

#include <boost/json.hpp>

#include <algorithm>

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

void DownstreamSession::close(mcp::Cancellation::Reason why) {
  if (closed_) return;
  closed_ = true;
  pending_.fail_all();
  cancel_all(why);
  standalone_signal_.cancel();
}

void DownstreamSession::cancel_all(mcp::Cancellation::Reason why) {
  // Cancelling may run a request to its end, which removes it from the map: copy first.
  std::vector<ProxyRequest*> running;
  for (auto& [id, ctx] : in_flight_) running.push_back(ctx);
  for (auto* ctx : running) ctx->cancellation.cancel(why);
}

void DownstreamSession::begin_initialize() {
  if (initialize_seen_ || initializing_)
    throw McpError(mcp::error_code::kInvalidRequest, "Invalid Request: this session is already initialized");
  initializing_ = true;
}

void DownstreamSession::complete_initialize(std::string protocol_version, json::object client_capabilities,
                                            json::object client_info) {
  protocol_version_ = std::move(protocol_version);
  client_capabilities_ = std::move(client_capabilities);
  client_info_ = std::move(client_info);
  initialize_seen_ = true;
}

void DownstreamSession::begin_stateless(const mcp::ModernEnvelope& envelope) {
  protocol_version_ = envelope.version;
  client_capabilities_ = envelope.client_capabilities;
  client_info_ = envelope.client_info;
  log_level = envelope.log_level;
  initialize_seen_ = true;
  stateless_ = true;
}

void DownstreamSession::notify(std::string_view method, json::object params) {
  send_unsolicited(mcp::make_notification(method, std::move(params)));
}

std::string DownstreamSession::server_of(middleware::NameKind kind, std::string_view name) const {
  if (!aggregator) return {};
  if (kind == middleware::NameKind::resource) return aggregator->resource_owner(name);
  std::string key(name);
  auto* route = kind == middleware::NameKind::tool ? aggregator->tool_route(key) : aggregator->prompt_route(key);
  return route ? route->backend->name() : std::string();
}

DownstreamSession* ProxyRequest::downstream() const noexcept {
  return static_cast<DownstreamSession*>(session.get());
}

std::shared_ptr<DownstreamSession> ProxyRequest::downstream_ptr() const noexcept {
  return std::static_pointer_cast<DownstreamSession>(session);
}

void DownstreamSession::add_in_flight(ProxyRequest& ctx) {
  ctx.id_key = json::serialize(ctx.id);
  in_flight_[ctx.id_key] = &ctx;
}

void DownstreamSession::remove_in_flight(const ProxyRequest& ctx) {
  auto it = in_flight_.find(ctx.id_key);
  if (it != in_flight_.end() && it->second == &ctx) in_flight_.erase(it);
}

bool DownstreamSession::cancel(const json::value& request_id, mcp::Cancellation::Reason why) {
  auto it = in_flight_.find(json::serialize(request_id));
  if (it == in_flight_.end()) return false;
  it->second->cancellation.cancel(why);
  return true;
}

asio::awaitable<json::value> DownstreamSession::request_client(ClientStream* via,
                                                               std::string_view method,
                                                               json::object params,
                                                               std::chrono::milliseconds timeout) {
  if (closed_) throw McpError(mcp::error_code::kInternalError, "the client's session has ended");
  if (stateless_ && !input_sink)
    throw McpError(mcp::error_code::kMethodNotFound,
                   fmt::format("the client speaks protocol {}, which has no server-to-client requests, and "
                               "'{}' cannot be asked of it as input here (only a tools/call, prompts/get or "
                               "resources/read can wait for input)",
                               protocol_version_, method));
  const auto id = pending_.next_id();
  if (stateless_) {
    input_sink(id, method, params);  // goes out in an input_required result
  } else {
    auto message = mcp::make_request(id, method, std::move(params));
    if (!via || !via->send(message)) send_unsolicited(message);
  }
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
  if (stateless_) {
    // Only a subscriptions/listen stream carries anything, and only what it chose.
    if (!listening || !direct_stream) return;
    auto* m = message.if_contains("method");
    std::string_view method = m && m->is_string() ? std::string_view(m->get_string()) : std::string_view();
    bool wanted = (method == "notifications/tools/list_changed" && listening->tools) ||
                  (method == "notifications/prompts/list_changed" && listening->prompts) ||
                  (method == "notifications/resources/list_changed" && listening->resources) ||
                  method == "notifications/resources/updated";  // only subscribed URIs come here
    if (!wanted) return;
    json::object tagged = message;
    auto& params = tagged["params"];
    if (!params.is_object()) params = json::object{};
    auto& meta = params.get_object()["_meta"];
    if (!meta.is_object()) meta = json::object{};
    meta.get_object()[mcp::kMetaSubscriptionId] = listening->id;
    direct_stream->send(tagged);
    return;
  }
  if (direct_stream) {
    direct_stream->send(message);
    return;
  }
  backlog_.push_back(Event{next_event_id(), std::make_shared<const std::string>(json::serialize(message))});
  if (backlog_.size() > kMaxBacklog) backlog_.pop_front();
  standalone_signal_.cancel();
}

std::optional<DownstreamSession::Event> DownstreamSession::event_after(std::uint64_t after_id) const {
  // Ids increase along the backlog.
  auto it = std::upper_bound(backlog_.begin(), backlog_.end(), after_id,
                             [](std::uint64_t id, const Event& e) { return id < e.id; });
  if (it == backlog_.end()) return std::nullopt;
  return *it;
}

bool DownstreamSession::subscribed_to(const Backend& backend, std::string_view uri) const {
  for (auto& [seen, sub] : subscriptions) {
    if (sub.backend.lock().get() != &backend) continue;
    std::string_view s = sub.backend_uri;
    if (uri == s) return true;
    // The spec allows updates for sub-resources of a subscribed URI: only below a separator,
    // so "file:///a" does not cover "file:///ab".
    if (!s.empty() && uri.size() > s.size() && uri.starts_with(s) &&
        (s.back() == '/' || uri[s.size()] == '/' || uri[s.size()] == '#' || uri[s.size()] == '?'))
      return true;
  }
  return false;
}

}  // namespace mcproxy::proxy
