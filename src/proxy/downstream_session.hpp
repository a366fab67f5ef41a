#pragma once
// What the proxy knows about one downstream client connection: the version negotiated on this
// hop, the client's capabilities and identity. HTTP keys it by Mcp-Session-Id; stdio has one.

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace mcproxy::proxy {

struct DownstreamSession {
  std::string id;
  std::string protocol_version;  // negotiated on initialize
  boost::json::object client_capabilities;
  boost::json::object client_info;
  bool initialize_seen = false;
  bool initialized = false;  // notifications/initialized received
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  std::uint64_t requests = 0;

  std::string label() const { return id.size() > 8 ? id.substr(0, 8) : id; }
};

}  // namespace mcproxy::proxy
