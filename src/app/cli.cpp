#include "app/cli.hpp"

#include "app/commands.hpp"
#include "app/logging.hpp"
#include "app/pins_command.hpp"
#include "app/status_command.hpp"
#include "app/reaper.hpp"
#include "config/config.hpp"
#include "middleware/plan.hpp"
#include "proxy/proxy.hpp"
#include "support/redaction.hpp"
#include "support/test_hooks.hpp"

#include <optional>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include <unistd.h>
#include <iostream>

namespace mcproxy::app {

namespace {

constexpr const char* kDescription =
    "MCProxy: one MCP endpoint in front of many MCP servers.\n"
    "Reads a Claude Desktop style config (\"mcpServers\"), starts every server, and serves their\n"
    "merged tools, prompts and resources over Streamable HTTP.";

constexpr const char* kExamples = R"(
Examples:
  mcproxy --config example-config.json
      serve the servers of example-config.json at http://127.0.0.1:8080/mcp
  mcproxy -c ~/Library/Application\ Support/Claude/claude_desktop_config.json --port 9000
      reuse a Claude Desktop config as is
  mcproxy -c config.json --port 0 --log-level debug
      pick a free port (printed on start) and log every request
  mcproxy stdio -c config.json
      speak MCP on stdin/stdout: what Claude Desktop's "command" entries expect
  mcproxy check config.json
      validate everything without starting a server (exit 0 / 1)
  mcproxy list config.json
      start the servers once and print their merged tools, prompts and resources
  mcproxy pins list -c config.json
      the pinned tool definitions, and which changed since they were approved
  mcproxy pins approve SERVER TOOL -c config.json
      approve a changed tool definition (a running proxy serves it again)
  mcproxy status http://127.0.0.1:8080
      backends, sessions and the busiest tools of a running proxy ($MCPROXY_TOKEN with auth)

Endpoints:
  POST/DELETE /mcp   the MCP endpoint (Streamable HTTP)
  GET /health        JSON state of every backend
  GET /metrics       Prometheus metrics (docs/OBSERVABILITY.md)
  GET /ui            the live dashboard and inspector

Documentation: README.md (configuration reference) and docs/MIDDLEWARE.md.
)";

}  // namespace

int main(int argc, char** argv) {
  // `mcproxy __reap EXE ARGS...` is how the proxy starts each stdio server (app/reaper.hpp).
  if (argc >= 2 && std::string_view(argv[1]) == kReaperArgument) return run_reaper(argc - 2, argv + 2);
  support::inject_test_fault_from_env();  // no-op unless built with MCPROXY_TEST_HOOKS
  CLI::App cli(kDescription, "mcproxy");
  cli.footer(kExamples);
  std::string config_path;
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<int> threads;
  std::string log_level = "info";
  std::string log_format = "auto";
  std::string credentials_path;
  cli.add_option("-c,--config", config_path, "Configuration file (JSON, or YAML when it ends in .yaml/.yml)");
  cli.add_option("--host", host, "Address to listen on (default 127.0.0.1; overrides httpServer.host)");
  cli.add_option("-p,--port", port, "Port to listen on, 0 for any free port (default 8080; overrides "
                                    "httpServer.port)")
      ->check(CLI::Range(0, 65535));
  cli.add_option("--threads", threads, "I/O threads, 0 for one per core (default 1; overrides httpServer.threads)")
      ->check(CLI::Range(0, 256));
  cli.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  cli.add_option("--log-format", log_format,
                 "text, json (one JSON object per line) or auto (text; colours on a terminal)")
      ->check(CLI::IsMember({"auto", "text", "json"}))
      ->capture_default_str();
  cli.add_option("--credentials", credentials_path,
                 "JSON file of VARIABLE: \"value\" pairs for ${VAR} in the config, so secrets stay "
                 "out of it (default ~/.config/mcproxy/credentials.json when it exists)");
  cli.set_version_flag("-V,--version", std::string("mcproxy ") + MCPROXY_VERSION);
  auto* stdio_command = cli.add_subcommand(
      "stdio", "Serve MCP on stdin/stdout instead of HTTP (for clients that start their servers "
               "as processes, e.g. Claude Desktop); logs stay on stderr");
  stdio_command->fallthrough();
  std::string command_file;
  auto* serve_command = cli.add_subcommand("serve", "Serve MCP over HTTP (what mcproxy does without a subcommand)");
  serve_command->add_option("file", command_file, "Configuration file (or --config)");
  serve_command->fallthrough();
  auto* check_command = cli.add_subcommand(
      "check", "Validate a configuration (servers, middleware, ${VARS}, commands in PATH) without "
               "starting anything; exit 0 when valid, 1 otherwise");
  check_command->add_option("file", command_file, "Configuration file (or --config)");
  check_command->fallthrough();
  auto* list_command = cli.add_subcommand(
      "list", "Start the servers of a configuration, print the merged tools, prompts and "
              "resources, and exit");
  list_command->add_option("file", command_file, "Configuration file (or --config)");
  list_command->fallthrough();

  auto* pins_command = cli.add_subcommand(
      "pins", "Tool-definition pins: list, approve SERVER TOOL..., approve-all SERVER (the pin file of the "
              "config's \"pins\" section, or --file)");
  std::string pins_action;
  std::vector<std::string> pins_names;
  std::string pins_file;
  pins_command->add_option("action", pins_action, "list, approve or approve-all")->required()
      ->check(CLI::IsMember({"list", "approve", "approve-all"}));
  pins_command->add_option("names", pins_names, "SERVER [TOOL...]");
  pins_command->add_option("--file", pins_file, "The pin file (default: the config's pins.file)");
  pins_command->fallthrough();

  auto* status_command = cli.add_subcommand(
      "status", "Summary of a running proxy: backends, sessions, the tools with the most calls and errors "
                "(reads its dashboard API; with auth, MCPROXY_TOKEN holds a key or token with the admin role)");
  std::string status_url = "http://127.0.0.1:8080";
  bool status_json = false;
  status_command->add_option("url", status_url, "Where the proxy listens (default http://127.0.0.1:8080)");
  status_command->add_flag("--json", status_json, "Print the raw JSON instead of the summary");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  if (status_command->parsed()) return run_status_command(status_url, status_json);
  if (!command_file.empty()) config_path = command_file;
  if (pins_command->parsed() && !pins_file.empty()) return run_pins_command(pins_file, pins_action, pins_names);
  if (config_path.empty()) {
    std::fprintf(stderr, "mcproxy: give a configuration file with --config FILE (see --help; "
                         "example-config.json shows the format)\n");
    return 2;
  }
  bool one_shot = check_command->parsed() || list_command->parsed();
  // One-shot commands print to stdout; their logs stay quiet unless asked for.
  setup_logging(one_shot && log_level == "info" ? "warn" : log_level, log_format);

  config::Config config;
  middleware::Plan plan;
  std::vector<std::pair<std::string, std::string>> credentials;
  try {
    if (credentials_path.empty()) {
      const char* home = std::getenv("HOME");
      std::string fallback = home ? std::string(home) + "/.config/mcproxy/credentials.json" : "";
      if (!fallback.empty() && ::access(fallback.c_str(), R_OK) == 0) credentials_path = fallback;
    }
    if (!credentials_path.empty()) credentials = config::load_credentials_file(credentials_path);
    config = config::load_config_file(config_path, credentials);
    support::set_secrets(config.secrets);  // nothing shown from here on may contain them
    plan = middleware::compile_plan(config);  // every middleware config, before anything starts
    proxy::compile_access_policy(config);     // and the profiles' patterns
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "mcproxy: %s\n", e.what());
    return check_command->parsed() ? 1 : 2;
  }
  if (check_command->parsed()) return check_config(config, plan);
  if (pins_command->parsed())
    return run_pins_command(config.pins.enabled ? config.pins.file : config::default_pins_file(), pins_action, pins_names);
  if (host) config.http.host = *host;
  if (port) config.http.port = static_cast<unsigned short>(*port);
  if (threads) config.http.threads = static_cast<std::size_t>(*threads);
  for (auto& w : config.warnings) spdlog::warn("{}: {}", config_path, w);

  try {
    if (list_command->parsed()) return list_catalogue(config, plan);
    return proxy::run_proxy(std::move(config), std::move(plan),
                            stdio_command->parsed() ? proxy::Downstream::stdio : proxy::Downstream::http,
                            std::move(credentials));
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}

}  // namespace mcproxy::app
