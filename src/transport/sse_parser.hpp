#pragma once
// Incremental parser for text/event-stream (the WHATWG "server-sent events" format): bytes
// in, complete events out. Handles events split across reads, CRLF, comments (keep-alives),
// multi-line data, `id` and `retry`. Bounded and linear: each byte is scanned once (a line
// that never ends is not rescanned on every read), and an event whose data plus the line being
// read grows past the limit makes feed() return false: the stream is not usable any more.

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
  explicit SseParser(std::size_t max_event_bytes = 64u << 20) : max_event_(max_event_bytes) {}

  // Calls on_event(SseEvent&&) for each complete event. False once an event is over the limit
  // (then nothing more is parsed).
  template <class OnEvent>
  bool feed(std::string_view bytes, OnEvent&& on_event) {
    if (overflowed_) return false;
    buffer_.append(bytes);
    std::size_t start = 0;
    for (;;) {
      auto nl = buffer_.find('\n', scanned_);
      if (nl == std::string::npos) break;
      std::string_view line(buffer_.data() + start, nl - start);
      start = nl + 1;
      scanned_ = start;
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
        bool digits = !value.empty() && value.size() < 10;
        for (char c : value) digits &= (c >= '0' && c <= '9'), ms = ms * 10 + static_cast<unsigned>(c - '0');
        if (digits) retry_ms_ = ms;
      }
    }
    buffer_.erase(0, start);
    scanned_ = buffer_.size();
    if (buffer_.size() + current_.data.size() > max_event_) {
      overflowed_ = true;
      buffer_.clear();
      current_ = SseEvent{};
      return false;
    }
    return true;
  }

  const std::string& last_event_id() const noexcept { return last_id_; }
  std::optional<std::uint64_t> retry_ms() const noexcept { return retry_ms_; }
  // Bytes held for the event being read (its data and the incomplete line).
  std::size_t buffered() const noexcept { return buffer_.size() + current_.data.size(); }
  bool overflowed() const noexcept { return overflowed_; }

 private:
  std::size_t max_event_;
  std::string buffer_;
  std::size_t scanned_ = 0;  // bytes of buffer_ known to hold no '\n'
  SseEvent current_;
  bool has_data_ = false;
  bool overflowed_ = false;
  std::string last_id_;
  std::optional<std::uint64_t> retry_ms_;
};

}  // namespace mcproxy::transport
