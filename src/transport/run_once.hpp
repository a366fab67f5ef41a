#pragma once
// Runs a program once as a filter: writes `input` to its stdin, closes it, and collects its
// stdout until it exits, all within a time limit (a batch translation with `apertium`, say).
// The program runs in its own process group, which is killed at the deadline or when the
// caller is cancelled: nothing it started outlives the call. No shell is involved: `args`
// reach the program as they are.

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace mcproxy::transport {

struct RunOnceOptions {
  std::string command;  // a path, or a name looked up in PATH
  std::vector<std::string> args;
  std::chrono::milliseconds timeout{20000};
  std::size_t max_output_bytes = 16u << 20;
};

struct RunOnceResult {
  int exit_code = -1;
  std::string output;       // stdout
  std::string error_tail;   // the last bytes of stderr, for an error message
};

// Throws std::runtime_error when the program cannot start, runs past its time limit or
// writes more than max_output_bytes.
boost::asio::awaitable<RunOnceResult> run_once(RunOnceOptions options, std::string input);

}  // namespace mcproxy::transport
