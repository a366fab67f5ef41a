#pragma once
// A way to send a message to one downstream client outside the final response of a request:
// the SSE stream of an HTTP POST, the standalone GET stream, or stdout in stdio mode.

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <string>

namespace mcproxy::proxy {

// What one stream may hold for a client that does not read (bounded memory): past this, the
// stream is given up and the client must reconnect.
inline constexpr std::size_t kMaxQueuedBytesPerStream = 64u << 20;

class ClientStream {
 public:
  virtual ~ClientStream() = default;
  // Queues the message; false if this stream cannot carry it (closed, or the client did not
  // accept an event stream), so the caller can use another route.
  bool send(const boost::json::object& message) { return send_serialized(boost::json::serialize(message)); }
  // The same with the message already serialized (a response from the list cache).
  virtual bool send_serialized(std::string message) = 0;
};

}  // namespace mcproxy::proxy
