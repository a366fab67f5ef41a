// A minimal, fast MCP server for benchmarks, so the numbers measure the proxy and not the
// backend: `echo` answers with its `message`. Speaks stdio (default) or Streamable HTTP.
//
//   echo_server                       stdio
//   echo_server --http PORT           Streamable HTTP on 127.0.0.1:PORT/mcp (prints the URL)
//   echo_server --tools N             also list N extra tools (tool_0001 ...), for big catalogues

#include "mcp/jsonrpc.hpp"
#include "transport/http_server.hpp"
#include "transport/line_framer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <string>

#include <unistd.h>

namespace json = boost::json;
namespace mcp = mcproxy::mcp;
namespace transport = mcproxy::transport;
namespace http = boost::beast::http;

namespace {

std::size_t g_extra_tools = 0;
json::object g_tools_result;

void build_tools() {
  json::array tools;
  tools.push_back(json::object{
      {"name", "echo"},
      {"description", "Echoes the message back"},
      {"inputSchema", json::object{{"type", "object"},
                                   {"properties", json::object{{"message", json::object{{"type", "string"}}}}},
                                   {"required", json::array{"message"}}}}});
  for (std::size_t i = 0; i < g_extra_tools; ++i) {
    tools.push_back(json::object{
        {"name", fmt::format("tool_{:04}", i)},
        {"description", fmt::format("Synthetic tool number {} for catalogue benchmarks", i)},
        {"inputSchema", json::object{{"type", "object"}}}});
  }
  g_tools_result = json::object{{"tools", std::move(tools)}};
}

// Answers one message; nullopt for notifications.
std::optional<std::string> answer(std::string_view line) {
  json::value parsed;
  boost::system::error_code ec;
  parsed = json::parse(line, ec);
  if (ec || !parsed.is_object()) return json::serialize(mcp::make_error(nullptr, -32700, "Parse error"));
  auto& msg = parsed.get_object();
  auto* id = msg.if_contains("id");
  auto* method = msg.if_contains("method");
  if (!id || !method || !method->is_string()) return std::nullopt;
  std::string_view m = method->get_string();
  json::value result;
  if (m == "initialize") {
    std::string version = "2025-11-25";
    if (auto* p = msg.if_contains("params"); p && p->is_object())
      if (auto* v = p->get_object().if_contains("protocolVersion"); v && v->is_string()) version = v->get_string();
    result = json::object{{"protocolVersion", version},
                          {"capabilities", json::object{{"tools", json::object{}}}},
                          {"serverInfo", json::object{{"name", "bench-echo"}, {"version", "1.0.0"}}}};
  } else if (m == "tools/list") {
    result = g_tools_result;
  } else if (m == "tools/call") {
    std::string text;
    if (auto* p = msg.if_contains("params"); p && p->is_object())
      if (auto* a = p->get_object().if_contains("arguments"); a && a->is_object())
        if (auto* t = a->get_object().if_contains("message"); t && t->is_string()) text = t->get_string();
    result = json::object{{"content", json::array{json::object{{"type", "text"}, {"text", text}}}}};
  } else if (m == "ping") {
    result = json::object{};
  } else {
    return json::serialize(mcp::make_error(*id, -32601, "Method not found"));
  }
  return json::serialize(mcp::make_result(*id, std::move(result)));
}

int run_stdio() {
  transport::LineFramer framer(256u << 20);
  std::string out;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n <= 0) return 0;
    out.clear();
    framer.feed(
        std::string_view(buffer, static_cast<std::size_t>(n)),
        [&](std::string_view line) {
          if (auto reply = answer(line)) {
            out += *reply;
            out += '\n';
          }
        },
        [](std::size_t) {});
    // One write per read batch: replies to pipelined requests go out together.
    std::size_t written = 0;
    while (written < out.size()) {
      ssize_t w = ::write(STDOUT_FILENO, out.data() + written, out.size() - written);
      if (w <= 0) return 1;
      written += static_cast<std::size_t>(w);
    }
  }
}

int run_http(unsigned short port) {
  boost::asio::io_context io(1);
  transport::HttpServerOptions options;
  options.port = port;
  options.max_body_bytes = 64u << 20;
  auto server = std::make_shared<transport::HttpServer>(
      io.get_executor(), options,
      [](transport::HttpRequest& req, transport::HttpExchange& ex) -> boost::asio::awaitable<void> {
        if (req.method() == http::verb::get) {
          transport::HttpResponse res(http::status::method_not_allowed, 11);
          co_await ex.respond(std::move(res));
          co_return;
        }
        if (req.method() == http::verb::delete_) {
          co_await ex.respond(transport::HttpResponse(http::status::no_content, 11));
          co_return;
        }
        auto reply = answer(req.body());
        if (!reply) {
          co_await ex.respond(transport::HttpResponse(http::status::accepted, 11));
          co_return;
        }
        transport::HttpResponse res(http::status::ok, 11);
        res.set(http::field::content_type, "application/json");
        if (req.body().find("\"initialize\"") != std::string::npos) res.set("Mcp-Session-Id", "bench-session");
        res.body() = std::move(*reply);
        co_await ex.respond(std::move(res));
      });
  server->listen();
  server->start_accepting();
  std::printf("http://127.0.0.1:%u/mcp\n", server->local_endpoint().port());
  std::fflush(stdout);
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int http_port = -1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--http") && i + 1 < argc) http_port = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--tools") && i + 1 < argc) g_extra_tools = std::strtoul(argv[++i], nullptr, 10);
  }
  build_tools();
  return http_port >= 0 ? run_http(static_cast<unsigned short>(http_port)) : run_stdio();
}
