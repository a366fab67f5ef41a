#include "mcp/rpc_peer.hpp"

#include "mcp/modern_envelope.hpp"
#include "mcp/protocol.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace mcproxy::mcp {

namespace asio = boost::asio;
using asio::awaitable;

RpcPeer::RpcPeer(asio::any_io_executor executor, MessageTransport& transport,
                 std::string name)
    : executor_(executor), transport_(transport), name_(std::move(name)), pending_(executor) {}

void RpcPeer::attach() {
  std::weak_ptr<RpcPeer> weak = weak_from_this();
  transport_.on_message = [weak](std::string_view text) {
    if (auto self = weak.lock()) self->on_message(text);
  };
  transport_.awaiting = [weak](std::int64_t id) {
    auto self = weak.lock();
    return self && self->pending_.waiting(id);
  };
}

awaitable<json::value> RpcPeer::request(std::string_view method, json::object params,
                                        std::chrono::milliseconds timeout,
                                        Cancellation* cancellation, std::string_view limit_name,
                                        std::vector<std::pair<std::string, std::string>> param_headers) {
  if (closed_) {
    throw McpError(error_code::kBackendUnavailable,
                   fmt::format("backend '{}' is unavailable: {}", name_, close_reason_),
                   json::object{{"backend", name_}});
  }
  auto self = shared_from_this();  // the frame may outlive the owner at shutdown
  const std::int64_t id = pending_.next_id();
  auto headers = headers_of(method, params);
  if (!headers.protocol_version.empty()) headers.params = std::move(param_headers);
  auto message = json::serialize(make_request(id, method, std::move(params)));
  if (bytes_out_) bytes_out_->add(message.size());
  transport_.send_request(std::move(message), headers);
  auto result = co_await pending_.wait(id, timeout, cancellation);

  switch (result.outcome) {
    case PendingRequests::Outcome::response:
      if (result.response->kind() == MessageKind::error)
        throw McpError::from_error_object(result.response->error());
      co_return std::move(result.response->body()["result"]);
    case PendingRequests::Outcome::connection_lost:
      throw McpError(error_code::kBackendUnavailable,
                     fmt::format("backend '{}' became unavailable during '{}': {}", name_, method,
                                 close_reason_),
                     json::object{{"backend", name_}});
    case PendingRequests::Outcome::timeout:
      notify("notifications/cancelled", json::object{{"requestId", id}, {"reason", "timeout"}});
      throw McpError(error_code::kRequestTimeout,
                     fmt::format("backend '{}' did not answer '{}' within {} ms ({})",
                                 name_, method, timeout.count(), limit_name),
                     json::object{{"backend", name_}, {"timeoutMs", timeout.count()}});
    case PendingRequests::Outcome::cancelled:
      break;
  }
  // Cancelled (by the client, its stream closing, or shutdown): the backend is told, whatever
  // the reason. The caller answers the client, or not (a client's own cancel gets nothing).
  auto why = cancellation ? cancellation->reason() : Cancellation::Reason::client;
  spdlog::info("[{}] '{}' (upstream id {}) {}; telling the backend", name_, method, id, to_string(why));
  notify("notifications/cancelled", json::object{{"requestId", id}, {"reason", std::string(to_string(why))}});
  if (why == Cancellation::Reason::shutdown)
    throw McpError(error_code::kProxyStopping,
                   fmt::format("MCProxy is stopping: '{}' on backend '{}' was cancelled", method, name_),
                   json::object{{"backend", name_}});
  throw McpError(error_code::kRequestTimeout, fmt::format("request '{}' was {}", method, to_string(why)));
}

void RpcPeer::notify(std::string_view method, json::object params) {
  if (closed_) return;
  send(json::serialize(make_notification(method, std::move(params))));
}

void RpcPeer::send(std::string message) {
  if (bytes_out_) bytes_out_->add(message.size());
  transport_.send(std::move(message));
}

MessageTransport::RequestHeaders RpcPeer::headers_of(std::string_view method, const json::object& params) {
  MessageTransport::RequestHeaders headers;
  auto* meta = params.if_contains("_meta");
  if (!meta || !meta->is_object()) return headers;
  auto& m = meta->get_object();
  if (auto* t = m.if_contains("traceparent"); t && t->is_string()) headers.traceparent = t->get_string();
  auto* version = m.if_contains(kMetaProtocolVersion);
  if (!version || !version->is_string()) return headers;
  headers.protocol_version = version->get_string();
  headers.method = method;
  if (auto field = mcp_name_source(method); !field.empty())
    if (auto* name = params.if_contains(field); name && name->is_string())
      headers.name = encode_header_value(name->get_string());
  return headers;
}

void RpcPeer::close(std::string reason) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = std::move(reason);
  pending_.fail_all();
}

void RpcPeer::on_message(std::string_view text) {
  if (bytes_in_) bytes_in_->add(text.size());
  std::optional<Message> message;
  std::optional<ProtocolError> invalid;
  try {
    message.emplace(parse_message(text));
  } catch (const ProtocolError& e) {
    invalid.emplace(e);
  }
  if (invalid) {
    spdlog::warn("[{}] sent something that is not usable JSON-RPC ({}): {:.200}", name_,
                 invalid->what(), text);
    // When its id can be read, the request it answers (or that it is) fails at once instead
    // of waiting for the deadline.
    auto envelope = peek_envelope(text);
    if (!is_valid_id(envelope.id)) return;
    auto reason = fmt::format("backend '{}' sent an unusable {}: {}", name_,
                              envelope.has_method ? "request" : "reply", invalid->what());
    if (envelope.has_method) {
      send(json::serialize(make_error(envelope.id, invalid->code(), reason)));
      return;
    }
    auto error = make_error(envelope.id, error_code::kInternalError, reason);
    error["error"].get_object()["data"] = json::object{{"backend", name_}};
    pending_.complete(Message(MessageKind::error, std::move(error)));
    return;
  }
  switch (message->kind()) {
    case MessageKind::result:
    case MessageKind::error: {
      std::string id = json::serialize(message->id());
      if (!pending_.complete(std::move(*message)))
        spdlog::debug("[{}] late or unknown response id {} dropped", name_, id);
      return;
    }
    case MessageKind::notification:
      if (on_notification) on_notification(std::move(*message));
      return;
    case MessageKind::request:
      dispatch_request(std::move(*message));
      return;
  }
}

void RpcPeer::dispatch_request(Message message) {
  json::value id = message.id();
  if (!on_request) {
    send(json::serialize(make_error(id, error_code::kMethodNotFound,
                                         fmt::format("Method not found: {}", message.method()))));
    return;
  }
  std::weak_ptr<RpcPeer> weak = weak_from_this();
  asio::co_spawn(
      executor_,
      [weak, handler = on_request, message = std::move(message)]() mutable -> awaitable<json::object> {
        json::value id = message.id();
        try {
          json::value result = co_await handler(std::move(message));
          co_return make_result(std::move(id), std::move(result));
        } catch (const McpError& e) {
          co_return make_error(std::move(id), e);
        } catch (const std::exception& e) {
          co_return make_error(std::move(id), error_code::kInternalError, e.what());
        }
      },
      [weak](std::exception_ptr, json::object reply) {
        if (auto self = weak.lock(); self && !self->closed_)
          self->send(json::serialize(reply));
      });
}

}  // namespace mcproxy::mcp
