#include "tests/nomad_sim/log_stream.hpp"

#include <fstream>
#include <sys/stat.h>

#include <boost/json.hpp>

#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

constexpr std::size_t k_frame_bytes = std::size_t{48} * 1024;   // raw bytes per frame (64 KiB once base64)
constexpr std::size_t k_poll_budget = std::size_t{256} * 1024;  // bytes handed to the socket per poll

}  // namespace

std::vector<std::pair<int, std::uint64_t>> list_log_files(const std::filesystem::path& dir,
                                                          const std::string& task, const std::string& type) {
  std::vector<std::pair<int, std::uint64_t>> files;
  const std::string prefix = task + "." + type + ".";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) {
      continue;
    }
    const std::string suffix = name.substr(prefix.size());
    if (suffix.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::error_code size_ec;
    const auto size = std::filesystem::file_size(entry.path(), size_ec);
    files.emplace_back(std::stoi(suffix), size_ec ? 0 : size);
  }
  std::sort(files.begin(), files.end());
  return files;
}

LogStream::LogStream(LogStreamOptions options) : options_(std::move(options)) {
  const auto files = list_log_files(options_.logs_dir, options_.task, options_.type);
  std::uint64_t total = 0;
  for (const auto& [n, size] : files) {
    total += size;
  }
  const auto offset = static_cast<std::uint64_t>(std::max<std::int64_t>(options_.offset, 0));
  std::uint64_t pos = options_.origin_end ? (offset >= total ? 0 : total - offset) : std::min(offset, total);
  current_ = files.empty() ? 0 : files.front().first;
  for (std::size_t i = 0; i < files.size(); ++i) {
    current_ = files[i].first;
    if (pos < files[i].second || i + 1 == files.size()) {
      offset_ = std::min(pos, files[i].second);
      break;
    }
    pos -= files[i].second;
  }
}

std::filesystem::path LogStream::file_path(int n) const {
  return options_.logs_dir / (options_.task + "." + options_.type + "." + std::to_string(n));
}

std::string LogStream::file_name(int n) const {
  return "alloc/logs/" + options_.task + "." + options_.type + "." + std::to_string(n);
}

int LogStream::next_file(int n) const {
  for (const auto& [idx, size] : list_log_files(options_.logs_dir, options_.task, options_.type)) {
    if (idx > n) {
      return idx;
    }
  }
  return -1;
}

std::string LogStream::frame(const std::string& data) const {
  return json::serialize(
      json::object{{"Offset", offset_}, {"Data", base64_encode(data)}, {"File", file_name(current_)}});
}

std::string LogStream::file_event(const char* event) const {
  return json::serialize(json::object{{"File", file_name(current_)}, {"FileEvent", event}});
}

std::string LogStream::poll() {
  std::string out;
  at_end_ = false;
  while (out.size() < k_poll_budget) {
    struct stat st {};
    if (::stat(file_path(current_).c_str(), &st) != 0) {
      if (!options_.plain) {
        out += file_event("file deleted");
      }
      const int next = next_file(current_);
      if (next < 0) {
        at_end_ = true;
        break;
      }
      current_ = next;
      offset_ = 0;
      continue;
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < offset_) {
      if (!options_.plain) {
        out += file_event("file truncated");
      }
      offset_ = 0;
    }
    if (offset_ < size) {
      std::ifstream in(file_path(current_), std::ios::binary);
      in.seekg(static_cast<std::streamoff>(offset_));
      std::string data(static_cast<std::size_t>(std::min<std::uint64_t>(size - offset_, k_frame_bytes)),
                       '\0');
      in.read(data.data(), static_cast<std::streamsize>(data.size()));
      data.resize(static_cast<std::size_t>(in.gcount()));
      if (data.empty()) {
        at_end_ = true;
        break;
      }
      offset_ += data.size();
      out += options_.plain ? data : frame(data);
      continue;
    }
    const int next = next_file(current_);
    if (next < 0) {
      at_end_ = true;
      break;
    }
    current_ = next;
    offset_ = 0;
  }
  return out;
}

}  // namespace nbs::nomad_sim
