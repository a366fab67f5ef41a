// SseParser: text/event-stream in, events out: split reads, CRLF, comments, multi-line data,
// id and retry; bounded: an event over the limit (one endless line, or data lines that never
// end an event) stops the parser instead of growing without end.
#include "transport/sse_parser.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using mcproxy::transport::SseEvent;
using mcproxy::transport::SseParser;

namespace {

std::vector<SseEvent> parse_in_chunks(std::string_view text, std::size_t chunk, SseParser& p) {
  std::vector<SseEvent> out;
  for (std::size_t i = 0; i < text.size(); i += chunk)
    p.feed(text.substr(i, chunk), [&](SseEvent&& e) { out.push_back(std::move(e)); });
  return out;
}

}  // namespace

TEST_SUITE("sse_parser") {
  TEST_CASE("events come out whole however the bytes are split") {
    std::string text = "event: message\r\nid: 7\r\ndata: {\"a\":1}\r\n\r\n: keep-alive\n\ndata: x\ndata: y\n\n";
    for (std::size_t chunk : {1u, 2u, 5u, 1000u}) {
      CAPTURE(chunk);
      SseParser p;
      auto events = parse_in_chunks(text, chunk, p);
      REQUIRE(events.size() == 2);
      CHECK(events[0].event == "message");
      CHECK(events[0].id == "7");
      CHECK(events[0].data == "{\"a\":1}");
      CHECK(events[1].data == "x\ny");
      CHECK(p.last_event_id() == "7");
      CHECK(p.buffered() == 0);
    }
  }

  TEST_CASE("retry is read when it is a number") {
    SseParser p;
    parse_in_chunks("retry: 2500\n\nretry: soon\n\n", 3, p);
    REQUIRE(p.retry_ms());
    CHECK(*p.retry_ms() == 2500);
  }

  TEST_CASE("a line that never ends stops the parser at the limit") {
    SseParser p(1024);
    bool ok = true;
    std::size_t fed = 0;
    while (ok && fed < 100'000) {
      ok = p.feed(std::string(100, 'x'), [](SseEvent&&) { FAIL("no event was complete"); });
      fed += 100;
    }
    CHECK_FALSE(ok);
    CHECK(fed <= 1200);
    CHECK(p.overflowed());
    CHECK_FALSE(p.feed("\n\n", [](SseEvent&&) { FAIL("a stopped parser parses nothing"); }));
  }

  TEST_CASE("data lines that never end their event stop the parser at the limit") {
    SseParser p(1024);
    bool ok = true;
    std::size_t lines = 0;
    while (ok && lines < 10'000) {
      ok = p.feed("data: 0123456789\n", [](SseEvent&&) { FAIL("no event was complete"); });
      ++lines;
    }
    CHECK_FALSE(ok);
    CHECK(lines < 200);
  }

  TEST_CASE("an event just under the limit is delivered") {
    SseParser p(64);
    std::vector<SseEvent> out;
    CHECK(p.feed("data: " + std::string(40, 'a') + "\n\n", [&](SseEvent&& e) { out.push_back(std::move(e)); }));
    REQUIRE(out.size() == 1);
    CHECK(out[0].data.size() == 40);
  }
}
