#pragma once
// What a client of the stateless era (2026-07-28) gets that an initialize-era client does not
// (MCP-DIGEST §9): every result says its resultType; lists, resources/read and server/discover
// say how long they may be cached and by whom; results name the server in _meta; retired
// error codes are mapped; and server/discover describes the aggregated catalogue.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace mcproxy::proxy {

// "private" when the view depends on who asks (an identity is known), else "public".
struct CachePolicy {
  std::string_view scope = "public";
  // What the proxy builds (merged lists, server/discover): how long it may be kept (0 = ask
  // again each time). A result a backend built (resources/read) keeps the backend's own.
  std::int64_t ttl_ms = 0;
};

void adapt_result_for_modern(std::string_view method, boost::json::value& result, const CachePolicy& cache);

// For an initialize-era client, a result that came from a stateless-era backend: resultType,
// ttlMs, cacheScope and the serverInfo of _meta are dropped. An input_required result that is
// still one here (the backend bridge, Backend::answer_input_required, answers those of a
// backend) throws McpError: that client has no way to answer it.
void adapt_result_for_legacy(std::string_view method, boost::json::value& result);

// A 2025-11-25 server's -32042 (complete these URL-mode elicitations, then retry), for a
// stateless client: the input_required result that asks the same of it. No requestState: its
// retry is a new request upstream. Nullopt when `data` names no elicitation.
std::optional<boost::json::value> url_elicitation_as_input(const boost::json::value& data);

// -32002 (resource not found) is retired in 2026-07-28: -32602. Other codes unchanged.
int modern_error_code(int code) noexcept;

// The server/discover result of MCProxy: every revision it speaks, the aggregated capabilities
// (without what the stateless edge cannot honour yet), and the instructions.
boost::json::object discover_result(boost::json::object capabilities, std::string instructions,
                                    const CachePolicy& cache);

// MCProxy as _meta["io.modelcontextprotocol/serverInfo"] names it.
boost::json::object proxy_server_info();

}  // namespace mcproxy::proxy
