#pragma once
// What travels with one downstream request through the proxy: who asked (the session), the
// client's own id and progress token, where related messages go (its stream), and a
// cancellation that the client can trigger.

#include "mcp/cancellation.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace mcproxy::proxy {

class DownstreamSession;
class ClientStream;

struct RequestContext {
  std::shared_ptr<DownstreamSession> session;
  boost::json::value id;              // the client's request id
  std::string id_key;                 // the id serialized: its key among the session's requests
  std::uint64_t correlation_id = 0;   // one per downstream request, in every log line
  boost::json::value progress_token;  // the client's token; null when it asked for none
  ClientStream* stream = nullptr;     // related notifications and requests go here if set
  mcp::Cancellation cancellation;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

}  // namespace mcproxy::proxy
