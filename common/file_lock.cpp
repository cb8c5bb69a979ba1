#include "common/file_lock.hpp"

#include <cstring>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>

namespace nbs {
namespace {

Result<Fd> open_lock_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return make_error(ErrorKind::internal, path + ": " + std::strerror(errno));
  }
  return fd;
}

}  // namespace

Result<FileLock> FileLock::try_acquire(const std::string& path) {
  auto fd = open_lock_file(path);
  if (!fd) {
    return fd.error();
  }
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return make_error(ErrorKind::conflict, path + ": locked by another process");
    }
    return make_error(ErrorKind::internal, path + ": flock: " + std::strerror(errno));
  }
  return FileLock(std::move(*fd));
}

Result<FileLock> FileLock::acquire(const std::string& path, std::chrono::milliseconds timeout,
                                   const ProcessStop* stop) {
  auto end = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(10);
  while (true) {
    auto lock = try_acquire(path);
    if (lock || lock.error().kind != ErrorKind::conflict) {
      return lock;
    }
    if (stop != nullptr && stop->requested()) {
      return make_error(ErrorKind::unavailable, path + ": stopped while waiting for the lock");
    }
    if (std::chrono::steady_clock::now() >= end) {
      return make_error(ErrorKind::timeout, path + ": timed out waiting for the lock");
    }
    // Polling keeps the wait interruptible by a stop request without signals or threads.
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
}

}  // namespace nbs
