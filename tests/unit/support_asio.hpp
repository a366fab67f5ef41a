#pragma once
// Test helper: runs an awaitable to completion on an io_context and returns its value, or
// rethrows what it threw. Either on a fresh local io_context, or on one the test owns (when
// objects under test, e.g. a DownstreamSession, were built with that context's executor).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

namespace mcproxy::test {

template <typename T>
T run_on(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    done = true;
    error = e;
    if (!e) result.emplace(std::move(value));
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  if (!done || !result) throw std::logic_error("the awaitable did not complete");
  return std::move(*result);
}

inline void run_on(boost::asio::io_context& io, boost::asio::awaitable<void> task) {
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
    done = true;
    error = e;
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  if (!done) throw std::logic_error("the awaitable did not complete");
}

template <typename T>
T run(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  return run_on(io, std::move(task));
}

}  // namespace mcproxy::test
