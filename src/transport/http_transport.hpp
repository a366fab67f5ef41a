#pragma once
// An MCP server reached over HTTP, as its client (MCP-DIGEST §4):
//   - Streamable HTTP: each message is a POST (Accept: application/json, text/event-stream);
//     the answer is JSON or an SSE stream carrying related requests and notifications first;
//     after initialize, a GET stream carries unsolicited messages (reopened with Last-Event-ID
//     when it drops; a 405 means the server offers none). Mcp-Session-Id and
//     MCP-Protocol-Version are sent on every request; DELETE ends the session at shutdown.
//   - legacy HTTP+SSE (2024-11-05): GET the URL, wait for the `endpoint` event, POST every
//     message there; everything the server says arrives as `message` events.
//   - 2026-07-28 (stateless): every request carries MCP-Protocol-Version, Mcp-Method and, for
//     tools/call, prompts/get and resources/read, Mcp-Name (Base64 sentinel form when not plain
//     ASCII), as the peer took them from its body (MessageTransport::RequestHeaders); no session,
//     no GET stream (negotiated() is never called).
//   - auto: Streamable HTTP first; if initialize gets 400, 404 or 405, legacy SSE (as the spec
//     says clients should).
// Connections, TLS and timeouts are HttpClient's (http_client.hpp). An HTTP error on a request
// becomes a JSON-RPC error for that request; a 404 on the session ends the transport (the
// backend then re-initializes). The legacy side is in legacy_sse_client.cpp.

#include "mcp/message_transport.hpp"
#include "support/log_once.hpp"
#include "support/task_group.hpp"
#include "transport/credential_source.hpp"
#include "transport/http_client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mcproxy::transport {

struct HttpTransportOptions {
  enum class Mode { streamable, sse, auto_detect };
  std::string name;  // the backend's name, for logs and errors
  std::string url;
  Mode mode = Mode::auto_detect;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Authorization; never logged
  std::string ca_file;
  bool insecure = false;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds io_timeout{300'000};  // one response, however long it streams
  std::size_t max_message_bytes = 64u << 20;
  std::size_t max_idle_connections = 64;  // >= the concurrency a client may use
  // Asked for the Authorization header on every request (after `headers`), and told of a 401
  // or a 403 challenge (OAuth: oauth/upstream_auth.hpp). Null: `headers` only.
  std::shared_ptr<CredentialSource> credentials;
};

class HttpTransport final : public mcp::MessageTransport, public std::enable_shared_from_this<HttpTransport> {
 public:
  HttpTransport(boost::asio::any_io_executor executor, HttpTransportOptions options);
  ~HttpTransport() override;

  boost::asio::awaitable<void> start() override;
  void send(std::string message) override { send_request(std::move(message), {}); }
  void send_request(std::string message, const RequestHeaders& headers) override;
  boost::asio::awaitable<void> shutdown() override;
  void negotiated(std::string_view protocol_version) override;

  bool legacy() const noexcept { return legacy_; }
  const std::string& session_id() const noexcept { return session_id_; }

 private:
  struct Exchange;

  // HttpClient::exchange for `x`: the response header read, or a failure text.
  boost::asio::awaitable<std::string> exchange(
      boost::beast::http::request<boost::beast::http::string_body>& req, Exchange& x,
      std::chrono::milliseconds timeout);
  // A POST of one JSON-RPC message to `target`: Host, User-Agent, Content-Type, the configured
  // headers, the body.
  boost::beast::http::request<boost::beast::http::string_body> json_post(const std::string& target,
                                                                        std::string message) const;
  // `retried`: sent again after the credentials were renewed on a refusal (once).
  boost::asio::awaitable<void> post(std::string message, RequestHeaders headers, bool retried = false);
  boost::asio::awaitable<void> legacy_post(std::string message, boost::json::value id);
  boost::asio::awaitable<void> get_stream_loop();
  // The configured headers, then the credentials' Authorization (when it gives one).
  template <class Request>
  void add_auth_headers(Request& req) const {
    for (auto& [k, v] : options_.headers) req.set(k, v);
    if (!options_.credentials) return;
    auto authorization = options_.credentials->authorization();
    if (!authorization.empty()) req.set(boost::beast::http::field::authorization, authorization);
  }
  boost::asio::awaitable<void> legacy_stream(std::shared_ptr<boost::asio::steady_timer> ready);
  boost::asio::awaitable<void> open_legacy();
  // Reads a response body; SSE events go to on_message as they arrive, a JSON body at the end.
  boost::asio::awaitable<bool> read_body(Exchange& exchange, bool deliver_json);

  void fail_request(const boost::json::value& id, int code, std::string message);
  void deliver(std::string_view payload);
  void report_closed(std::string reason);
  std::string request_error(std::string_view what) const;

  boost::asio::any_io_executor executor_;
  HttpTransportOptions options_;
  HttpUrl url_;
  HttpUrl endpoint_;  // legacy: where messages are POSTed (same host)
  std::unique_ptr<HttpClient> client_;  // the pool, TLS and timeouts (made by start())
  std::string session_id_;
  std::string protocol_version_;
  std::string last_event_id_;
  bool legacy_ = false;
  bool get_stream_started_ = false;
  bool stopping_ = false;
  bool closed_reported_ = false;
  support::LogOncePerCause overflows_;
  // The GET stream and each message's exchange; shutdown() cancels them.
  support::TaskGroup tasks_;
};

}  // namespace mcproxy::transport
