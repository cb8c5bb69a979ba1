#include "tests/nomad_sim/log_rotator.hpp"

#include <algorithm>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace nbs::nomad_sim {

LogRotator::LogRotator(std::filesystem::path dir, std::string base, std::uint64_t max_bytes, int max_files)
    : dir_(std::move(dir)),
      base_(std::move(base)),
      max_bytes_(std::max<std::uint64_t>(max_bytes, 1)),
      max_files_(std::max(max_files, 1)) {
  // A restarted task appends to the newest file, as logmon does.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string prefix = base_ + ".";
    if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() &&
        name.find_first_not_of("0123456789", prefix.size()) == std::string::npos) {
      index_ = std::max(index_, std::stoi(name.substr(prefix.size())));
    }
  }
  if (index_ < 0) {
    open_next();
    return;
  }
  const auto path = dir_ / (base_ + "." + std::to_string(index_));
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  size_ = std::filesystem::file_size(path, ec);
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
