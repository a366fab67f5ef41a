// Fuzzes transport::SseParser, which reads every Streamable HTTP and legacy SSE upstream.
//
// Input: byte 0 picks the largest chunk (bits 0-2) and the event size limit (bits 3-4: 16 B,
// 100 B, the default 64 MB for the digits '0'-'7', 1000 B); the rest is the text/event-stream
// body, fed in chunks of random sizes (seeded from the input). Invariants: chunking changes
// nothing while the limit is not crossed (the events, last event id, retry hint and what stays
// buffered equal those of a parser fed the whole body at once); crossing it stops the parser
// for good (feed() returns false from then on) after a prefix of those events, and a parser
// that stayed within it when chunked stays within it whole; an event's name and id never span
// lines; what stays buffered is the text after the last '\n' plus the data of the event being
// read.

#include "fuzz_support.hpp"
#include "transport/sse_parser.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace {

using mcproxy::transport::SseEvent;

bool same(const SseEvent& a, const SseEvent& b) {
  return a.event == b.event && a.data == b.data && a.id == b.id;
}

void check_event(const SseEvent& e) {
  FUZZ_CHECK(e.event.find('\n') == std::string::npos);
  FUZZ_CHECK(e.id.find('\n') == std::string::npos);
}

std::size_t limit_for(unsigned char control) {
  static constexpr std::size_t kLimits[] = {16, 100, 64u << 20, 1000};
  return kLimits[(control >> 3) & 3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t max_chunk = mcproxy::fuzz::max_chunk_for(data[0]);
  std::size_t limit = limit_for(data[0]);
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  mcproxy::fuzz::Rng rng(mcproxy::fuzz::hash_bytes(body) ^ data[0]);

  mcproxy::transport::SseParser whole(limit);
  std::vector<SseEvent> want;
  bool whole_ok = whole.feed(body, [&](SseEvent&& e) {
    check_event(e);
    want.push_back(std::move(e));
  });
  FUZZ_CHECK(whole_ok == !whole.overflowed());

  mcproxy::transport::SseParser chunked(limit);
  std::vector<SseEvent> got;
  bool chunked_ok = true;
  mcproxy::fuzz::for_each_chunk(body, rng, max_chunk, [&](std::string_view chunk) {
    bool ok = chunked.feed(chunk, [&](SseEvent&& e) {
      FUZZ_CHECK(chunked_ok);  // nothing is parsed once over the limit
      check_event(e);
      got.push_back(std::move(e));
    });
    if (!chunked_ok) FUZZ_CHECK(!ok);  // over the limit for good
    chunked_ok = chunked_ok && ok;
  });
  FUZZ_CHECK(chunked_ok == !chunked.overflowed());

  auto last_nl = body.rfind('\n');
  std::size_t tail = last_nl == std::string_view::npos ? body.size() : body.size() - last_nl - 1;
  if (chunked_ok) {
    FUZZ_CHECK(whole_ok);
    FUZZ_CHECK(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) FUZZ_CHECK(same(got[i], want[i]));
    FUZZ_CHECK(chunked.last_event_id() == whole.last_event_id());
    FUZZ_CHECK(chunked.retry_ms() == whole.retry_ms());
    FUZZ_CHECK(chunked.buffered() == whole.buffered());
    FUZZ_CHECK(chunked.buffered() >= tail && chunked.buffered() <= limit);
  } else {
    FUZZ_CHECK(got.size() <= want.size());
    for (std::size_t i = 0; i < got.size(); ++i) FUZZ_CHECK(same(got[i], want[i]));
    FUZZ_CHECK(chunked.buffered() == 0);
  }
  if (whole_ok) FUZZ_CHECK(whole.buffered() >= tail);
  return 0;
}
