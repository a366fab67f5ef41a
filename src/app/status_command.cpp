#include "app/status_command.hpp"

#include "transport/http_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace mcproxy::app {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

std::string text(const json::value* v, std::string_view fallback = "-") {
  if (!v || v->is_null()) return std::string(fallback);
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  if (v->is_double()) return fmt::format("{:.1f}", v->get_double());
  if (v->is_bool()) return v->get_bool() ? "yes" : "no";
  return json::serialize(*v);
}

std::string duration(std::int64_t seconds) {
  if (seconds < 0) return "-";
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  if (seconds < 86400) return fmt::format("{}h{:02}m", seconds / 3600, seconds % 3600 / 60);
  return fmt::format("{}d{:02}h", seconds / 86400, seconds % 86400 / 3600);
}

std::int64_t number(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return 0;
}

std::string ms(const json::value* v) {
  if (!v || !v->is_number()) return "-";
  double d = v->to_number<double>();
  return d < 10 ? fmt::format("{:.2f}ms", d) : fmt::format("{:.0f}ms", d);
}

void print_status(const json::object& state, const json::object& catalogue, const std::string& base) {
  std::printf("MCProxy %s at %s: up %s", text(state.if_contains("version")).c_str(), base.c_str(),
              duration(number(state, "uptimeSeconds")).c_str());
  if (auto* c = state.if_contains("config"); c && c->is_object()) {
    auto& config = c->get_object();
    std::printf(", config %s generation %s", text(config.if_contains("file")).c_str(),
                text(config.if_contains("generation")).c_str());
    auto* error = config.if_contains("lastReloadError");
    if (error && error->is_string()) std::printf("\n  LAST RELOAD FAILED: %s", std::string(error->get_string()).c_str());
  }
  std::printf("\n\nBackends\n");
  std::printf("  %-20s %-10s %-16s %7s %8s %8s %7s %8s %8s %6s\n", "NAME", "STATE", "TRANSPORT", "PID", "UPTIME",
              "REQUESTS", "ERRORS", "P50", "P99", "RECONN");
  if (auto* backends = state.if_contains("backends"); backends && backends->is_array()) {
    for (auto& item : backends->get_array()) {
      if (!item.is_object()) continue;
      auto& b = item.get_object();
      std::printf("  %-20s %-10s %-16s %7s %8s %8lld %7lld %8s %8s %6lld\n", text(b.if_contains("name")).c_str(),
                  text(b.if_contains("state")).c_str(), text(b.if_contains("transport")).c_str(),
                  text(b.if_contains("pid")).c_str(),
                  b.contains("uptimeSeconds") ? duration(number(b, "uptimeSeconds")).c_str() : "-",
                  static_cast<long long>(number(b, "requests")), static_cast<long long>(number(b, "errors")),
                  ms(b.if_contains("p50Ms")).c_str(), ms(b.if_contains("p99Ms")).c_str(),
                  static_cast<long long>(number(b, "reconnects")));
      if (auto* e = b.if_contains("lastError"); e && e->is_string() && text(b.if_contains("state")) != "up")
        std::printf("      last error: %s\n", std::string(e->get_string()).c_str());
    }
  }
  if (auto* s = state.if_contains("sessions"); s && s->is_object()) {
    auto& sessions = s->get_object();
    std::printf("\nSessions: %lld", static_cast<long long>(number(sessions, "count")));
    if (auto* by = sessions.if_contains("byTransport"); by && by->is_object()) {
      std::string parts;
      for (auto& [k, v] : by->get_object())
        parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", std::string_view(k), text(&v));
      std::printf(" (%s)", parts.c_str());
    }
    std::printf("\n");
  }
  struct Tool {
    std::string name, server;
    std::int64_t calls, errors;
  };
  std::vector<Tool> tools;
  if (auto* list = catalogue.if_contains("tools"); list && list->is_array())
    for (auto& item : list->get_array())
      if (item.is_object()) {
        auto& t = item.get_object();
        tools.push_back({text(t.if_contains("name")), text(t.if_contains("server")), number(t, "calls"),
                         number(t, "errors")});
      }
  auto top = [&](const char* title, auto key) {
    std::vector<Tool> sorted = tools;
    std::erase_if(sorted, [&](const Tool& t) { return key(t) == 0; });
    std::sort(sorted.begin(), sorted.end(), [&](const Tool& a, const Tool& b) { return key(a) > key(b); });
    std::printf("\n%s\n", title);
    if (sorted.empty()) std::printf("  (none yet)\n");
    for (std::size_t i = 0; i < sorted.size() && i < 10; ++i)
      std::printf("  %-40s %-16s %8lld calls %6lld errors\n", sorted[i].name.c_str(), sorted[i].server.c_str(),
                  static_cast<long long>(sorted[i].calls), static_cast<long long>(sorted[i].errors));
  };
  std::printf("\nTools: %zu\n", tools.size());
  top("Top tools by calls", [](const Tool& t) { return t.calls; });
  top("Top tools by errors", [](const Tool& t) { return t.errors; });
}

}  // namespace

int run_status_command(const std::string& url, bool as_json) {
  transport::HttpUrl origin;
  try {
    origin = transport::HttpUrl::parse(url);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mcproxy status: %s (expected e.g. http://127.0.0.1:8080)\n", e.what());
    return 2;
  }
  std::string base = fmt::format("{}://{}", origin.tls ? "https" : "http", origin.host_header);
  const char* token = std::getenv("MCPROXY_TOKEN");
  asio::io_context io;
  json::object state, catalogue;
  std::string failure;
  auto fetch_all = [&]() -> asio::awaitable<void> {
    transport::HttpClientOptions options;
    options.name = "status";
    options.connect_timeout = std::chrono::seconds(5);
    transport::HttpClient client(io.get_executor(), origin, options);
    for (auto [path, into] : {std::pair{"/ui/api/state", &state}, std::pair{"/ui/api/catalogue", &catalogue}}) {
      http::request<http::string_body> req(http::verb::get, path, 11);
      req.set(http::field::accept, "application/json");
      if (token && *token) req.set(http::field::authorization, fmt::format("Bearer {}", token));
      auto res = co_await client.fetch(std::move(req), std::chrono::seconds(10), 64u << 20);
      auto body = json::parse(res.body);
      if (res.status != 200) {
        std::string why = body.is_object() && body.get_object().contains("error")
                              ? text(body.get_object().if_contains("error"))
                              : res.body.substr(0, 200);
        throw std::runtime_error(fmt::format("{} answered HTTP {}: {}{}", path, res.status, why,
                                             res.status == 401 || res.status == 403
                                                 ? " (set MCPROXY_TOKEN to a key or token with the admin role)"
                                                 : ""));
      }
      *into = body.as_object();
    }
    client.stop();
  };
  asio::co_spawn(io, fetch_all(), [&](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      failure = x.what();
    }
  });
  io.run();
  if (!failure.empty()) {
    std::fprintf(stderr, "mcproxy status: %s: %s\n", base.c_str(), failure.c_str());
    return 1;
  }
  if (as_json) {
    std::printf("%s\n", json::serialize(json::object{{"state", state}, {"catalogue", catalogue}}).c_str());
    return 0;
  }
  print_status(state, catalogue, base);
  return 0;
}

}  // namespace mcproxy::app
