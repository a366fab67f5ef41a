#pragma once
// `mcproxy status [URL]`: the dashboard's summary in a terminal. Reads /ui/api/state and
// /ui/api/catalogue of a running proxy (default http://127.0.0.1:8080) and prints its backends,
// sessions and the tools with the most calls and the most errors. With auth, the bearer is taken
// from $MCPROXY_TOKEN (an identity with the admin role), never from the command line.

#include <string>

namespace mcproxy::app {

// Returns the exit code: 0, 1 when the proxy answered with an error or not at all.
int run_status_command(const std::string& url, bool as_json);

}  // namespace mcproxy::app
