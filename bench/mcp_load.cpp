// Closed-loop MCP load generator. Connects over Streamable HTTP or stdio, initializes, warms
// up, then makes N calls with C in flight, and prints one JSON object: latency percentiles in
// µs, calls/s, errors and CPU time (its own, and its children's for stdio).
//
//   mcp_load --url http://127.0.0.1:8080/mcp [options]
//   mcp_load --stdio "path/to/server arg..." [options]
// options:
//   --calls N (10000)  --concurrency C (1)  --warmup W (500)  --label TEXT
//   --method tools/call|tools/list (tools/call)  --tool NAME (echo)  --message-bytes B (16)
//   --arguments JSON: the tool's arguments (default {"message": B bytes of "x"})
//   --sessions S (1): HTTP sessions sharing the C workers   --idle-sessions K (0): extra idle ones

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>
#include <boost/url/parse.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/resource.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace bp = boost::process::v2;
using asio::awaitable;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

struct Options {
  std::string url, stdio_command, label, method = "tools/call", tool = "echo";
  std::string arguments;  // the tool's arguments as JSON text; default {"message": "x..."}
  std::size_t calls = 10'000, concurrency = 1, warmup = 500, message_bytes = 16, sessions = 1,
              idle_sessions = 0;
};

struct Stats {
  std::vector<double> latencies_us;
  std::size_t errors = 0;
  std::size_t started = 0;  // calls handed out (warm-up included)
  Clock::time_point measure_start;
  bool measuring = false;
};

std::string request_body(const Options& o, std::uint64_t id) {
  if (o.method == "tools/list")
    return fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"tools/list","params":{{}}}})", id);
  if (!o.arguments.empty())
    return fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"tools/call","params":{{"name":"{}","arguments":{}}}}})",
                       id, o.tool, o.arguments);
  return fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"tools/call","params":{{"name":"{}","arguments":{{"message":"{}"}}}}}})",
                     id, o.tool, std::string(o.message_bytes, 'x'));
}

bool is_error(std::string_view body) {
  return body.find("\"result\"") == std::string_view::npos || body.find("\"isError\":true") != std::string_view::npos;
}

// Hands out the next call; false when all calls (warm-up + measured) are out.
bool next_call(const Options& o, Stats& s) {
  if (s.started >= o.warmup + o.calls) return false;
  if (s.started == o.warmup && !s.measuring) {
    s.measuring = true;
    s.measure_start = Clock::now();
  }
  ++s.started;
  return true;
}

// --- HTTP -------------------------------------------------------------------------------

struct Target {
  std::string host, port, path;
};

awaitable<beast::tcp_stream> connect(const Target& t) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(ex);
  auto endpoints = co_await resolver.async_resolve(t.host, t.port, asio::use_awaitable);
  beast::tcp_stream stream(ex);
  co_await stream.async_connect(endpoints, asio::use_awaitable);
  stream.socket().set_option(asio::ip::tcp::no_delay(true));
  co_return stream;
}

// One POST and its answer, as any MCP client must read it: a JSON body, or an SSE stream whose
// `message` events carry the answer (after any notifications). A stream the server keeps open
// after the answer leaves the connection unusable for the next request (`reusable` false).
struct Reply {
  unsigned status = 0;
  std::string session;  // Mcp-Session-Id, if sent
  std::string body;     // the JSON-RPC message that answers (or the whole JSON body)
  bool reusable = true;
};

// The data of each complete SSE event in `text` (consumed), joined across data: lines.
std::vector<std::string> take_sse_events(std::string& text) {
  std::vector<std::string> out;
  for (;;) {
    auto end = text.find("\n\n");
    auto crlf = text.find("\r\n\r\n");
    std::size_t cut = std::min(end, crlf);
    if (cut == std::string::npos) return out;
    std::string event = text.substr(0, cut);
    text.erase(0, cut + (cut == crlf ? 4 : 2));
    std::string data;
    std::size_t pos = 0;
    while (pos <= event.size()) {
      auto nl = event.find('\n', pos);
      std::string line = event.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("data:", 0) == 0) {
        if (!data.empty()) data += '\n';
        data += line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5);
      }
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    if (!data.empty()) out.push_back(std::move(data));
  }
}

awaitable<Reply> post(beast::tcp_stream& stream, beast::flat_buffer& buffer, const Target& t,
                      const std::string& session, std::string body) {
  http::request<http::string_body> req(http::verb::post, t.path, 11);
  req.set(http::field::host, t.host + ":" + t.port);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "application/json, text/event-stream");
  if (!session.empty()) {
    req.set("Mcp-Session-Id", session);
    req.set("MCP-Protocol-Version", "2025-11-25");
  }
  req.body() = std::move(body);
  req.prepare_payload();
  // Every call has a deadline: a gateway that loses an answer (seen under concurrency) is an
  // error, not a hang.
  stream.expires_after(std::chrono::seconds(10));
  co_await http::async_write(stream, req, asio::use_awaitable);
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  co_await http::async_read_header(stream, buffer, parser, asio::use_awaitable);
  Reply reply;
  reply.status = parser.get().result_int();
  reply.session = std::string(parser.get()["mcp-session-id"]);
  bool sse = parser.get()[http::field::content_type].starts_with("text/event-stream");
  std::string text;
  // A large answer (tools/list of 5,000 tools is over 1 MB) is read in a few big steps into a
  // string sized once, so the generator's own cost stays small next to the proxy's.
  if (auto length = parser.content_length()) text.reserve(*length);
  // One buffer per call in flight (the workers of one thread read at the same time): 64 KB in
  // the frame as before, 1 MB for an answer known to be larger.
  char small[64 * 1024];
  std::vector<char> large(text.capacity() > sizeof small ? (1u << 20) : 0);
  char* chunk = large.empty() ? small : large.data();
  const std::size_t chunk_size = large.empty() ? sizeof small : large.size();
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = chunk_size;
    boost::system::error_code ec;
    co_await http::async_read_some(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) throw boost::system::system_error(ec);
    text.append(chunk, chunk_size - parser.get().body().size);
    if (!sse) continue;
    for (auto& data : take_sse_events(text)) {
      // A request's answer has "result" or "error" and no "method"; notifications come first.
      if (data.find("\"method\"") == std::string::npos || data.find("\"result\"") != std::string::npos) {
        reply.body = std::move(data);
        reply.reusable = false;  // the stream may stay open: this connection is done
      }
    }
    if (!reply.body.empty()) break;
  }
  if (!sse) reply.body = std::move(text);
  if (parser.is_done()) reply.reusable = parser.get().keep_alive();
  stream.expires_never();
  co_return reply;
}

awaitable<std::string> open_session(const Target& t) {
  std::optional<beast::tcp_stream> stream;
  auto first = co_await connect(t);
  stream.emplace(std::move(first));
  beast::flat_buffer buffer;
  auto res = co_await post(*stream, buffer, t, "",
                           R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcp_load","version":"1"}}})");
  std::string session = res.session;
  if (res.status != 200) throw std::runtime_error(fmt::format("initialize failed: {} {}", res.status, res.body));
  if (!res.reusable) {
    auto fresh = co_await connect(t);
    stream.emplace(std::move(fresh));
    buffer.clear();
  }
  co_await post(*stream, buffer, t, session, R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  co_return session;
}

awaitable<void> http_worker(const Options& o, const Target& t, std::string session, Stats& s) {
  std::optional<beast::tcp_stream> stream;
  auto first = co_await connect(t);
  stream.emplace(std::move(first));
  beast::flat_buffer buffer;
  std::uint64_t id = 1;
  while (next_call(o, s)) {
    bool measured = s.measuring;
    auto t0 = Clock::now();
    Reply res;
    try {
      res = co_await post(*stream, buffer, t, session, request_body(o, id++));
    } catch (const boost::system::system_error& e) {
      res.status = 0;  // no answer in time, or the connection broke: an error, on a new connection
      res.reusable = false;
    }
    auto us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    bool error = res.status != 200 || is_error(res.body);
    if (measured) {
      s.latencies_us.push_back(us);
      s.errors += error;
    }
    if (!res.reusable) {  // a stream left open, or the server closes: a new connection
      auto fresh = co_await connect(t);
      stream.emplace(std::move(fresh));
      buffer.clear();
    }
  }
}

awaitable<void> run_http(const Options& o, Stats& s) {
  auto url = boost::urls::parse_uri(o.url);
  if (!url) throw std::runtime_error("bad --url");
  Target t{std::string(url->host()), url->has_port() ? std::string(url->port()) : "80", std::string(url->path())};
  std::vector<std::string> sessions;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, o.sessions); ++i) sessions.push_back(co_await open_session(t));
  for (std::size_t i = 0; i < o.idle_sessions; ++i) co_await open_session(t);
  auto ex = co_await asio::this_coro::executor;
  std::size_t remaining = o.concurrency;
  asio::steady_timer done(ex, Clock::time_point::max());
  for (std::size_t w = 0; w < o.concurrency; ++w) {
    asio::co_spawn(ex, http_worker(o, t, sessions[w % sessions.size()], s), [&](std::exception_ptr e) {
      if (e) {
        try { std::rethrow_exception(e); } catch (const std::exception& ex) { std::fprintf(stderr, "worker: %s\n", ex.what()); }
        ++s.errors;
      }
      if (--remaining == 0) done.cancel();
    });
  }
  co_await done.async_wait(kTuple);
}

// --- stdio ------------------------------------------------------------------------------

awaitable<void> run_stdio(const Options& o, Stats& s) {
  auto ex = co_await asio::this_coro::executor;
  std::istringstream words(o.stdio_command);
  std::vector<std::string> args;
  for (std::string w; words >> w;) args.push_back(w);
  std::string program = args.front();
  args.erase(args.begin());
  auto exe = program.find('/') == std::string::npos ? bp::environment::find_executable(program) : bp::filesystem::path(program);
  asio::writable_pipe in(ex);
  asio::readable_pipe out(ex);
  bp::process child(ex, exe, args, bp::process_stdio{in, out, nullptr});

  std::string pending;
  char buffer[65536];
  auto read_line = [&]() -> awaitable<std::string> {
    for (;;) {
      if (auto nl = pending.find('\n'); nl != std::string::npos) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        co_return line;
      }
      std::size_t n = co_await out.async_read_some(asio::buffer(buffer), asio::use_awaitable);
      pending.append(buffer, n);
    }
  };
  auto send = [&](std::string line) -> awaitable<void> {
    line += '\n';
    co_await asio::async_write(in, asio::buffer(line), asio::use_awaitable);
  };
  co_await send(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcp_load","version":"1"}}})");
  co_await read_line();
  co_await send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");

  std::unordered_map<std::uint64_t, std::pair<Clock::time_point, bool>> in_flight;
  std::uint64_t next_id = 1;
  std::string batch;
  auto issue = [&]() {
    if (!next_call(o, s)) return false;
    auto id = next_id++;
    in_flight[id] = {Clock::now(), s.measuring};
    batch += request_body(o, id);
    batch += '\n';
    return true;
  };
  for (std::size_t i = 0; i < o.concurrency; ++i) issue();
  co_await asio::async_write(in, asio::buffer(batch), asio::use_awaitable);
  while (!in_flight.empty()) {
    std::string line = co_await read_line();
    auto pos = line.find("\"id\":");
    if (pos == std::string::npos) continue;
    auto id = std::strtoull(line.c_str() + pos + 5, nullptr, 10);
    auto it = in_flight.find(id);
    if (it == in_flight.end()) continue;
    if (it->second.second) {
      s.latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - it->second.first).count());
      s.errors += is_error(line);
    }
    in_flight.erase(it);
    batch.clear();
    if (issue()) co_await asio::async_write(in, asio::buffer(batch), asio::use_awaitable);
  }
  in.close();
  co_await child.async_wait(asio::use_awaitable);
}

double cpu_ms(int who) {
  rusage u{};
  getrusage(who, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") o.url = v;
    else if (k == "--stdio") o.stdio_command = v;
    else if (k == "--label") o.label = v;
    else if (k == "--method") o.method = v;
    else if (k == "--tool") o.tool = v;
    else if (k == "--arguments") o.arguments = v;
    else if (k == "--calls") o.calls = std::stoul(v);
    else if (k == "--concurrency") o.concurrency = std::stoul(v);
    else if (k == "--warmup") o.warmup = std::stoul(v);
    else if (k == "--message-bytes") o.message_bytes = std::stoul(v);
    else if (k == "--sessions") o.sessions = std::stoul(v);
    else if (k == "--idle-sessions") o.idle_sessions = std::stoul(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (o.url.empty() == o.stdio_command.empty()) {
    std::fprintf(stderr, "give exactly one of --url and --stdio\n");
    return 2;
  }
  Stats s;
  s.latencies_us.reserve(o.calls);
  asio::io_context io(1);
  std::string failure;
  asio::co_spawn(io, o.url.empty() ? run_stdio(o, s) : run_http(o, s), [&](std::exception_ptr e) {
    if (!e) return;
    try { std::rethrow_exception(e); } catch (const std::exception& ex) { failure = ex.what(); }
  });
  io.run();
  auto end = Clock::now();
  if (!failure.empty()) {
    std::fprintf(stderr, "mcp_load: %s\n", failure.c_str());
    return 1;
  }
  auto& l = s.latencies_us;
  std::sort(l.begin(), l.end());
  auto pct = [&](double p) { return l.empty() ? 0.0 : l[std::min(l.size() - 1, static_cast<std::size_t>(p * l.size()))]; };
  double seconds = std::chrono::duration<double>(end - s.measure_start).count();
  std::printf(R"({"label":"%s","transport":"%s","method":"%s","calls":%zu,"concurrency":%zu,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"max_us":%.1f,"calls_per_s":%.0f,"errors":%zu,"cpu_ms":%.0f,"children_cpu_ms":%.0f})"
              "\n",
              o.label.c_str(), o.url.empty() ? "stdio" : "http", o.method.c_str(), l.size(), o.concurrency,
              pct(0.5), pct(0.9), pct(0.99), l.empty() ? 0.0 : l.back(), l.size() / seconds, s.errors,
              cpu_ms(RUSAGE_SELF), cpu_ms(RUSAGE_CHILDREN));
  return 0;
}
