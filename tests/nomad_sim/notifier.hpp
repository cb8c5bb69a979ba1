// Wakes blocking queries when the state changes: a generation counter plus one-shot callbacks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace nbs::nomad_sim {

class ChangeNotifier {
 public:
  std::uint64_t generation() const;

  // Runs `wake` once the generation moves past `seen` (at once, on this thread, if it already has).
  // Returns an id for unsubscribe(), 0 when `wake` already ran.
  std::uint64_t subscribe(std::uint64_t seen, std::function<void()> wake);
  // Drops a pending callback (a query that timed out); harmless if it already ran.
  void unsubscribe(std::uint64_t id);
  // Advances the generation and runs every pending callback (outside the lock).
  void notify();

 private:
  mutable std::mutex mu_;
  std::uint64_t generation_ = 0;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::function<void()>> waiters_;
};

}  // namespace nbs::nomad_sim
