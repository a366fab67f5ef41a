#include "proxy/legacy_sse_endpoint.hpp"

#include "mcp/jsonrpc.hpp"
#include "proxy/http_replies.hpp"
#include "transport/disconnect_watch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>

namespace mcproxy::proxy {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using asio::awaitable;
using transport::HttpExchange;
using transport::HttpRequest;
using transport::HttpResponse;
namespace ec = mcp::error_code;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);






// The sessionId query parameter of `target` (percent-decoded), empty if absent.
std::string session_id_of(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return {};
  auto params = url->params();
  auto it = params.find("sessionId");
  if (it == params.end() || !(*it).has_value) return {};
  return (*it).value;
}

void log_failure(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("legacy SSE message failed: {}", ex.what());
  }
}


}  // namespace

// The session's outgoing messages, queued as SSE events. The GET /sse handler is the only
// writer: it drains the queue whenever the session's standalone signal wakes it, so messages
// sent from different coroutines never interleave on the socket. Held by shared_ptr by every
// POSTed message in progress, so a late reply after the stream ended is dropped, not written
// through a dangling exchange.
class LegacySseEndpoint::Connection final : public ClientStream {
 public:
  explicit Connection(std::shared_ptr<DownstreamSession> session) : session_(std::move(session)) {}

  bool send_serialized(std::string message) override {
    if (ended_ || session_->closed()) return false;
    queue_.push_back(transport::format_sse_event(message, {}, "message"));
    queued_bytes_ += queue_.back().size();
    if (queued_bytes_ > kMaxQueuedBytesPerStream) {
      spdlog::warn("session {}: the client does not read its SSE stream ({} bytes queued): "
                   "giving the stream up",
                   session_->label(), queued_bytes_);
      end();
      return false;
    }
    session_->standalone_signal().cancel();
    return true;
  }

  // Writes everything queued (including what is queued meanwhile). False if the client is gone.
  awaitable<bool> flush(HttpExchange& exchange) {
    while (!queue_.empty()) {
      std::string event = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= event.size();
      bool sent = co_await exchange.send_event(event);
      if (!sent) co_return false;
    }
    co_return true;
  }

  void end() noexcept {
    ended_ = true;
    queue_.clear();
    queued_bytes_ = 0;
  }

  const std::shared_ptr<DownstreamSession>& session() const noexcept { return session_; }

 private:
  std::shared_ptr<DownstreamSession> session_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool ended_ = false;
};

LegacySseEndpoint::LegacySseEndpoint(McpServer& server, SessionManager& sessions)
    : server_(server), sessions_(sessions) {}

LegacySseEndpoint::~LegacySseEndpoint() {
  for (auto& [id, connection] : connections_) {
    connection->end();
    if (connection->session()->direct_stream == connection.get())
      connection->session()->direct_stream = nullptr;
  }
}

void LegacySseEndpoint::stop() noexcept {
  stopping_ = true;
  for (auto& [id, connection] : connections_) connection->session()->standalone_signal().cancel();
}

awaitable<void> LegacySseEndpoint::handle(HttpRequest& request, HttpExchange& exchange, const Caller& caller) {
  std::string_view target = request.target();
  std::string_view path = target.substr(0, target.find('?'));
  if (path == kSsePath)
    co_await handle_sse(request, exchange, caller);
  else
    co_await handle_message(request, exchange, caller);
}

awaitable<void> LegacySseEndpoint::handle_sse(HttpRequest& request, HttpExchange& exchange, const Caller& caller) {
  if (request.method() != http::verb::get) {
    co_await exchange.respond(method_not_allowed("GET"));
    co_return;
  }
  if (!accepts(request[http::field::accept], "text/event-stream")) {
    co_await exchange.respond(error_response(http::status::not_acceptable, ec::kInvalidRequest,
                                             "Not Acceptable: GET /sse needs Accept: "
                                             "text/event-stream"));
    co_return;
  }
  auto session = stopping_ ? nullptr : sessions_.create(caller.identity, caller.endpoint, caller.profile, SessionTransport::sse);
  if (session) session->set_languages(request[http::field::accept_language]);
  if (!session) {
    co_await exchange.respond(
        error_response(http::status::service_unavailable, ec::kInternalError,
                       stopping_ ? "MCProxy is shutting down"
                                 : "Too many sessions (httpServer.maxSessions): try again later"));
    co_return;
  }
  const std::string id = session->id();
  auto connection = std::make_shared<Connection>(session);
  session->direct_stream = connection.get();
  session->standalone_attached = true;  // its messages all go here: no GET /mcp stream for it
  connections_[id] = connection;
  spdlog::info("session {}: legacy HTTP+SSE stream opened", session->label());

  co_await exchange.start_event_stream(HttpResponse(http::status::ok, 11));
  bool sent = co_await exchange.send_event(transport::format_sse_event(
      fmt::format("{}?sessionId={}", kMessagesPath, id), {}, "endpoint"));
  bool gone = !sent;
  if (!gone) {
    transport::DisconnectWatch watch(exchange, [session] { session->standalone_signal().cancel(); });
    auto& signal = session->standalone_signal();
    for (;;) {
      sent = co_await connection->flush(exchange);
      if (!sent) {
        gone = true;
        break;
      }
      if (session->closed() || stopping_ || watch.gone()) break;
      signal.expires_after(kKeepAliveInterval);
      auto [err] = co_await signal.async_wait(kTuple);
      if (err) continue;  // woken: something queued, the session closed or the client gone
      sent = co_await exchange.send_event(": keep-alive\n\n");
      if (!sent) {
        gone = true;
        break;
      }
      // An open stream is an active client: the idle sweep must not end its session.
      session->last_activity = std::chrono::steady_clock::now();
    }
    watch.stop();
    gone = gone || watch.gone();
  }

  connection->end();
  if (auto it = connections_.find(id); it != connections_.end() && it->second == connection)
    connections_.erase(it);
  if (session->direct_stream == connection.get()) session->direct_stream = nullptr;
  sessions_.end(id, gone ? "the client closed its SSE stream" : "SSE stream ended");
  exchange.close_after();
  if (!gone) co_await exchange.end_event_stream();
}

awaitable<void> LegacySseEndpoint::handle_message(HttpRequest& request, HttpExchange& exchange,
                                                  const Caller& caller) {
  if (request.method() != http::verb::post) {
    co_await exchange.respond(method_not_allowed("POST"));
    co_return;
  }
  std::string id = session_id_of(request.target());
  if (id.empty()) {
    co_await exchange.respond(error_response(
        http::status::bad_request, ec::kInvalidRequest,
        "Bad Request: the sessionId query parameter is required (from the endpoint event of "
        "GET /sse)"));
    co_return;
  }
  auto it = connections_.find(id);
  bool owned = it != connections_.end() && it->second->session()->owner().name == caller.identity.name;
  if (it != connections_.end() && !owned)
    spdlog::warn("refused POST /messages for session {}...: it belongs to another identity", id.substr(0, 8));
  if (!owned || it->second->session()->closed()) {
    co_await exchange.respond(error_response(
        http::status::not_found, kSessionNotFound,
        "Session not found: its SSE stream is closed or it never existed; open a new one with "
        "GET /sse"));
    co_return;
  }
  auto connection = it->second;
  if (ascii_lower(request[http::field::content_type]).find("application/json") == std::string::npos) {
    co_await exchange.respond(
        error_response(http::status::unsupported_media_type, ec::kInvalidRequest,
                       "Unsupported Media Type: Content-Type must be application/json"));
    co_return;
  }
  std::optional<mcp::Message> message;
  std::optional<json::object> error;
  try {
    message.emplace(mcp::parse_message(request.body()));
  } catch (const mcp::ProtocolError& e) {
    error = mcp::make_error(e.id(), e);
  }
  if (error) {
    co_await exchange.respond(json_response(http::status::bad_request, *error));
    co_return;
  }

  // Accepted at once; the answer travels on the SSE stream whenever it is ready.
  auto session = connection->session();
  asio::co_spawn(
      session->executor(),
      [&server = server_, session, connection,
       m = std::move(*message)]() mutable -> awaitable<void> {
        auto reply = co_await server.handle(session, std::move(m), connection.get());
        if (reply && !connection->send_serialized(std::move(*reply)))
          spdlog::debug("session {}: reply dropped, the SSE stream is closed", session->label());
      },
      log_failure);
  co_await exchange.respond(HttpResponse(http::status::accepted, 11));
}

}  // namespace mcproxy::proxy
