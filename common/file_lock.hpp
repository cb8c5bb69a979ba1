// An exclusive advisory lock on a file (flock), held until the object dies; serialises processes
// that share a cache entry, such as builds fetching into the same Git mirror.
#pragma once

#include <chrono>
#include <string>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "common/process_stop.hpp"

namespace nbs {

class FileLock {
 public:
  // Creates the lock file if needed and waits for the lock until `timeout` passes (timeout error) or
  // `stop` is requested (unavailable error).
  static Result<FileLock> acquire(const std::string& path, std::chrono::milliseconds timeout,
                                  const ProcessStop* stop = nullptr);
  // Never waits: conflict when someone else holds it.
  static Result<FileLock> try_acquire(const std::string& path);

  FileLock(FileLock&&) = default;
  FileLock& operator=(FileLock&&) = default;
  ~FileLock() = default;  // closing the fd releases the lock

 private:
  explicit FileLock(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

}  // namespace nbs
