// Fuzzes whole HTTP requests through the downstream side of the proxy: what
// src/proxy/proxy.cpp builds for HTTP (Relay, an Aggregator, here without backends,
// SessionManager, McpServer, HttpEndpoint behind a transport::HttpServer) serves one
// connection whose client end sends the fuzz input as raw bytes (any number of pipelined
// requests) over a socketpair(AF_UNIX, SOCK_STREAM), and reads what comes back until EOF.
//
// Before the bytes are sent, one session is initialized through McpServer (as a POST of
// initialize would), and every "@SID@" in the input is replaced by its Mcp-Session-Id, so
// inputs can reach what needs a live session (requests after initialize, GET streams with
// Last-Event-ID, DELETE, batches).
//
// The client then leaves in three steps, running the io_context until nothing is ready after
// each (no wall-clock time is involved, so a run is deterministic): it sends everything and
// keeps the connection open; it half-closes; it closes. Then the proxy shuts down the way
// run_proxy does on SIGTERM (endpoint and server stopped, every session ended).
// Findings: a sanitizer report, an exception other than mcp::McpError escaping the
// connection, a connection still served after the client closed and the proxy stopped, or a
// response that does not start as HTTP.

#include "config/config.hpp"
#include "fuzz_support.hpp"
#include "mcp/jsonrpc.hpp"
#include "middleware/plan.hpp"
#include "proxy/aggregator.hpp"
#include "proxy/http_endpoint.hpp"
#include "proxy/mcp_server.hpp"
#include "proxy/relay.hpp"
#include "proxy/session_manager.hpp"
#include "transport/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace proxy = mcproxy::proxy;
namespace mcp = mcproxy::mcp;
namespace transport = mcproxy::transport;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Handlers a phase may run before it counts as a livelock (a real run needs a few thousand).
constexpr std::size_t kMaxHandlersPerPhase = 2'000'000;
// What the client reads back at most; past that it stops reading (a client that stalls).
constexpr std::size_t kMaxResponseBytes = 8u << 20;

// The objects run_proxy builds for Downstream::http, in the same order.
struct HttpProxy {
  explicit HttpProxy(asio::any_io_executor executor)
      : plan(mcproxy::middleware::compile_plan(config)),
        shared(std::make_shared<proxy::Aggregator>(std::vector<std::shared_ptr<proxy::Backend>>{},
                                                   config.naming, config.http.page_size)),
        sessions(executor, config, plan, relay, shared),
        server(sessions, plan.proxy),
        endpoint(server, sessions, config, executor) {
    endpoint.set_config_status(&config_status);
    mcp::set_max_json_depth(config.http.max_json_depth);
    transport::HttpServerOptions options;
    options.host = config.http.host;
    options.port = config.http.port;
    options.max_body_bytes = 64u << 10;  // small, so fuzz inputs can cross it
    options.max_connections = config.http.max_connections;
    options.header_timeout = config.http.header_timeout;
    options.idle_timeout = config.http.idle_timeout;
    options.write_timeout = config.http.write_stall_timeout;
    http = std::make_shared<transport::HttpServer>(
        executor, options, [this](transport::HttpRequest& req, transport::HttpExchange& ex) {
          return endpoint.handle(req, ex);
        });
  }

  mcproxy::config::Config config;
  mcproxy::middleware::Plan plan;
  proxy::Relay relay;
  std::shared_ptr<proxy::Aggregator> shared;
  proxy::SessionManager sessions;
  proxy::McpServer server;
  proxy::ConfigStatus config_status;
  proxy::HttpEndpoint endpoint;
  std::shared_ptr<transport::HttpServer> http;
};

// Runs ready handlers until none is left; returns false on a livelock. (poll() stops the
// context when it runs out of work: restart it for what the next step adds.)
bool run_until_idle(asio::io_context& io) {
  std::size_t total = 0;
  for (;;) {
    io.restart();
    std::size_t n = io.poll();
    if (n == 0) return true;
    total += n;
    if (total > kMaxHandlersPerPhase) return false;
  }
}

// Any exception but the proxy's own protocol errors is a finding: rethrow it out of poll(),
// and so out of LLVMFuzzerTestOneInput, where libFuzzer reports it.
auto completion(bool& done) {
  return [&done](std::exception_ptr e) {
    done = true;
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const mcp::McpError&) {
    }
  };
}

std::string replace_all(std::string_view in, std::string_view what, std::string_view with) {
  std::string out;
  out.reserve(in.size());
  for (;;) {
    auto at = in.find(what);
    out.append(in.substr(0, at));
    if (at == std::string_view::npos) return out;
    out.append(with);
    in.remove_prefix(at + what.size());
  }
}

awaitable<void> initialize_session(HttpProxy& p, std::string& id) {
  auto session = p.sessions.create();
  auto message = mcp::parse_message(
      R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18",)"
      R"("capabilities":{"sampling":{},"roots":{"listChanged":true}},"clientInfo":{"name":"fuzz","version":"1"}}})");
  auto reply = co_await p.server.handle(session, std::move(message), nullptr);
  FUZZ_CHECK(reply && reply->find("\"result\"") != std::string::npos);  // the serialized response
  auto initialized = mcp::parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  co_await p.server.handle(session, std::move(initialized), nullptr);
  id = session->id();
}

awaitable<void> read_responses(asio::local::stream_protocol::socket& client, std::string& received) {
  char buffer[16 * 1024];
  while (received.size() < kMaxResponseBytes) {
    auto [ec, n] = co_await client.async_read_some(asio::buffer(buffer), kTuple);
    received.append(buffer, n);
    if (ec) break;
  }
}

awaitable<void> send_request_bytes(asio::local::stream_protocol::socket& client, const std::string& bytes) {
  auto [ec, n] = co_await asio::async_write(client, asio::buffer(bytes), kTuple);
  (void)ec;
  (void)n;
}

}  // namespace

// A fixed -seed repeats a run only if the proxy does the same with the same input. Two things
// vary from run to run here: the session ids, from getrandom(2), which this definition replaces
// for the whole harness with a counter (nothing here needs real randomness); and the request
// durations the debug log prints, so the log stops at info.
extern "C" ssize_t getrandom(void* buffer, std::size_t length, unsigned int) {
  static std::uint64_t counter = 0;
  auto* out = static_cast<unsigned char*>(buffer);
  for (std::size_t i = 0; i < length; ++i) {
    if (i % 8 == 0) ++counter;
    out[i] = static_cast<unsigned char>(counter >> (8 * (i % 8)));
  }
  return static_cast<ssize_t>(length);
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mcproxy::fuzz::quiet_logging(spdlog::level::info);
  std::signal(SIGPIPE, SIG_IGN);  // as run_proxy does
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  asio::io_context io(1);
  {
    HttpProxy p(io.get_executor());

    std::string session_id;
    bool initialized = false;
    asio::co_spawn(io, initialize_session(p, session_id), completion(initialized));
    FUZZ_CHECK(run_until_idle(io) && initialized && !session_id.empty());
    std::string bytes = replace_all(input, "@SID@", session_id);

    int fds[2];
    FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    asio::ip::tcp::socket server_end(io);
    server_end.assign(asio::ip::tcp::v4(), fds[0]);
    asio::local::stream_protocol::socket client(io);
    client.assign(asio::local::stream_protocol(), fds[1]);

    bool served = false, sent = false, read_done = false;
    std::string received;
    asio::co_spawn(io, p.http->serve_connection(std::move(server_end)), completion(served));
    asio::co_spawn(io, read_responses(client, received), completion(read_done));
    asio::co_spawn(io, send_request_bytes(client, bytes), completion(sent));

    // 1. Everything sent, the connection kept open.
    FUZZ_CHECK(run_until_idle(io));
    // 2. Half-closed: the proxy reads EOF.
    boost::system::error_code ignored;
    client.shutdown(asio::socket_base::shutdown_send, ignored);
    FUZZ_CHECK(run_until_idle(io));
    // 3. Gone.
    client.close(ignored);
    FUZZ_CHECK(run_until_idle(io));
    // 4. The proxy shuts down as on SIGTERM.
    p.endpoint.stop();
    p.http->stop();
    bool ended = false;
    asio::co_spawn(io, p.sessions.end_all(), completion(ended));
    FUZZ_CHECK(run_until_idle(io));
    FUZZ_CHECK(ended && sent && read_done);
    FUZZ_CHECK(served);  // the connection's coroutine ended with its client
    FUZZ_CHECK(received.empty() || received.starts_with("HTTP/"));
    // To see what a seed gets back: MCPROXY_FUZZ_PRINT=1 fuzz_http corpus/http/<file>
    if (std::getenv("MCPROXY_FUZZ_PRINT")) std::fwrite(received.data(), 1, received.size(), stdout);
  }
  return 0;
}
