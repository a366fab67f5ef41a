#pragma once
// Newline framing for stdio (MCP-DIGEST §3): bytes in, complete lines out. Handles a message
// split over any number of reads and any number of messages in one read; only new bytes are
// scanned for '\n', so a 20 MB line costs O(size), not O(size^2). A line longer than the limit
// is dropped (reported once) and framing resumes at the next newline.

#include <cstddef>
#include <string>
#include <string_view>

namespace mcproxy::transport {

class LineFramer {
 public:
  explicit LineFramer(std::size_t max_line_bytes) : max_line_(max_line_bytes) {}

  // Calls on_line(std::string_view) for each complete line (without "\n" or a trailing "\r";
  // empty lines are skipped) and on_oversize(std::size_t bytes_so_far) when a line exceeds the
  // limit.
  template <class OnLine, class OnOversize>
  void feed(std::string_view data, OnLine&& on_line, OnOversize&& on_oversize) {
    while (!data.empty()) {
      auto nl = data.find('\n');
      std::string_view chunk = data.substr(0, nl);
      if (discarding_) {
        if (nl == std::string_view::npos) return;
        discarding_ = false;
        data.remove_prefix(nl + 1);
        continue;
      }
      if (nl == std::string_view::npos) {
        if (buffer_.size() + chunk.size() > max_line_) {
          on_oversize(buffer_.size() + chunk.size());
          buffer_.clear();
          discarding_ = true;
          return;
        }
        buffer_.append(chunk);
        return;
      }
      if (buffer_.size() + chunk.size() > max_line_) {
        on_oversize(buffer_.size() + chunk.size());
        buffer_.clear();
      } else if (buffer_.empty()) {
        emit(chunk, on_line);  // the common case: a whole line inside one read, no copy
      } else {
        buffer_.append(chunk);
        emit(buffer_, on_line);
        buffer_.clear();
      }
      data.remove_prefix(nl + 1);
    }
  }

  std::size_t buffered() const noexcept { return buffer_.size(); }
  // Shrinks the buffer after a huge line so an idle connection does not keep the memory.
  void release_memory() {
    if (buffer_.empty() && buffer_.capacity() > (1u << 20)) std::string().swap(buffer_);
  }

 private:
  template <class OnLine>
  static void emit(std::string_view line, OnLine& on_line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) on_line(line);
  }

  std::size_t max_line_;
  std::string buffer_;
  bool discarding_ = false;
};

}  // namespace mcproxy::transport
