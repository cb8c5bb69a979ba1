#include "mcpd/orchestrator/change_notifier.hpp"

#include <vector>

namespace nbs::mcpd {

std::uint64_t ChangeNotifier::changes() {
  std::lock_guard guard(mutex_);
  return changes_;
}

std::uint64_t ChangeNotifier::notify_on_change(const std::string& job_id, std::uint64_t since,
                                               std::function<void()> wake) {
  std::unique_lock guard(mutex_);
  const std::uint64_t handle = ++next_handle_;
  if (changes_ == since && !stopped_) {
    listeners_.emplace(handle, Listener{job_id, std::move(wake)});
    return handle;
  }
  guard.unlock();
  wake();
  return handle;
}

void ChangeNotifier::cancel(std::uint64_t handle) {
  std::lock_guard guard(mutex_);
  listeners_.erase(handle);
}

void ChangeNotifier::changed(const std::string& job_id) {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard guard(mutex_);
    ++changes_;
    for (auto it = listeners_.begin(); it != listeners_.end();) {
      if (it->second.job_id == job_id) {
        wake.push_back(std::move(it->second.wake));
        it = listeners_.erase(it);
      } else {
        ++it;
      }
    }
  }
  changed_.notify_all();
  // Outside the mutex: a callback may ask for the next notification at once.
  for (auto& w : wake) {
    w();
  }
}

bool ChangeNotifier::wait(std::uint64_t since, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock guard(mutex_);
  changed_.wait_until(guard, deadline, [&] { return stopped_ || changes_ != since; });
  return !stopped_;
}

void ChangeNotifier::stop() {
  {
    std::lock_guard guard(mutex_);
    stopped_ = true;
    listeners_.clear();
  }
  changed_.notify_all();
}

}  // namespace nbs::mcpd
