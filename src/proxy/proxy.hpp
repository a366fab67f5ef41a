#pragma once
// The whole proxy's life: build the backends from the config, start them in parallel, serve
// Streamable HTTP, and on SIGINT/SIGTERM stop accepting, then stop every backend (no child is
// left behind). A second signal exits at once.

#include "config/config.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <string>

namespace mcproxy::proxy {

struct RunOptions {
  // Called once the endpoint listens, with its URL (tests and the CLI print it).
  std::function<void(const std::string& url)> on_listening;
};

// Runs until a signal arrives. Returns the process exit code.
int run_proxy(config::Config config, RunOptions options = {});

}  // namespace mcproxy::proxy
