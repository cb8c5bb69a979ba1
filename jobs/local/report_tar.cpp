#include "jobs/local/report_tar.hpp"

#include <algorithm>

namespace nbs::jobs {

namespace {

constexpr std::size_t k_block = 512;
// A GNU long name or a pax header larger than this is not one podman writes for a report.
constexpr std::size_t k_max_meta = std::size_t{64} * 1024;

std::string_view field(std::string_view block, std::size_t offset, std::size_t length) {
  std::string_view f = block.substr(offset, length);
  return f.substr(0, std::min(f.find('\0'), f.size()));
}

// An octal number, space or NUL ended; or base-256 (a set high bit), which tar uses for sizes of 8 GiB
// and more. False when it is neither.
bool parse_number(std::string_view f, std::uint64_t& out) {
  out = 0;
  if (!f.empty() && (static_cast<unsigned char>(f[0]) & 0x80) != 0) {
    for (std::size_t i = 0; i < f.size(); ++i) {
      const auto byte = static_cast<unsigned char>(i == 0 ? f[0] & 0x7f : f[i]);
      if (out > (UINT64_MAX >> 8)) {
        return false;
      }
      out = (out << 8) | byte;
    }
    return true;
  }
  std::size_t i = 0;
  while (i < f.size() && f[i] == ' ') {
    ++i;
  }
  bool any = false;
  for (; i < f.size() && f[i] >= '0' && f[i] <= '7'; ++i) {
    if (out > (UINT64_MAX >> 3)) {
      return false;
    }
    out = out * 8 + static_cast<std::uint64_t>(f[i] - '0');
    any = true;
  }
  for (; i < f.size(); ++i) {
    if (f[i] != ' ' && f[i] != '\0') {
      return false;
    }
  }
  return any;
}

bool checksum_ok(std::string_view block) {
  std::uint64_t expected = 0;
  if (!parse_number(block.substr(148, 8), expected)) {
    return false;
  }
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < k_block; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
  }
  return sum == expected;
}

}  // namespace

bool TarReader::feed(std::string_view bytes) {
  while (!bytes.empty() && (state_ == State::header || state_ == State::data)) {
    if (read_ >= limits_.stream_bytes) {
      state_ = State::stopped;
      break;
    }
    bytes = bytes.substr(0, std::min<std::uint64_t>(bytes.size(), limits_.stream_bytes - read_));
    if (state_ == State::header) {
      const std::size_t n = std::min(bytes.size(), k_block - header_.size());
      header_.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
      read_ += n;
      if (header_.size() == k_block && !take_header()) {
        break;
      }
      continue;
    }
    if (remaining_ > 0) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), remaining_));
      take_data(bytes.substr(0, n));
      bytes.remove_prefix(n);
      read_ += n;
      remaining_ -= n;
      if (remaining_ > 0) {
        continue;
      }
    }
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), padding_));
    bytes.remove_prefix(n);
    read_ += n;
    padding_ -= n;
    if (padding_ == 0) {
      end_entry();
    }
  }
  return state_ == State::header || state_ == State::data;
}

bool TarReader::take_header() {
  const std::string block = std::move(header_);
  header_.clear();
  if (block.find_first_not_of('\0') == std::string::npos) {
    state_ = State::ended;  // the first of the two zero blocks is enough: nothing follows it
    return false;
  }
  std::uint64_t size = 0;
  if (!checksum_ok(block) || !parse_number(block.substr(124, 12), size)) {
    error_ = "a malformed tar header";
    state_ = State::failed;
    return false;
  }
  const char type = block[156];
  std::string name(field(block, 0, 100));
  if (field(block, 257, 5) == "ustar") {
    if (const std::string_view prefix = field(block, 345, 155); !prefix.empty()) {
      name = std::string(prefix) + "/" + name;
    }
  }
  if (!next_name_.empty()) {
    name = std::move(next_name_);
    next_name_.clear();
  }
  if (has_next_size_) {
    size = next_size_;
    has_next_size_ = false;
  }
  remaining_ = size;
  padding_ = (k_block - size % k_block) % k_block;
  meta_.clear();
  if (type == '0' || type == '\0' || type == '7') {
    if (files_.size() >= limits_.max_files || kept_ >= limits_.total_bytes) {
      state_ = State::stopped;  // what remains is left unread
      return false;
    }
    entry_ = Entry::file;
    files_.push_back(TarFile{.name = std::move(name), .size = size, .data = {}, .truncated = size > 0});
  } else if (type == 'L') {
    entry_ = Entry::long_name;
  } else if (type == 'x') {
    entry_ = Entry::pax;
  } else {
    entry_ = Entry::skip;  // directories, links, global pax headers: nothing to keep
  }
  state_ = State::data;
  if (remaining_ == 0 && padding_ == 0) {
    end_entry();
  }
  return true;
}

void TarReader::take_data(std::string_view bytes) {
  if (entry_ == Entry::file) {
    TarFile& file = files_.back();
    const std::uint64_t room = std::min(limits_.file_bytes - std::min(limits_.file_bytes, file.data.size()),
                                        limits_.total_bytes - kept_);
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(room, bytes.size()));
    file.data.append(bytes.substr(0, n));
    kept_ += n;
    file.truncated = file.data.size() < file.size;
  } else if (entry_ == Entry::long_name || entry_ == Entry::pax) {
    if (meta_.size() < k_max_meta) {
      meta_.append(bytes.substr(0, k_max_meta - meta_.size()));
    }
  }
}

void TarReader::end_entry() {
  if (entry_ == Entry::long_name) {
    next_name_ = meta_.substr(0, std::min(meta_.find('\0'), meta_.size()));
  } else if (entry_ == Entry::pax) {
    parse_pax(meta_);
  }
  meta_.clear();
  entry_ = Entry::skip;
  state_ = State::header;
}

// Records "<length> <key>=<value>\n"; only path and size matter here.
void TarReader::parse_pax(std::string_view records) {
  while (!records.empty()) {
    std::uint64_t length = 0;
    std::size_t i = 0;
    for (; i < records.size() && records[i] >= '0' && records[i] <= '9' && length < k_max_meta; ++i) {
      length = length * 10 + static_cast<std::uint64_t>(records[i] - '0');
    }
    if (i == 0 || i >= records.size() || records[i] != ' ' || length <= i + 1 || length > records.size()) {
      return;
    }
    const std::string_view record = records.substr(i + 1, length - i - 2);  // without the newline
    records.remove_prefix(length);
    const std::size_t eq = record.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    const std::string_view key = record.substr(0, eq);
    const std::string_view value = record.substr(eq + 1);
    if (key == "path") {
      next_name_ = std::string(value);
    } else if (key == "size") {
      std::uint64_t size = 0;
      bool ok = !value.empty();
      for (const char c : value) {
        ok = ok && c >= '0' && c <= '9' && size <= UINT64_MAX / 10;
        size = ok ? size * 10 + static_cast<std::uint64_t>(c - '0') : 0;
      }
      if (ok) {
        next_size_ = size;
        has_next_size_ = true;
      }
    }
  }
}

}  // namespace nbs::jobs
