#pragma once
// Incremental parser for text/event-stream (the WHATWG "server-sent events" format): bytes
// in, complete events out. Handles events split across reads, CRLF, comments (keep-alives),
// multi-line data, `id` and `retry`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mcproxy::transport {

struct SseEvent {
  std::string event = "message";
  std::string data;
  std::string id;  // empty: none
};

class SseParser {
 public:
  // Calls on_event(SseEvent&&) for each complete event.
  template <class OnEvent>
  void feed(std::string_view bytes, OnEvent&& on_event) {
    buffer_.append(bytes);
    std::size_t start = 0;
    for (;;) {
      auto nl = buffer_.find('\n', start);
      if (nl == std::string::npos) break;
      std::string_view line(buffer_.data() + start, nl - start);
      start = nl + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) {
        if (has_data_) on_event(std::move(current_));
        current_ = SseEvent{};
        has_data_ = false;
        continue;
      }
      if (line.front() == ':') continue;  // comment, e.g. a keep-alive
      auto colon = line.find(':');
      std::string_view field = line.substr(0, colon);
      std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (field == "data") {
        if (has_data_) current_.data += '\n';
        current_.data.append(value);
        has_data_ = true;
      } else if (field == "event") {
        current_.event = std::string(value);
      } else if (field == "id") {
        current_.id = std::string(value);
        last_id_ = current_.id;
      } else if (field == "retry") {
        std::uint64_t ms = 0;
        bool digits = !value.empty();
        for (char c : value) digits &= (c >= '0' && c <= '9'), ms = ms * 10 + static_cast<unsigned>(c - '0');
        if (digits) retry_ms_ = ms;
      }
    }
    buffer_.erase(0, start);
  }

  const std::string& last_event_id() const noexcept { return last_id_; }
  std::optional<std::uint64_t> retry_ms() const noexcept { return retry_ms_; }
  std::size_t buffered() const noexcept { return buffer_.size(); }

 private:
  std::string buffer_;
  SseEvent current_;
  bool has_data_ = false;
  std::string last_id_;
  std::optional<std::uint64_t> retry_ms_;
};

}  // namespace mcproxy::transport
