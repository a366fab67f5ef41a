#include "app/commands.hpp"

#include "proxy/aggregator.hpp"
#include "proxy/backend.hpp"
#include "proxy/relay.hpp"
#include "proxy/session_manager.hpp"
#include "support/redaction.hpp"
#include "transport/stdio_child.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <unistd.h>

namespace mcproxy::app {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string find_program(const config::ServerConfig& s) {
  if (s.command.find('/') != std::string::npos) return ::access(s.command.c_str(), X_OK) == 0 ? s.command : "";
  std::string path;
  if (const char* p = std::getenv("PATH")) path = p;
  for (auto& [k, v] : s.env)
    if (k == "PATH") path = v;
  return transport::find_in_path(s.command, path);
}

std::string types_of(const std::vector<config::MiddlewareSpec>& specs) {
  std::string out;
  for (auto& s : specs) out += (out.empty() ? "" : ", ") + s.type + (s.enabled ? "" : " (disabled)");
  return out.empty() ? "none" : out;
}

std::string one_line(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (out.size() > max) out = out.substr(0, max - 3) + "...";
  return out;
}

}  // namespace

int check_config(const config::Config& config, const middleware::Plan& plan) {
  int problems = 0;
  std::printf("%s: configuration is valid\n\n", config.source.c_str());
  std::printf("servers (%zu):\n", config.servers.size());
  for (auto& s : config.servers) {
    std::string what;
    if (s.transport == config::ServerTransport::stdio) {
      std::string program = find_program(s);
      std::string args;
      for (auto& a : s.args) args += " " + a;
      what = support::redact(fmt::format("stdio  {}{}", s.command, args));
      if (program.empty() && !s.disabled) {
        what += fmt::format("\n      PROBLEM: \"{}\" is not found in PATH", s.command);
        ++problems;
      }
      if (!s.env.empty()) what += fmt::format("\n      env: {} variable(s) (values not shown)", s.env.size());
    } else {
      what = fmt::format("{}  {}", config::to_string(s.transport), support::redact_url(s.url));
      if (!s.headers.empty()) what += fmt::format("\n      headers: {} (values not shown)", s.headers.size());
      if (s.tls_insecure) what += "\n      WARNING: tls.insecure is set";
    }
    std::printf("  %-16s %s%s%s\n", s.name.c_str(), what.c_str(),
                s.session_mode == config::SessionMode::per_client ? "  [per-client]" : "",
                s.disabled ? "  [disabled]" : "");
  }
  std::printf("\nmiddleware:\n  proxy: %s\n  client default: %s\n", types_of(config.middleware.proxy).c_str(),
              types_of(config.middleware.client_default).c_str());
  for (auto& [name, specs] : config.middleware.client_servers)
    std::printf("  client %s: %s\n", name.c_str(), types_of(specs).c_str());
  std::printf("\nendpoint: http://%s:%u%s (names: prefix %s, separator \"%s\")\n", config.http.host.c_str(),
              config.http.port, config.http.path.c_str(), std::string(config::to_string(config.naming.mode)).c_str(),
              config.naming.separator.c_str());
  if (!config.warnings.empty()) {
    std::printf("\nwarnings:\n");
    for (auto& w : config.warnings) std::printf("  - %s\n", support::redact(w).c_str());
  }
  if (problems) std::printf("\n%d problem(s) found\n", problems);
  return problems ? 1 : 0;
}

int list_catalogue(const config::Config& config, const middleware::Plan& plan) {
  asio::io_context io(1);
  proxy::Relay relay;
  std::vector<std::shared_ptr<proxy::Backend>> backends;
  for (auto& s : config.servers) {
    auto server = s;
    server.reconnect_max_attempts = 1;  // a one-shot listing does not wait for retries
    backends.push_back(std::make_shared<proxy::Backend>(io.get_executor(), server, &relay,
                                                        proxy::shared_client_capabilities(),
                                                        plan.client_for(s.name)));
  }
  proxy::Aggregator aggregator(backends, config.naming);
  int exit_code = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await proxy::start_all(backends);
        co_await aggregator.refresh();
        for (auto kind : {proxy::ListKind::tools, proxy::ListKind::prompts, proxy::ListKind::resources,
                          proxy::ListKind::templates}) {
          json::value result = co_await aggregator.list(kind, {});
          auto& items = result.get_object().at(proxy::list_key(kind)).get_array();
          std::printf("%s (%zu)\n", std::string(proxy::list_key(kind)).c_str(), items.size());
          for (auto& item : items) {
            auto& o = item.get_object();
            auto field = [&](std::string_view k) -> std::string {
              auto* v = o.if_contains(k);
              return v && v->is_string() ? std::string(v->get_string()) : "";
            };
            std::string id = kind == proxy::ListKind::resources   ? field("uri")
                             : kind == proxy::ListKind::templates ? field("uriTemplate")
                                                                  : field("name");
            std::printf("  %-44s %s\n", id.c_str(), one_line(field("description").empty() ? field("name") : field("description"), 70).c_str());
          }
          std::printf("\n");
        }
        for (auto& b : backends) {
          if (b->up() || b->state() == proxy::BackendState::disabled) continue;
          auto h = b->health();
          std::printf("server %s is %s: %s\n", b->name().c_str(), std::string(proxy::to_string(b->state())).c_str(),
                      h["lastError"].is_string() ? support::redact(h["lastError"].get_string()).c_str() : "");
          exit_code = 1;
        }
        co_await proxy::stop_all(backends);
        io.stop();
      },
      [&](std::exception_ptr e) {
        if (e) exit_code = 1;
      });
  io.run();
  return exit_code;
}

}  // namespace mcproxy::app
