#pragma once
// A one-shot cancellation flag with a hook: whoever is waiting on behalf of a request installs
// the hook (e.g. "wake my timer"); whoever cancels the request (the client sent
// notifications/cancelled, its HTTP stream closed) calls cancel().

#include <functional>
#include <utility>

namespace mcproxy::mcp {

class Cancellation {
 public:
  bool cancelled() const noexcept { return cancelled_; }

  void cancel() {
    if (cancelled_) return;
    cancelled_ = true;
    if (hook_) {
      auto hook = std::move(hook_);
      hook_ = nullptr;
      hook();
    }
  }

  // Installs the hook (replacing any) and runs it at once if already cancelled.
  void on_cancel(std::function<void()> hook) {
    if (cancelled_) {
      hook();
      return;
    }
    hook_ = std::move(hook);
  }
  void clear() noexcept { hook_ = nullptr; }

 private:
  bool cancelled_ = false;
  std::function<void()> hook_;
};

}  // namespace mcproxy::mcp
