#include "jobs/local/file_record_store.hpp"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/file.h>
#include <unistd.h>

namespace nbs::jobs {

namespace fs = std::filesystem;

namespace {

// Holds an exclusive flock on <dir>/.lock for the lifetime of the object.
class DirLock {
 public:
  explicit DirLock(const fs::path& dir)
      : fd_(::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~DirLock() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

bool valid_segment(std::string_view s) {
  if (s.empty() || s == "." || s == ".." || s.size() > 200) {
    return false;
  }
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Error io_error(const fs::path& path, const std::string& what) {
  return make_error(ErrorKind::unavailable,
                    "state store: " + what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<FileRecordStore>> FileRecordStore::open(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!ec) {
    // Records hold whole requests (webhook secrets, test env values): the daemon's eyes only.
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  if (ec) {
    return make_error(ErrorKind::unavailable,
                      "state store: cannot create " + dir.string() + ": " + ec.message());
  }
  return std::unique_ptr<FileRecordStore>(new FileRecordStore(dir));
}

Result<fs::path> FileRecordStore::path_of(const std::string& key) const {
  fs::path path = dir_;
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string::npos) {
      end = key.size();
    }
    const std::string_view segment = std::string_view(key).substr(start, end - start);
    if (!valid_segment(segment)) {
      return make_error(ErrorKind::invalid_argument, "state store: invalid key '" + key + "'");
    }
    path /= std::string(segment);
    start = end + 1;
  }
  return path.concat(".rec");
}

// A record file is "<index>\n<value>".
Result<std::optional<StoredRecord>> FileRecordStore::read(const fs::path& path) const {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || !fs::exists(path)) {
      return std::optional<StoredRecord>{};
    }
    return io_error(path, "cannot read");
  }
  StoredRecord record;
  std::string index_line;
  std::getline(in, index_line);
  try {
    record.index = std::stoull(index_line);
  } catch (const std::exception&) {
    return make_error(ErrorKind::internal, "state store: corrupt record " + path.string());
  }
  std::ostringstream rest;
  rest << in.rdbuf();
  record.value = rest.str();
  return std::optional(std::move(record));
}

Result<std::optional<StoredRecord>> FileRecordStore::get(const std::string& key) {
  auto path = path_of(key);
  if (!path) {
    return path.error();
  }
  // No lock: a record is replaced by rename, so a reader opens the old file or the new one, whole. A
  // reader waiting for the writers' lock would wait for their fsync, and readers are the daemon's I/O
  // threads (getStatus of a finished job).
  return read(*path);
}

Result<std::uint64_t> FileRecordStore::put(const std::string& key, const std::string& value,
                                           std::uint64_t cas_index) {
  auto path = path_of(key);
  if (!path) {
    return path.error();
  }
  std::lock_guard guard(mutex_);
  DirLock lock(dir_);
  if (!lock.ok()) {
    return io_error(dir_ / ".lock", "cannot lock");
  }
  auto current = read(*path);
  if (!current) {
    return current.error();
  }
  const std::uint64_t stored = *current ? (*current)->index : 0;
  if (stored != cas_index) {
    return make_error(ErrorKind::conflict, "state store: " + key + " changed (index " +
                                               std::to_string(stored) + ", expected " +
                                               std::to_string(cas_index) + ")");
  }
  const std::uint64_t next = stored + 1;
  std::error_code ec;
  fs::create_directories(path->parent_path(), ec);
  const fs::path tmp = fs::path(*path).concat(".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return io_error(tmp, "cannot write");
  }
  const std::string content = std::to_string(next) + "\n" + value;
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      ::close(fd);
      return io_error(tmp, "cannot write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path->c_str()) != 0) {
    return io_error(*path, "cannot commit");
  }
  return next;
}

Status FileRecordStore::remove(const std::string& key, std::uint64_t cas_index) {
  auto path = path_of(key);
  if (!path) {
    return path.error();
  }
  std::lock_guard guard(mutex_);
  DirLock lock(dir_);
  auto current = read(*path);
  if (!current) {
    return current.error();
  }
  if (!*current) {
    return {};
  }
  if ((*current)->index != cas_index) {
    return make_error(ErrorKind::conflict, "state store: " + key + " changed before removal");
  }
  if (::unlink(path->c_str()) != 0 && errno != ENOENT) {
    return io_error(*path, "cannot remove");
  }
  return {};
}

Result<std::vector<std::string>> FileRecordStore::list(const std::string& prefix) {
  std::lock_guard guard(mutex_);
  std::vector<std::string> keys;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".rec") {
      continue;
    }
    std::string key = fs::relative(it->path(), dir_).replace_extension().generic_string();
    if (key.starts_with(prefix)) {
      keys.push_back(std::move(key));
    }
  }
  if (ec) {
    return make_error(ErrorKind::unavailable,
                      "state store: cannot list " + dir_.string() + ": " + ec.message());
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace nbs::jobs
