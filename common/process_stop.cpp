#include "common/process_stop.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace nbs {

ProcessStop::ProcessStop() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    read_.reset(fds[0]);
    write_.reset(fds[1]);
  }
}

void ProcessStop::request() noexcept {
  requested_.store(true, std::memory_order_release);
  if (write_.valid()) {
    // Nobody drains the pipe, so one byte keeps it readable for every later poll().
    const char byte = 1;
    [[maybe_unused]] auto n = ::write(write_.get(), &byte, 1);
  }
}

}  // namespace nbs
