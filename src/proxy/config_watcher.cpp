#include "proxy/config_watcher.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <sys/inotify.h>
#include <unistd.h>

namespace mcproxy::proxy {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

ConfigWatcher::ConfigWatcher(asio::any_io_executor executor, std::string path, std::function<void()> on_change)
    : executor_(executor), path_(std::move(path)), on_change_(std::move(on_change)), inotify_(executor), debounce_(executor) {}

void ConfigWatcher::start() {
  auto self = shared_from_this();
  auto log = [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::warn("config watcher stopped: {}", ex.what());
    }
  };
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  fs::path dir = fs::absolute(path_).parent_path();
  if (fd >= 0 && ::inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY) >= 0) {
    inotify_.assign(fd);
    asio::co_spawn(executor_, [self] { return self->watch_inotify(); }, log);
  } else {
    if (fd >= 0) ::close(fd);
    spdlog::info("inotify is not available: polling {} every 2 s for changes", path_);
    asio::co_spawn(executor_, [self] { return self->poll(); }, log);
  }
}

void ConfigWatcher::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  inotify_.close(ignored);
  debounce_.cancel();
}

void ConfigWatcher::changed() {
  if (stopped_ || pending_) return;
  pending_ = true;
  auto self = shared_from_this();
  debounce_.expires_after(std::chrono::milliseconds(300));
  debounce_.async_wait([self](boost::system::error_code ec) {
    self->pending_ = false;
    if (!ec && !self->stopped_) self->on_change_();
  });
}

awaitable<void> ConfigWatcher::watch_inotify() {
  std::string name = fs::path(path_).filename().string();
  alignas(inotify_event) char buffer[8192];
  while (!stopped_) {
    auto [ec, n] = co_await inotify_.async_read_some(asio::buffer(buffer), kTuple);
    if (ec) break;
    for (std::size_t offset = 0; offset < n;) {
      auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      if (event->len > 0 && name == event->name) changed();
      offset += sizeof(inotify_event) + event->len;
    }
  }
}

awaitable<void> ConfigWatcher::poll() {
  std::error_code err;
  auto last = fs::last_write_time(path_, err);
  asio::steady_timer timer(executor_);
  while (!stopped_) {
    timer.expires_after(std::chrono::seconds(2));
    co_await timer.async_wait(kTuple);
    auto now = fs::last_write_time(path_, err);
    if (!err && now != last) {
      last = now;
      changed();
    }
  }
}

}  // namespace mcproxy::proxy
