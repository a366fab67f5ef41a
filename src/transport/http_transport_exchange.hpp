#pragma once
// Internal to HttpTransport (http_transport.cpp, legacy_sse_client.cpp): one request and its
// response being read.

#include "transport/http_client.hpp"
#include "transport/http_transport.hpp"
#include "transport/sse_parser.hpp"

#include <boost/beast/http.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mcproxy::transport {

// One request and its response being read.
struct HttpTransport::Exchange {
  explicit Exchange(std::size_t max_message_bytes) : sse(max_message_bytes) {}
  std::unique_ptr<HttpConnection> connection;
  // Re-made for each attempt (a parser that saw an error is not reused).
  std::optional<HttpResponseParser> parser{std::in_place};
  std::string body;  // JSON (or error) bodies
  SseParser sse;
  bool event_stream = false;
  bool resumable = false;   // the server gave event ids or a retry delay
  bool standalone = false;  // the GET stream: its event ids are what Last-Event-ID resumes
};

inline std::string_view content_type(const boost::beast::http::response_header<>& h) {
  return h[boost::beast::http::field::content_type];
}

}  // namespace mcproxy::transport
