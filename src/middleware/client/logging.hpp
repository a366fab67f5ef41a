#pragma once
// logging (client middleware): one line per request to the backend and per notification from
// it, with the session, the correlation id of the client's request, the duration and the
// outcome; payloads optionally, cut at a byte cap on a UTF-8 boundary. Lines go to stderr with
// the proxy's own log, or to a file with rotation, as text or JSON lines. Environment values
// and headers are never logged (they are not part of the messages).
//
// Config:
//   "methods": ["tools/*"]      which methods (patterns); default: all
//   "notifications": true       also log notifications and requests from the server (the
//                               reverse path: "<=" a notification, "=>" a request such as
//                               sampling, with the client's answer)
//   "payloads": false           include params and results
//   "maxPayloadBytes": 2048     cap per payload
//   "file": ""                  a file instead of stderr
//   "maxFileBytes": 10485760    rotate past this size...
//   "maxFiles": 3               ...keeping this many files
//   "format": "text" | "json"   for the file (stderr follows --log-format)
//   "level": "info"             level of the lines (debug, info)
// Order: first (outermost) to see every request, including those refused by inner middleware.

#include "middleware/pattern.hpp"
#include "middleware/service.hpp"

#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace mcproxy::middleware {

struct LoggingConfig {
  PatternSet methods;
  bool notifications = true;
  bool payloads = false;
  std::size_t max_payload_bytes = 2048;
  std::string file;
  std::size_t max_file_bytes = 10u << 20;
  std::size_t max_files = 3;
  bool json = false;
  bool debug_level = false;
};

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t max);

class Logging final : public Middleware {
 public:
  Logging(std::shared_ptr<const LoggingConfig> config, std::string server,
          std::shared_ptr<spdlog::logger> sink);
  boost::asio::awaitable<json::value> request(Call call, RequestContext& ctx) override;
  bool on_server_notification(Call& notification, const ReverseContext& from) override;
  boost::asio::awaitable<json::value> on_server_request(Call call, const ReverseContext& from,
                                                       const ReverseNext& next) override;

 private:
  void write(std::string_view direction, std::string_view method, const Session* session,
             std::uint64_t correlation, std::string_view outcome, long long micros,
             const json::value* payload, std::string_view trace = {});

  std::shared_ptr<const LoggingConfig> config_;
  std::string server_;
  std::shared_ptr<spdlog::logger> sink_;  // null: the default logger
};

}  // namespace mcproxy::middleware
