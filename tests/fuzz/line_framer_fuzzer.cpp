// Fuzzes transport::LineFramer, the stdio framing of every child backend and of `mcproxy stdio`.
//
// Input: byte 0 picks the line limit, byte 1 the largest chunk; the rest is the byte stream,
// fed in chunks of random sizes (seeded from the whole input, so it reproduces). What comes
// out must be exactly what a simple reference model computes from the whole stream at once,
// however it was chunked: every line ending in '\n' whose length (with a '\r' before the
// '\n') is over the limit is reported oversize once and not emitted; every other line is
// emitted without one trailing '\r', unless that leaves it empty. No emitted line contains
// '\n'. What is left after the last '\n' stays buffered, or is reported oversize once when
// over the limit.

#include "fuzz_support.hpp"
#include "transport/line_framer.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using mcproxy::fuzz::Rng;

// An emitted line, or (oversize == true) an oversize report.
struct Event {
  bool oversize = false;
  std::string line;
  bool operator==(const Event&) const = default;
};

struct Expected {
  std::vector<Event> events;
  std::size_t buffered = 0;
};

Expected model(std::string_view stream, std::size_t limit) {
  Expected out;
  while (true) {
    auto nl = stream.find('\n');
    if (nl == std::string_view::npos) break;
    std::string_view line = stream.substr(0, nl);
    stream.remove_prefix(nl + 1);
    if (line.size() > limit) {
      out.events.push_back({true, {}});
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) out.events.push_back({false, std::string(line)});
  }
  if (stream.size() > limit) out.events.push_back({true, {}});
  else out.buffered = stream.size();
  return out;
}

std::size_t limit_for(unsigned char control) {
  static constexpr std::size_t kLimits[] = {0, 1, 2, 3, 5, 8, 16, 31, 64, 100, 256, 1000, 4096, 65536, 1u << 20, 64u << 20};
  return kLimits[control % 16];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::size_t limit = limit_for(data[0]);
  std::size_t max_chunk = mcproxy::fuzz::max_chunk_for(data[1]);
  std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
  Rng rng(mcproxy::fuzz::hash_bytes(stream) ^ data[0] ^ (std::uint64_t{data[1]} << 8));

  mcproxy::transport::LineFramer framer(limit);
  std::vector<Event> got;
  mcproxy::fuzz::for_each_chunk(stream, rng, max_chunk, [&](std::string_view chunk) {
    framer.feed(
        chunk,
        [&](std::string_view line) {
          FUZZ_CHECK(!line.empty());
          FUZZ_CHECK(line.find('\n') == std::string_view::npos);
          FUZZ_CHECK(line.size() <= limit);
          got.push_back({false, std::string(line)});
        },
        [&](std::size_t bytes_so_far) {
          FUZZ_CHECK(bytes_so_far > limit);
          got.push_back({true, {}});
        });
    FUZZ_CHECK(framer.buffered() <= limit);
    if (rng.below(4) == 0) framer.release_memory();
  });

  Expected want = model(stream, limit);
  FUZZ_CHECK(got.size() == want.events.size());
  FUZZ_CHECK(got == want.events);
  FUZZ_CHECK(framer.buffered() == want.buffered);
  return 0;
}
