#pragma once
// Down-levels results for a client that negotiated an older protocol revision than the one the
// backend speaks (MCP-DIGEST §2.2): each hop has its own version, and a 2025-03-26 client must
// not receive shapes it cannot parse.
//   < 2025-06-18: no structuredContent (its JSON goes into a text block if there is none), no
//                 resource_link blocks (become text), no outputSchema on tools;
//   < 2025-03-26: no audio blocks (become text), no tool annotations.

#include <boost/json/value.hpp>

#include <string_view>

namespace mcproxy::proxy {

// True when `version` is older than `than` (both "YYYY-MM-DD").
inline bool older_than(std::string_view version, std::string_view than) { return version < than; }

void adapt_result_for_client(std::string_view method, boost::json::value& result,
                             std::string_view client_version);

}  // namespace mcproxy::proxy
