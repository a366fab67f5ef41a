#include "middleware/client/logging.hpp"

#include "mcp/error.hpp"
#include "middleware/registry.hpp"

#include <boost/json.hpp>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <chrono>
#include <mutex>
#include <unordered_map>

namespace mcproxy::middleware {

using boost::asio::awaitable;

std::string_view utf8_prefix(std::string_view text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a sequence start.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

namespace {

// One file logger per path, shared by every backend that logs there.
std::shared_ptr<spdlog::logger> file_logger(const LoggingConfig& c) {
  static std::unordered_map<std::string, std::shared_ptr<spdlog::logger>> loggers;
  auto& slot = loggers[c.file];
  if (!slot) {
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(c.file, c.max_file_bytes, c.max_files);
    slot = std::make_shared<spdlog::logger>("mcp-traffic:" + c.file, sink);
    slot->set_pattern(c.json ? "%v" : "%Y-%m-%dT%H:%M:%S.%e %v");
    slot->set_level(spdlog::level::trace);
    // Flushing every line costs a write() per line on the hot path; errors flush at once and
    // everything else within a second (spdlog's periodic flusher, set up in setup_logging).
    slot->flush_on(spdlog::level::warn);
    spdlog::register_logger(slot);  // so spdlog::flush_every() reaches it
  }
  return slot;
}

std::optional<Maker> parse(const json::object& config, config::JsonReader& r, const std::string& path) {
  r.check_keys_strict(config, path, {"methods", "notifications", "payloads", "maxPayloadBytes", "file",
                                     "maxFileBytes", "maxFiles", "format", "level"});
  auto cfg = std::make_shared<LoggingConfig>();
  std::size_t errors = r.errors().size();
  auto p = [&](std::string_view key) { return config::child_path(path, key); };
  if (auto* v = config.if_contains("methods")) {
    if (auto set = PatternSet::read(*v, r, p("methods"))) cfg->methods = std::move(*set);
  }
  if (auto* v = config.if_contains("notifications")) cfg->notifications = r.boolean(*v, p("notifications")).value_or(true);
  if (auto* v = config.if_contains("payloads")) cfg->payloads = r.boolean(*v, p("payloads")).value_or(false);
  if (auto* v = config.if_contains("maxPayloadBytes"))
    cfg->max_payload_bytes = static_cast<std::size_t>(r.integer(*v, p("maxPayloadBytes"), 16, 1LL << 30).value_or(2048));
  if (auto* v = config.if_contains("file")) cfg->file = r.string(*v, p("file")).value_or("");
  if (auto* v = config.if_contains("maxFileBytes"))
    cfg->max_file_bytes = static_cast<std::size_t>(r.integer(*v, p("maxFileBytes"), 4096, 1LL << 40).value_or(10 << 20));
  if (auto* v = config.if_contains("maxFiles"))
    cfg->max_files = static_cast<std::size_t>(r.integer(*v, p("maxFiles"), 1, 1000).value_or(3));
  if (auto* v = config.if_contains("format")) {
    auto f = r.string(*v, p("format"));
    if (f == "json") cfg->json = true;
    else if (f && *f != "text") r.error(p("format"), fmt::format("expected \"text\" or \"json\", found \"{}\"", *f));
  }
  if (auto* v = config.if_contains("level")) {
    auto l = r.string(*v, p("level"));
    if (l == "debug") cfg->debug_level = true;
    else if (l && *l != "info") r.error(p("level"), fmt::format("expected \"debug\" or \"info\", found \"{}\"", *l));
  }
  if (r.errors().size() != errors) return std::nullopt;
  return Maker([cfg](const Site& site) {
    // Opening the file is I/O: done when the backend is built, not while validating.
    return std::make_shared<Logging>(cfg, site.server, cfg->file.empty() ? nullptr : file_logger(*cfg));
  });
}

}  // namespace

Logging::Logging(std::shared_ptr<const LoggingConfig> config, std::string server,
                 std::shared_ptr<spdlog::logger> sink)
    : config_(std::move(config)), server_(std::move(server)), sink_(std::move(sink)) {}

void Logging::write(std::string_view direction, std::string_view method, const Session* session,
                    std::uint64_t correlation, std::string_view outcome, long long micros,
                    const json::value* payload, std::string_view trace) {
  std::string label = session ? session->label() : "-";
  std::string body;
  if (config_->payloads && payload) {
    std::string text = json::serialize(*payload);
    auto cut = utf8_prefix(text, config_->max_payload_bytes);
    body = cut.size() < text.size() ? fmt::format("{}... ({} bytes)", cut, text.size()) : std::string(cut);
  }
  std::string line;
  if (config_->json && sink_) {
    json::object o{{"time_us", std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count()},
                   {"server", server_}, {"direction", direction}, {"method", method},
                   {"session", label}, {"correlationId", correlation}, {"outcome", outcome}};
    if (micros >= 0) o["durationUs"] = micros;
    if (!trace.empty()) o["traceId"] = trace;
    if (!body.empty()) o["payload"] = body;
    line = json::serialize(o);
  } else {
    line = fmt::format("[{}] {} {} session={} req#{} {}{}{}{}", server_, direction, method, label,
                       correlation, outcome, micros >= 0 ? fmt::format(" {}us", micros) : "",
                       trace.empty() ? "" : fmt::format(" trace={}", trace), body.empty() ? "" : " " + body);
  }
  auto level = config_->debug_level ? spdlog::level::debug : spdlog::level::info;
  if (sink_) sink_->log(level, line);
  else spdlog::log(level, line);
}

namespace {
long long micros_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
}
}  // namespace

awaitable<json::value> Logging::request(Call call, RequestContext& ctx) {
  bool log = config_->methods.empty() || config_->methods.matches(call.name);
  if (!log) co_return co_await Middleware::request(std::move(call), ctx);
  json::value request_payload;
  if (config_->payloads) request_payload = call.params;  // copied only when it will be written
  const Session* session = ctx.session.get();
  write("->", call.name, session, ctx.correlation_id, "request", -1, config_->payloads ? &request_payload : nullptr,
        ctx.trace.trace_id);
  auto started = std::chrono::steady_clock::now();
  std::string method = call.name;
  try {
    json::value result = co_await Middleware::request(std::move(call), ctx);
    write("<-", method, session, ctx.correlation_id, "ok", micros_since(started), &result, ctx.trace.trace_id);
    co_return result;
  } catch (const mcp::McpError& e) {
    json::value error = e.to_error_object();
    write("<-", method, session, ctx.correlation_id, fmt::format("error {}", e.code()), micros_since(started), &error,
          ctx.trace.trace_id);
    throw;
  }
}

bool Logging::on_server_notification(Call& notification, const ReverseContext& from) {
  if (config_->notifications && (config_->methods.empty() || config_->methods.matches(notification.name))) {
    json::value payload = notification.params;
    write("<=", notification.name, from.session.get(), 0, "notification", -1, &payload);
  }
  return true;
}

awaitable<json::value> Logging::on_server_request(Call call, const ReverseContext& from, const ReverseNext& next) {
  bool log = config_->notifications && (config_->methods.empty() || config_->methods.matches(call.name));
  if (!log) co_return co_await next(std::move(call));
  json::value payload = call.params;
  write("=>", call.name, from.session.get(), 0, "server request", -1, &payload);
  auto started = std::chrono::steady_clock::now();
  std::string method = call.name;
  try {
    json::value answer = co_await next(std::move(call));
    write("<=", method, from.session.get(), 0, "client answered", micros_since(started), &answer);
    co_return answer;
  } catch (const mcp::McpError& e) {
    json::value error = e.to_error_object();
    write("<=", method, from.session.get(), 0, fmt::format("client error {}", e.code()), micros_since(started), &error);
    throw;
  }
}

}  // namespace mcproxy::middleware

MCPROXY_REGISTER_MIDDLEWARE(logging, {"logging", ::mcproxy::middleware::Scope::client,
                                      "log requests, results and notifications of a backend",
                                      &::mcproxy::middleware::parse})
