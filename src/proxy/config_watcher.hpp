#pragma once
// Watches the config file and calls back when it changed: inotify on its directory (editors
// save by writing a new file and renaming it over the old one), or polling its modification
// time every 2 s where inotify is not available. Changes within 300 ms count as one.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace mcproxy::proxy {

class ConfigWatcher : public std::enable_shared_from_this<ConfigWatcher> {
 public:
  ConfigWatcher(boost::asio::any_io_executor executor, std::string path, std::function<void()> on_change);
  void start();
  void stop();

 private:
  boost::asio::awaitable<void> watch_inotify();
  boost::asio::awaitable<void> poll();
  void changed();

  boost::asio::any_io_executor executor_;
  std::string path_;
  std::function<void()> on_change_;
  boost::asio::posix::stream_descriptor inotify_;
  boost::asio::steady_timer debounce_;
  bool stopped_ = false;
  bool pending_ = false;
};

}  // namespace mcproxy::proxy
