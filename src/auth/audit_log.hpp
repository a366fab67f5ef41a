#pragma once
// The audit log: one JSON object per line for each security-relevant event (a call and its
// outcome, a refused credential, a session taken over, a changed tool definition), written
// through spdlog's rotating file sink (size-based rotation, thread-safe) and flushed at once,
// so that a crash loses nothing already decided. Callers never put secrets or raw arguments
// in an event unless audit.includeArguments asks for arguments.

#include <boost/json/object.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace mcproxy::auth {

class AuditLog {
 public:
  // Creates the folder and opens `file` for appending. Throws std::runtime_error naming the
  // file when it cannot.
  AuditLog(const std::string& file, std::size_t max_bytes, std::size_t max_files);
  ~AuditLog();

  // Writes {"time": <now, RFC 3339 UTC with milliseconds>, ...event}.
  void write(const boost::json::object& event);
  const std::string& file() const noexcept { return file_; }

 private:
  std::string file_;
  std::shared_ptr<spdlog::logger> logger_;
};

// RFC 3339 UTC with milliseconds: "2026-12-02T09:30:00.123Z".
std::string utc_timestamp();

}  // namespace mcproxy::auth
