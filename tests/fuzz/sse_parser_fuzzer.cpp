// Fuzzes transport::SseParser, which reads every Streamable HTTP and legacy SSE upstream.
//
// Input: byte 0 picks the largest chunk; the rest is the text/event-stream body, fed in chunks
// of random sizes (seeded from the input). Invariants: chunking changes nothing (the events,
// the last event id and the retry hint equal those of a parser fed the whole body at once);
// an event's name and id never span lines; what stays buffered is exactly the text after the
// last '\n'.

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t max_chunk = mcproxy::fuzz::max_chunk_for(data[0]);
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  mcproxy::fuzz::Rng rng(mcproxy::fuzz::hash_bytes(body) ^ data[0]);

  mcproxy::transport::SseParser whole;
  std::vector<SseEvent> want;
  whole.feed(body, [&](SseEvent&& e) {
    check_event(e);
    want.push_back(std::move(e));
  });

  mcproxy::transport::SseParser chunked;
  std::vector<SseEvent> got;
  mcproxy::fuzz::for_each_chunk(body, rng, max_chunk, [&](std::string_view chunk) {
    chunked.feed(chunk, [&](SseEvent&& e) {
      check_event(e);
      got.push_back(std::move(e));
    });
  });

  FUZZ_CHECK(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) FUZZ_CHECK(same(got[i], want[i]));
  FUZZ_CHECK(chunked.last_event_id() == whole.last_event_id());
  FUZZ_CHECK(chunked.retry_ms() == whole.retry_ms());
  auto last_nl = body.rfind('\n');
  std::size_t tail = last_nl == std::string_view::npos ? body.size() : body.size() - last_nl - 1;
  FUZZ_CHECK(whole.buffered() == tail);
  FUZZ_CHECK(chunked.buffered() == tail);
  return 0;
}
