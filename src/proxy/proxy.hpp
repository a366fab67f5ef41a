#pragma once
// The whole proxy's life: build the shared backends from the config, start them in parallel,
// serve downstream (Streamable HTTP, or stdio for desktop clients), and on SIGINT/SIGTERM (or
// end of stdin) stop accepting, end every session, then stop every backend: no child is left
// behind. A second signal exits at once.

#include "config/config.hpp"
#include "middleware/plan.hpp"

namespace mcproxy::proxy {

enum class Downstream { http, stdio };

// Runs until a signal (or, for stdio, the end of stdin). Returns the process exit code.
// `credentials` are kept for reloading the config file (it is watched, and SIGHUP reloads it).
int run_proxy(config::Config config, middleware::Plan plan, Downstream downstream = Downstream::http,
              std::vector<std::pair<std::string, std::string>> credentials = {});

}  // namespace mcproxy::proxy
