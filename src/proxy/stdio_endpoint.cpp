#include "proxy/stdio_endpoint.hpp"

#include "mcp/modern_envelope.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>

#include <unistd.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// The completion of a request's coroutine: what escaped it is logged (McpServer::handle answers
// the errors it knows itself).
static void log_failure(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("stdio request failed: {}", ex.what());
  }
}

constexpr auto kFlushLimit = std::chrono::seconds(5);  // what is still queued at exit may take this long

StdioEndpoint::StdioEndpoint(asio::any_io_executor executor, McpServer& server,
                             SessionManager& sessions, std::size_t max_message_bytes,
                             std::function<void()> on_end_of_input)
    : executor_(executor),
      server_(server),
      sessions_(sessions),
      on_end_of_input_(std::move(on_end_of_input)),
      input_(executor),
      output_(executor),
      framer_(max_message_bytes),
      write_signal_(executor, std::chrono::steady_clock::time_point::max()),
      idle_signal_(executor, std::chrono::steady_clock::time_point::max()) {}

void StdioEndpoint::start() {
  boost::system::error_code ec;
  input_.assign(::dup(STDIN_FILENO), ec);
  if (!ec) output_.assign(::dup(STDOUT_FILENO), ec);
  if (ec) {
    throw std::runtime_error(fmt::format(
        "stdio mode needs stdin and stdout to be pipes or terminals ({}); it is meant to be "
        "started by an MCP client",
        ec.message()));
  }
  session_ = sessions_.create({}, {}, {}, SessionTransport::stdio);
  if (!session_) throw std::runtime_error("cannot create the stdio session");
  session_->direct_stream = this;
  auto log = [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("stdio endpoint: {}", ex.what());
    }
  };
  asio::co_spawn(executor_, read_loop(), log);
  asio::co_spawn(executor_, write_loop(), log);
}

bool StdioEndpoint::send_serialized(std::string message) {
  if (output_failed_) return false;
  queue_.push_back(std::move(message));
  queued_bytes_ += queue_.back().size() + 1;
  if (queued_bytes_ > 4 * kMaxQueuedBytesPerStream) {
    // The client does not read stdout: bounded memory wins, the proxy ends like a closed pipe.
    spdlog::error("the client does not read stdout ({} bytes waiting): shutting down", queued_bytes_);
    output_failed_ = true;
    queue_.clear();
    if (on_end_of_input_) on_end_of_input_();
    return false;
  }
  write_signal_.cancel();
  return true;
}

awaitable<void> StdioEndpoint::flush() {
  // The writer cancels idle_signal_ after each write: woken per write, not polled; bounded, as
  // a client that stopped reading stdout must not hold the shutdown.
  const auto deadline = std::chrono::steady_clock::now() + kFlushLimit;
  while ((writing_ || !queue_.empty()) && !output_failed_ && std::chrono::steady_clock::now() < deadline) {
    idle_signal_.expires_at(deadline);
    co_await idle_signal_.async_wait(kTuple);
  }
}

awaitable<void> StdioEndpoint::write_loop() {
  static constexpr char kNewline = '\n';
  for (;;) {
    if (queue_.empty()) {
      write_signal_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await write_signal_.async_wait(kTuple);
      if (!output_.is_open()) co_return;
      continue;
    }
    writing_ = true;
    std::string line = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= std::min(queued_bytes_, line.size() + 1);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(line), asio::buffer(&kNewline, 1)};
    auto [ec, n] = co_await asio::async_write(output_, buffers, kTuple);
    writing_ = false;
    idle_signal_.cancel();
    if (ec) {
      spdlog::warn("stdout closed ({}): the client is gone", ec.message());
      output_failed_ = true;
      queue_.clear();
      if (on_end_of_input_) on_end_of_input_();
      co_return;
    }
  }
}

void StdioEndpoint::on_line(std::string_view line) {
  std::optional<mcp::Message> message;
  std::optional<json::object> error;
  try {
    message.emplace(mcp::parse_message(line));
  } catch (const mcp::ProtocolError& e) {
    error = mcp::make_error(e.id(), e);
  }
  if (error) {
    send(*error);
    return;
  }
  bool cancels_stateless = false;
  if (message->is_notification() && message->method() == "notifications/cancelled")
    if (auto* id = message->params().if_contains("requestId")) cancels_stateless = stateless_.contains(json::serialize(*id));
  if (!message->is_response() && (cancels_stateless || mcp::claims_modern_era(message->params()))) {
    serve_stateless(std::move(*message));
    return;
  }
  asio::co_spawn(
      executor_,
      [this, m = std::move(*message)]() mutable -> awaitable<void> {
        auto reply = co_await server_.handle(session_, std::move(m), this);
        if (reply) send_serialized(std::move(*reply));
      },
      log_failure);
}

void StdioEndpoint::serve_stateless(mcp::Message message) {
  if (message.is_notification()) {
    // On stdio this era's client cancels with notifications/cancelled; nothing else is for us.
    auto* id = message.method() == "notifications/cancelled" ? message.params().if_contains("requestId") : nullptr;
    auto it = id ? stateless_.find(json::serialize(*id)) : stateless_.end();
    auto session = it != stateless_.end() ? it->second.lock() : nullptr;
    if (session && session->cancel(*id))
      spdlog::info("stateless request {} cancelled by the client", json::serialize(*id));
    return;
  }
  auto read = mcp::read_modern_envelope(message.params());
  if (auto* rejection = std::get_if<mcp::EdgeRejection>(&read)) {
    send(mcp::rejection_error(message.id(), *rejection));
    return;
  }
  const auto& envelope = std::get<mcp::ModernEnvelope>(read);
  if (auto not_served = mcp::check_modern_method(message.method(), envelope.version)) {
    send(mcp::rejection_error(message.id(), *not_served));
    return;
  }
  mcp::strip_modern_envelope(message.mutable_params());
  auto session = sessions_.create_stateless(envelope, {}, {}, {});
  std::string key = json::serialize(message.id());
  stateless_[key] = session;
  asio::co_spawn(
      executor_,
      [this, session, key, m = std::move(message)]() mutable -> awaitable<void> {
        struct End {
          StdioEndpoint& endpoint;
          DownstreamSession& session;
          const std::string& key;
          ~End() {
            if (auto it = endpoint.stateless_.find(key); it != endpoint.stateless_.end() && it->second.lock().get() == &session)
              endpoint.stateless_.erase(it);
            endpoint.sessions_.end_stateless(session);
          }
        } end{*this, *session, key};
        auto reply = co_await server_.handle(session, std::move(m), this);
        if (reply) send_serialized(std::move(*reply));
      },
      log_failure);
}

awaitable<void> StdioEndpoint::read_loop() {
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    auto [ec, n] = co_await input_.async_read_some(asio::buffer(buffer), kTuple);
    if (ec) break;
    framer_.feed(
        std::string_view(buffer.data(), n), [&](std::string_view line) { on_line(line); },
        [&](std::size_t bytes) {
          send(mcp::make_error(nullptr, mcp::error_code::kInvalidRequest,
                               "Invalid Request: message larger than the limit"));
        });
    framer_.release_memory();
  }
  spdlog::info("stdin closed: shutting down");
  if (on_end_of_input_) on_end_of_input_();
}

}  // namespace mcproxy::proxy
