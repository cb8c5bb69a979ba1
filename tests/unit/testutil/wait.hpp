// Waiting in a test for what another thread or process does: a condition checked until it holds or a
// deadline passes, never a fixed sleep that guesses how long the other side takes (too short on a busy
// machine, too long everywhere else).
#pragma once

#include <chrono>
#include <thread>

namespace nbs::test_support {

// True as soon as `condition()` holds, false if it still does not at `limit`. Checks every `every`
// (how often to look, not how long to wait).
template <class Condition>
bool wait_until(Condition&& condition, std::chrono::milliseconds limit = std::chrono::seconds(10),
                std::chrono::milliseconds every = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return condition();
    }
    std::this_thread::sleep_for(every);
  }
  return true;
}

// True if `condition()` never holds for all of `period`: for what must NOT happen (a retry that must not
// come, a process that must stay alive). The whole period is waited by design; keep it short.
template <class Condition>
bool stays_false(Condition&& condition, std::chrono::milliseconds period,
                 std::chrono::milliseconds every = std::chrono::milliseconds(5)) {
  return !wait_until(condition, period, every);
}

}  // namespace nbs::test_support
