#include "auth/audit_log.hpp"

#include <boost/json.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/rotating_file_sink.h>

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <stdexcept>

namespace mcproxy::auth {

std::string utc_timestamp() {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", text, ms);
}

AuditLog::AuditLog(const std::string& file, std::size_t max_bytes, std::size_t max_files) : file_(file) {
  try {
    auto parent = std::filesystem::path(file).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(file, max_bytes, max_files);
    logger_ = std::make_shared<spdlog::logger>("audit", std::move(sink));
    logger_->set_pattern("%v");
    logger_->set_level(spdlog::level::info);
    logger_->flush_on(spdlog::level::info);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("audit.file: cannot write the audit log {}: {}", file, e.what()));
  }
}

AuditLog::~AuditLog() = default;

void AuditLog::write(const boost::json::object& event) {
  boost::json::object line;
  line.reserve(event.size() + 1);
  line["time"] = utc_timestamp();
  for (auto& [k, v] : event) line[k] = v;
  logger_->info(boost::json::serialize(line));
}

}  // namespace mcproxy::auth
