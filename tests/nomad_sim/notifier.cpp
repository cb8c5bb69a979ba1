#include "tests/nomad_sim/notifier.hpp"

#include <utility>

namespace nbs::nomad_sim {

std::uint64_t ChangeNotifier::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

std::uint64_t ChangeNotifier::subscribe(std::uint64_t seen, std::function<void()> wake) {
  {
    std::lock_guard lock(mu_);
    if (generation_ == seen) {
      const std::uint64_t id = next_id_++;
      waiters_.emplace(id, std::move(wake));
      return id;
    }
  }
  wake();
  return 0;
}

void ChangeNotifier::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mu_);
  waiters_.erase(id);
}

void ChangeNotifier::notify() {
  std::map<std::uint64_t, std::function<void()>> ready;
  {
    std::lock_guard lock(mu_);
    ++generation_;
    ready.swap(waiters_);
  }
  for (auto& [id, wake] : ready) {
    wake();
  }
}

}  // namespace nbs::nomad_sim
