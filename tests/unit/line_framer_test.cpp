// LineFramer: bytes in any split, complete lines out; CRLF and empty lines; a line over the
// limit is reported once and dropped, and framing resumes at the next line.

#include "transport/line_framer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

// Lets doctest print the lists it compares when a check fails.
template <>
struct doctest::StringMaker<std::vector<std::string>> {
  static doctest::String convert(const std::vector<std::string>& v) {
    std::string out = "{";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
    out += "}";
    return out.c_str();
  }
};

namespace {

using mcproxy::transport::LineFramer;

// Records what a framer hands out.
struct Sink {
  std::vector<std::string> lines;
  std::vector<std::size_t> oversize;

  void feed(LineFramer& framer, std::string_view data) {
    framer.feed(
        data, [this](std::string_view line) { lines.emplace_back(line); },
        [this](std::size_t bytes) { oversize.push_back(bytes); });
  }
  void feed_in_chunks(LineFramer& framer, std::string_view data, std::size_t chunk) {
    for (std::size_t i = 0; i < data.size(); i += chunk) feed(framer, data.substr(i, chunk));
  }
};

using Lines = std::vector<std::string>;

// A line of `size` bytes without '\n' whose content depends on the position, so a lost, doubled
// or reordered chunk shows up in a comparison.
std::string patterned_line(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('A' + (i * 7 + i / 65536) % 26);
  return s;
}

}  // namespace

TEST_SUITE("line_framer") {
  TEST_CASE("several lines in one feed come out in order") {
    LineFramer framer(1024);
    Sink sink;
    sink.feed(framer, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
    CHECK(sink.lines == Lines{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"});
    CHECK(sink.oversize.empty());
    CHECK(framer.buffered() == 0);
  }

  TEST_CASE("a partial line waits in the buffer until its newline arrives") {
    LineFramer framer(1024);
    Sink sink;
    sink.feed(framer, "one\ntw");
    CHECK(sink.lines == Lines{"one"});
    CHECK(framer.buffered() == 2);
    sink.feed(framer, "o\nthree");
    CHECK(sink.lines == Lines{"one", "two"});
    CHECK(framer.buffered() == 5);
    sink.feed(framer, "\n");
    CHECK(sink.lines == Lines{"one", "two", "three"});
    CHECK(framer.buffered() == 0);
  }

  TEST_CASE("a line fed byte by byte arrives once and intact") {
    LineFramer framer(1024);
    Sink sink;
    const std::string text =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n{\"jsonrpc\":\"2.0\",\"id\":2}\nx\n";
    sink.feed_in_chunks(framer, text, 1);
    CHECK(sink.lines == Lines{"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
                              "{\"jsonrpc\":\"2.0\",\"id\":2}", "x"});
  }

  TEST_CASE("every way of splitting a stream gives the same lines") {
    const std::string text = "alpha\r\nbeta\n\ngamma-delta\r\n\r\nz\n";
    const Lines expected{"alpha", "beta", "gamma-delta", "z"};
    for (std::size_t chunk = 1; chunk <= text.size(); ++chunk) {
      CAPTURE(chunk);
      LineFramer framer(64);
      Sink sink;
      sink.feed_in_chunks(framer, text, chunk);
      CHECK(sink.lines == expected);
      CHECK(sink.oversize.empty());
    }
  }

  TEST_CASE("a trailing carriage return is removed from each line") {
    LineFramer framer(1024);
    Sink sink;
    sink.feed(framer, "a\r\nb\r\n");
    CHECK(sink.lines == Lines{"a", "b"});
  }

  TEST_CASE("a CRLF split between two feeds still loses its carriage return") {
    LineFramer framer(1024);
    Sink sink;
    sink.feed(framer, "abc\r");
    sink.feed(framer, "\n");
    CHECK(sink.lines == Lines{"abc"});
  }

  TEST_CASE("a carriage return inside a line is kept") {
    LineFramer framer(1024);
    Sink sink;
    sink.feed(framer, "a\rb\n");
    CHECK(sink.lines == Lines{"a\rb"});
  }

  TEST_CASE("empty lines and bare CRLFs are skipped") {
    LineFramer framer(1024);
    Sink sink;
    sink.feed(framer, "\n\n\r\na\n\n\r\n\nb\n\n");
    CHECK(sink.lines == Lines{"a", "b"});
  }

  TEST_CASE("feeding nothing does nothing") {
    LineFramer framer(1024);
    Sink sink;
    sink.feed(framer, "");
    sink.feed(framer, "x");
    sink.feed(framer, "");
    CHECK(sink.lines.empty());
    CHECK(framer.buffered() == 1);
  }

  TEST_CASE("a line exactly at the limit is delivered") {
    LineFramer framer(10);
    Sink sink;
    sink.feed(framer, "0123456789\n");
    sink.feed(framer, "01234");
    sink.feed(framer, "56789\n");
    CHECK(sink.lines == Lines{"0123456789", "0123456789"});
    CHECK(sink.oversize.empty());
  }

  TEST_CASE("a 20 MB line fed in 64 KiB chunks arrives intact and exactly once") {
    const std::size_t size = 20u << 20;
    const std::string big = patterned_line(size);
    std::string stream = "{\"before\":1}\n" + big + "\n{\"after\":2}\n";

    LineFramer framer(64u << 20);
    Sink sink;
    sink.feed_in_chunks(framer, stream, 64u << 10);
    REQUIRE(sink.lines.size() == 3);
    CHECK(sink.lines[0] == "{\"before\":1}");
    CHECK(sink.lines[1].size() == size);
    CHECK((sink.lines[1] == big));  // no 20 MB dump on failure
    CHECK(sink.lines[2] == "{\"after\":2}");
    CHECK(sink.oversize.empty());
    CHECK(framer.buffered() == 0);
  }

  TEST_CASE("a line over the limit is reported once and framing resumes at the next line") {
    LineFramer framer(100);
    Sink sink;
    sink.feed(framer, "ok-1\n");
    // 1000 bytes with no newline, ten at a time: the limit is crossed on the 11th feed.
    for (int i = 0; i < 100; ++i) sink.feed(framer, "xxxxxxxxxx");
    CHECK(sink.oversize.size() == 1);
    CHECK(sink.oversize.at(0) > 100);
    CHECK(framer.buffered() == 0);  // the oversized bytes are not kept
    sink.feed(framer, "xxx\nok-2\n");
    CHECK(sink.lines == Lines{"ok-1", "ok-2"});
    CHECK(sink.oversize.size() == 1);
  }

  TEST_CASE("the rest of an oversized line is dropped even when it ends in a later feed") {
    LineFramer framer(8);
    Sink sink;
    sink.feed(framer, "0123456789");  // over the limit, no newline yet
    sink.feed(framer, "tail-of-the-long-line");
    sink.feed(framer, "still-tail\nnext\n");
    CHECK(sink.lines == Lines{"next"});
    CHECK(sink.oversize.size() == 1);
  }

  TEST_CASE("oversize is detected when the overflow and the newline are in the same chunk") {
    LineFramer framer(10);
    Sink sink;
    sink.feed(framer, "0123456789ABCDEF\nok\n");
    CHECK(sink.oversize == std::vector<std::size_t>{16});
    CHECK(sink.lines == Lines{"ok"});
    CHECK(framer.buffered() == 0);
  }

  TEST_CASE("oversize is detected when a buffered prefix plus the final chunk exceed the limit") {
    LineFramer framer(10);
    Sink sink;
    sink.feed(framer, "01234567");  // under the limit so far
    CHECK(sink.oversize.empty());
    sink.feed(framer, "89ABC\nok\n");
    CHECK(sink.oversize == std::vector<std::size_t>{13});
    CHECK(sink.lines == Lines{"ok"});
    CHECK(framer.buffered() == 0);
  }

  TEST_CASE("each oversized line is reported once, on its own") {
    LineFramer framer(4);
    Sink sink;
    sink.feed(framer, "toolong-1\na\ntoolong-2");
    sink.feed(framer, "-more\nb\n");
    CHECK(sink.oversize.size() == 2);
    CHECK(sink.lines == Lines{"a", "b"});
  }

  TEST_CASE("release_memory keeps a partial line that is still buffered") {
    LineFramer framer(8u << 20);
    Sink sink;
    const std::string big = patterned_line(3u << 20);
    sink.feed(framer, std::string_view(big).substr(0, 2u << 20));
    framer.release_memory();
    CHECK(framer.buffered() == 2u << 20);
    sink.feed(framer, std::string_view(big).substr(2u << 20));
    sink.feed(framer, "\n");
    REQUIRE(sink.lines.size() == 1);
    CHECK((sink.lines[0] == big));
  }

  TEST_CASE("after a huge line, release_memory leaves a framer that still frames") {
    LineFramer framer(8u << 20);
    Sink sink;
    const std::string big = patterned_line(3u << 20);
    sink.feed_in_chunks(framer, big, 1u << 16);
    sink.feed(framer, "\n");
    REQUIRE(sink.lines.size() == 1);
    CHECK((sink.lines[0] == big));
    CHECK(framer.buffered() == 0);

    framer.release_memory();
    framer.release_memory();  // idempotent
    CHECK(framer.buffered() == 0);

    sink.feed(framer, "sm");
    sink.feed(framer, "all\n");
    sink.feed_in_chunks(framer, big + "\n", 1u << 16);
    REQUIRE(sink.lines.size() == 3);
    CHECK(sink.lines[1] == "small");
    CHECK((sink.lines[2] == big));
  }
}
