#include "mcpd/mcp/cancellation.hpp"

#include <vector>

namespace nbs::mcpd {

bool Cancellation::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

std::string Cancellation::reason() const {
  std::lock_guard lock(mutex_);
  return reason_;
}

void Cancellation::cancel(std::string reason) {
  std::map<std::uint64_t, std::function<void()>> to_run;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) {
      return;
    }
    cancelled_ = true;
    reason_ = std::move(reason);
    to_run.swap(callbacks_);
  }
  stop_.request_stop();
  // Outside the lock: a callback may call remove() or cancelled().
  for (auto& [handle, fn] : to_run) {
    fn();
  }
}

std::uint64_t Cancellation::on_cancel(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    if (!cancelled_) {
      auto handle = next_handle_++;
      callbacks_.emplace(handle, std::move(fn));
      return handle;
    }
  }
  fn();
  return 0;
}

void Cancellation::remove(std::uint64_t handle) {
  std::lock_guard lock(mutex_);
  callbacks_.erase(handle);
}

}  // namespace nbs::mcpd
