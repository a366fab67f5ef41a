#include "transport/stdio_child.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <stdexcept>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mcproxy::transport {

namespace asio = boost::asio;
namespace bp = boost::process::v2;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

namespace {

// Runs in the child between fork and exec (async-signal-safe calls only).
struct ChildSetup {
  template <class Launcher>
  boost::system::error_code on_exec_setup(Launcher&, const bp::filesystem::path&,
                                          const char* const*&) {
    setpgid(0, 0);  // own group: Ctrl-C in the terminal reaches only the proxy
    // Dies with the proxy: SIGTERM for a server started directly; the reaper catches it and
    // takes the whole group down. (It follows the thread that forks: see StdioChild::start.)
    prctl(PR_SET_PDEATHSIG, reaper ? SIGUSR1 : SIGTERM);
    // The proxy ignores SIGPIPE and may block signals; a server must start as a fresh process.
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    return {};
  }
  bool reaper = false;
};

// This program, to start as a server's reaper; empty when /proc/self/exe cannot be read.
const std::string& self_executable() {
  static const std::string path = [] {
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }();
  return path;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("ended with status {}", status);
}


std::string truncate_for_log(std::string_view line, std::size_t max = 2000) {
  if (line.size() <= max) return std::string(line);
  return fmt::format("{}... ({} bytes)", line.substr(0, max), line.size());
}

}  // namespace

// PATH lookup with the child's PATH (the config may override it); empty when not found.
std::string find_in_path(const std::string& command, std::string_view path) {
  while (!path.empty()) {
    auto colon = path.find(':');
    std::string dir(path.substr(0, colon));
    path.remove_prefix(colon == std::string_view::npos ? path.size() : colon + 1);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + command;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

StdioChild::StdioChild(asio::any_io_executor executor, StdioChildOptions options)
    : executor_(executor),
      options_(std::move(options)),
      stdin_(executor),
      stdout_(executor),
      stderr_(executor),
      write_signal_(executor, std::chrono::steady_clock::time_point::max()),
      exit_signal_(executor, std::chrono::steady_clock::time_point::max()),
      stdout_framer_(options_.max_message_bytes),
      stderr_framer_(1u << 20) {}

StdioChild::~StdioChild() {
  // Last resort if shutdown() was never awaited: the child must not outlive us.
  if (running()) signal_group(SIGKILL);
}

void StdioChild::signal_group(int signo) noexcept {
  if (pid_ > 0 && !exited_) {
    if (::kill(-static_cast<pid_t>(pid_), signo) != 0) ::kill(static_cast<pid_t>(pid_), signo);
  }
}

awaitable<void> StdioChild::start() {
  // The child gets the proxy's environment (all of it, or only the names passed through)
  // plus the configured variables. The program is looked up in the child's PATH, or the
  // proxy's when the child gets none.
  std::vector<std::string> env;
  std::string path_value;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto key = kv.substr(0, kv.find('='));
    if (key == "PATH") path_value = std::string(kv.substr(5));
    bool overridden = false;
    for (auto& [k, v] : options_.env) overridden |= (k == key);
    bool passed = !options_.env_passthrough ||
                  std::find(options_.env_passthrough->begin(), options_.env_passthrough->end(), key) !=
                      options_.env_passthrough->end();
    if (!overridden && passed) env.emplace_back(kv);
  }
  for (auto& [k, v] : options_.env) {
    env.push_back(k + "=" + v);
    if (k == "PATH") path_value = v;
  }

  bp::filesystem::path exe;
  if (options_.command.find('/') != std::string::npos) {
    exe = options_.command;
    if (!options_.cwd.empty() && exe.is_relative()) exe = bp::filesystem::path(options_.cwd) / exe;
  } else {
    exe = find_in_path(options_.command, path_value);
  }
  boost::system::error_code fs_ec;
  if (exe.empty() || !bp::filesystem::exists(exe, fs_ec)) {
    throw std::runtime_error(fmt::format(
        "command \"{}\" not found{}: install it or give its full path in mcpServers.{}.command",
        options_.command, options_.command.find('/') == std::string::npos ? " in PATH" : "",
        options_.name));
  }

  std::vector<std::string> args = options_.args;
  bp::filesystem::path program = exe;
  ChildSetup setup;
  if (options_.reaper && !self_executable().empty()) {
    // mcproxy __reap EXE ARGS...: the reaper runs the server and outlives nothing.
    program = self_executable();
    args.insert(args.begin(), {std::string(kReaperArgument), exe.string()});
    setup.reaper = true;
  }
  auto launch = [&](auto&&... start_dir) {
    return std::make_unique<bp::basic_process<asio::any_io_executor>>(
        executor_, program, args, bp::process_stdio{stdin_, stdout_, stderr_},
        bp::process_environment(env), setup, start_dir...);
  };
  try {
    if (options_.cwd.empty()) process_ = launch();
    else process_ = launch(bp::process_start_dir(options_.cwd));
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(fmt::format("cannot start \"{}\": {}", exe.string(), e.code().message()));
  }
  pid_ = process_->id();
  spdlog::debug("[{}] started {} (pid {})", options_.name, exe.string(), pid_);

  auto self = shared_from_this();
  auto log_failure = [name = options_.name](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("[{}] stdio loop failed: {}", name, ex.what());
    }
  };
  asio::co_spawn(executor_, [self]() { return self->watch_exit(); }, log_failure);
  asio::co_spawn(executor_, [self]() { return self->read_stdout(); }, log_failure);
  asio::co_spawn(executor_, [self]() { return self->read_stderr(); }, log_failure);
  asio::co_spawn(executor_, [self]() { return self->write_loop(); }, log_failure);
  co_return;
}

void StdioChild::send(std::string message) {
  if (shutting_down_ || exited_) return;
  queued_bytes_ += message.size() + 1;
  // A child that stops reading its stdin must not make the proxy buffer without bound.
  if (queued_bytes_ > kMaxQueuedBytes) {
    spdlog::error("[{}] does not read its stdin ({} bytes waiting): restarting it", options_.name,
                  queued_bytes_);
    write_queue_.clear();
    queued_bytes_ = 0;
    report_closed("it stopped reading its stdin");
    signal_group(SIGKILL);
    return;
  }
  write_queue_.push_back(std::move(message));
  write_signal_.cancel();
}

awaitable<void> StdioChild::write_loop() {
  static constexpr char kNewline = '\n';
  while (!shutting_down_ && !exited_) {
    if (write_queue_.empty()) {
      write_signal_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await write_signal_.async_wait(kTuple);
      continue;
    }
    std::string message = std::move(write_queue_.front());
    write_queue_.pop_front();
    queued_bytes_ -= std::min(queued_bytes_, message.size() + 1);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(message), asio::buffer(&kNewline, 1)};
    auto [ec, n] = co_await asio::async_write(stdin_, buffers, kTuple);
    if (ec) {
      if (!shutting_down_) spdlog::debug("[{}] write to stdin failed: {}", options_.name, ec.message());
      co_return;
    }
  }
}

awaitable<void> StdioChild::read_stdout() {
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    auto [ec, n] = co_await stdout_.async_read_some(asio::buffer(buffer), kTuple);
    if (ec) break;
    stdout_framer_.feed(
        std::string_view(buffer.data(), n),
        [&](std::string_view line) {
          if (on_message) on_message(line);
        },
        [&](std::size_t bytes) {
          spdlog::error("[{}] dropped a message larger than {} bytes (maxMessageBytes)",
                        options_.name, options_.max_message_bytes);
        });
    stdout_framer_.release_memory();
  }
  if (!shutting_down_) {
    // Give the exit watcher a moment to say why; a child that only closed stdout is done too.
    bool exited = co_await wait_for_exit(std::chrono::milliseconds(500));
    if (exited) co_return;
    report_closed("closed its stdout");
    signal_group(SIGTERM);
  }
}

awaitable<void> StdioChild::read_stderr() {
  std::vector<char> buffer(16 * 1024);
  for (;;) {
    auto [ec, n] = co_await stderr_.async_read_some(asio::buffer(buffer), kTuple);
    if (ec) break;
    stderr_framer_.feed(
        std::string_view(buffer.data(), n),
        [&](std::string_view line) {
          spdlog::info("[{}] stderr: {}", options_.name, truncate_for_log(line));
        },
        [&](std::size_t) {
          spdlog::info("[{}] stderr: (a line longer than 1 MiB was skipped)", options_.name);
        });
  }
}

awaitable<void> StdioChild::watch_exit() {
  auto [ec, code] = co_await process_->async_wait(kTuple);
  exited_ = true;
  // Whatever the child left in its group (a reaper killed with SIGKILL leaves the server;
  // a server leaves what it started in the background) goes with it.
  ::kill(-static_cast<pid_t>(pid_), SIGKILL);
  exit_description_ = ec ? fmt::format("could not be waited for: {}", ec.message())
                         : describe_status(process_->native_exit_code());
  exit_signal_.cancel();
  write_signal_.cancel();
  if (shutting_down_) {
    spdlog::debug("[{}] process {} {}", options_.name, pid_, exit_description_);
  } else {
    report_closed(fmt::format("process {} {}", pid_, exit_description_));
  }
}

awaitable<bool> StdioChild::wait_for_exit(std::chrono::milliseconds limit) {
  if (exited_) co_return true;
  exit_signal_.expires_after(limit);
  co_await exit_signal_.async_wait(kTuple);
  co_return exited_;
}

void StdioChild::report_closed(std::string reason) {
  if (closed_reported_) return;
  closed_reported_ = true;
  if (on_closed) on_closed(std::move(reason));
}

awaitable<void> StdioChild::shutdown() {
  if (shutting_down_ || pid_ <= 0) co_return;
  shutting_down_ = true;
  auto self = shared_from_this();  // keep alive while we wait
  write_queue_.clear();
  write_signal_.cancel();
  boost::system::error_code ignored;
  stdin_.close(ignored);  // a well-behaved server exits on EOF
  bool exited = co_await wait_for_exit(options_.stdin_close_grace);
  if (!exited) {
    spdlog::info("[{}] still running {} ms after stdin was closed: sending SIGTERM", options_.name,
                 options_.stdin_close_grace.count());
    signal_group(SIGTERM);
    exited = co_await wait_for_exit(options_.term_grace);
    if (!exited) {
      spdlog::warn("[{}] ignored SIGTERM for {} ms: sending SIGKILL", options_.name,
                   options_.term_grace.count());
      signal_group(SIGKILL);
      co_await wait_for_exit(std::chrono::seconds(5));
    }
  }
  // Anything else in the child's group (e.g. what an `npx` wrapper started) goes too.
  if (pid_ > 0) ::kill(-static_cast<pid_t>(pid_), SIGKILL);
  stdout_.close(ignored);
  stderr_.close(ignored);
}

}  // namespace mcproxy::transport
