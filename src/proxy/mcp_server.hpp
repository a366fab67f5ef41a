#pragma once
// The proxy's MCP server side, independent of the downstream transport: takes one parsed
// message from a session, answers initialize and ping itself, and sends everything else to the
// aggregator. Errors become JSON-RPC error responses here (one of the two places where
// exceptions turn into protocol errors).

#include "mcp/jsonrpc.hpp"
#include "proxy/aggregator.hpp"
#include "proxy/downstream_session.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <optional>

namespace mcproxy::proxy {

class McpServer {
 public:
  explicit McpServer(Aggregator& aggregator) : aggregator_(aggregator) {}

  // Returns the response for a request, nothing for a notification or response.
  boost::asio::awaitable<std::optional<json::object>> handle(DownstreamSession& session,
                                                            mcp::Message message);

 private:
  boost::asio::awaitable<json::value> dispatch(DownstreamSession& session, std::string_view method,
                                               json::object params);
  json::value initialize(DownstreamSession& session, const json::object& params);

  Aggregator& aggregator_;
  std::uint64_t next_correlation_id_ = 1;
};

}  // namespace mcproxy::proxy
