#include "mcp/pending_requests.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mcproxy::mcp {

namespace asio = boost::asio;

struct PendingRequests::Waiter {
  explicit Waiter(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  std::optional<Message> response;
  bool connection_lost = false;
};

asio::awaitable<PendingRequests::Result> PendingRequests::wait(std::int64_t id,
                                                               std::chrono::milliseconds timeout,
                                                               Cancellation* cancellation) {
  Waiter waiter(executor_);
  waiter.timer.expires_after(timeout);
  waiting_[id] = &waiter;
  struct Cleanup {
    PendingRequests* self;
    std::int64_t id;
    Cancellation* cancellation;
    ~Cleanup() {
      self->waiting_.erase(id);
      if (cancellation) cancellation->clear();
    }
  } cleanup{this, id, cancellation};
  if (cancellation) {
    if (cancellation->cancelled()) co_return Result{Outcome::cancelled, std::nullopt};
    cancellation->on_cancel([&waiter] { waiter.timer.cancel(); });
  }

  auto [ec] = co_await waiter.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (waiter.response) co_return Result{Outcome::response, std::move(waiter.response)};
  if (waiter.connection_lost) co_return Result{Outcome::connection_lost, std::nullopt};
  if (!ec) co_return Result{Outcome::timeout, std::nullopt};
  co_return Result{Outcome::cancelled, std::nullopt};
}

bool PendingRequests::waiting(std::int64_t id) const noexcept {
  auto it = waiting_.find(id);
  return it != waiting_.end() && !it->second->response && !it->second->connection_lost;
}

bool PendingRequests::complete(Message response) {
  const auto& id = response.id();
  if (!id.is_int64()) return false;
  auto it = waiting_.find(id.get_int64());
  if (it == waiting_.end()) return false;
  it->second->response.emplace(std::move(response));
  it->second->timer.cancel();
  return true;
}

void PendingRequests::fail_all() {
  for (auto& [id, waiter] : waiting_) {
    waiter->connection_lost = true;
    waiter->timer.cancel();
  }
}

}  // namespace mcproxy::mcp
