// A stop request that a signal handler can raise and a poll loop can wait on (a self-pipe).
// request() is async-signal-safe; everything else is for normal code.
#pragma once

#include <atomic>

#include "common/fd.hpp"

namespace nbs {

class ProcessStop {
 public:
  // Makes the pipe (non-blocking, close-on-exec). Without file descriptors left, fd() is -1 and
  // only requested() reports the request.
  ProcessStop();
  ProcessStop(const ProcessStop&) = delete;
  ProcessStop& operator=(const ProcessStop&) = delete;

  // Async-signal-safe: sets the flag and wakes every poll() on fd().
  void request() noexcept;
  bool requested() const noexcept { return requested_.load(std::memory_order_acquire); }

  // Becomes readable, and stays so, once request() has run.
  int fd() const { return read_.get(); }

 private:
  std::atomic<bool> requested_{false};
  Fd read_;
  Fd write_;
};

}  // namespace nbs
