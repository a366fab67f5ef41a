#pragma once
// A way to send a message to one downstream client outside the final response of a request:
// the SSE stream of an HTTP POST, the standalone GET stream, or stdout in stdio mode.

#include <boost/json/object.hpp>

namespace mcproxy::proxy {

class ClientStream {
 public:
  virtual ~ClientStream() = default;
  // Queues the message; false if this stream cannot carry it (closed, or the client did not
  // accept an event stream), so the caller can use another route.
  virtual bool send(const boost::json::object& message) = 0;
};

}  // namespace mcproxy::proxy
