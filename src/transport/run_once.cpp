#include "transport/run_once.hpp"

#include "transport/stdio_child.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>

#include <fmt/format.h>

#include <array>
#include <csignal>
#include <cstdlib>
#include <stdexcept>

#include <sys/prctl.h>
#include <unistd.h>

namespace mcproxy::transport {

namespace asio = boost::asio;
namespace bp = boost::process::v2;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;

namespace {

struct OwnGroup {
  template <class Launcher>
  boost::system::error_code on_exec_setup(Launcher&, const bp::filesystem::path&, const char* const*&) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    return {};
  }
};

// Reads a pipe to its end; false when it wrote more than `limit`.
awaitable<bool> read_all(asio::readable_pipe& pipe, std::string& into, std::size_t limit, bool keep_tail) {
  std::array<char, 16384> buffer;
  for (;;) {
    auto [ec, n] = co_await pipe.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    into.append(buffer.data(), n);
    if (into.size() > limit) {
      if (!keep_tail) {
        boost::system::error_code ignored;
        pipe.close(ignored);  // the program gets EPIPE instead of blocking until the deadline
        co_return false;
      }
      into.erase(0, into.size() - limit);
    }
    if (ec) co_return true;
  }
}

awaitable<void> write_all(asio::writable_pipe& pipe, const std::string& input) {
  auto [ec, n] = co_await asio::async_write(pipe, asio::buffer(input), asio::as_tuple(asio::use_awaitable));
  (void)ec, (void)n;  // a program that stops reading shows in its exit status
  boost::system::error_code ignored;
  pipe.close(ignored);
}

}  // namespace

awaitable<RunOnceResult> run_once(RunOnceOptions options, std::string input) {
  auto executor = co_await asio::this_coro::executor;
  std::string exe = options.command.find('/') != std::string::npos
                        ? options.command
                        : find_in_path(options.command, std::getenv("PATH") ? std::getenv("PATH") : "");
  if (exe.empty()) throw std::runtime_error(fmt::format("command \"{}\" not found in PATH", options.command));
  asio::writable_pipe in(executor);
  asio::readable_pipe out(executor), err(executor);
  std::unique_ptr<bp::basic_process<asio::any_io_executor>> process;
  try {
    process = std::make_unique<bp::basic_process<asio::any_io_executor>>(
        executor, exe, options.args, bp::process_stdio{in, out, err}, OwnGroup{});
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(fmt::format("cannot start \"{}\": {}", exe, e.code().message()));
  }
  const auto pid = static_cast<pid_t>(process->id());
  struct KillGroup {  // on every way out, the time limit and cancellation included
    pid_t pid;
    ~KillGroup() { ::kill(-pid, SIGKILL); }
  } kill_group{pid};

  RunOnceResult result;
  asio::steady_timer deadline(executor, options.timeout);
  auto io = co_await ((write_all(in, input) && read_all(out, result.output, options.max_output_bytes, false) &&
                       read_all(err, result.error_tail, 2048, true) &&
                       process->async_wait(asio::use_awaitable)) ||
                      deadline.async_wait(asio::use_awaitable));
  if (io.index() == 1)
    throw std::runtime_error(fmt::format("\"{}\" did not finish within {} ms", options.command, options.timeout.count()));
  auto& [output_complete, stderr_read, exit_code] = std::get<0>(io);
  (void)stderr_read;
  if (!output_complete)
    throw std::runtime_error(fmt::format("\"{}\" wrote more than {} bytes", options.command, options.max_output_bytes));
  result.exit_code = exit_code;
  co_return result;
}

}  // namespace mcproxy::transport
