#include "tests/nomad_sim/log_rotator.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

namespace nbs::nomad_sim {

LogRotator::LogRotator(std::filesystem::path dir, std::string base, std::uint64_t max_bytes, int max_files)
    : dir_(std::move(dir)), base_(std::move(base)), max_bytes_(std::max<std::uint64_t>(max_bytes, 1)),
      max_files_(std::max(max_files, 1)) {
  open_next();
}

LogRotator::~LogRotator() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void LogRotator::open_next() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  ++index_;
  size_ = 0;
  const auto path = dir_ / (base_ + "." + std::to_string(index_));
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int oldest_kept = index_ - max_files_ + 1;
  for (int i = oldest_kept - 1; i >= 0; --i) {
    std::error_code ec;
    if (!std::filesystem::remove(dir_ / (base_ + "." + std::to_string(i)), ec)) {
      break;  // everything older is gone already
    }
  }
}

void LogRotator::write(std::string_view data) {
  while (!data.empty()) {
    if (size_ >= max_bytes_) {
      open_next();
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(data.size(), max_bytes_ - size_));
    if (fd_ >= 0) {
      std::size_t done = 0;
      while (done < n) {
        const ssize_t w = ::write(fd_, data.data() + done, n - done);
        if (w <= 0) {
          break;
        }
        done += static_cast<std::size_t>(w);
      }
    }
    size_ += n;
    data.remove_prefix(n);
  }
}

}  // namespace nbs::nomad_sim
