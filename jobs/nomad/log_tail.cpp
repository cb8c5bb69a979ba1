#include "jobs/nomad/log_tail.hpp"

#include <algorithm>

namespace nbs::jobs::nomad {

std::vector<std::string> last_lines(std::string_view text, std::size_t n, bool starts_mid_line) {
  std::vector<std::string_view> all;
  std::size_t begin = 0;
  while (begin < text.size()) {
    auto nl = text.find('\n', begin);
    const auto end = nl == std::string_view::npos ? text.size() : nl;
    all.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  if (starts_mid_line && !all.empty()) {
    all.erase(all.begin());
  }
  const std::size_t first = all.size() > n ? all.size() - n : 0;
  return {all.begin() + static_cast<std::ptrdiff_t>(first), all.end()};
}

namespace {

std::size_t complete_lines(std::string_view text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

Result<TailResult> tail_lines(Fs& fs, const std::string& alloc_id, const std::string& task,
                              const std::string& type, const TailOptions& options,
                              const QueryOptions& query) {
  TailResult result;
  std::size_t window = std::min(options.initial_window, options.max_window);
  for (;;) {
    std::string buffer;
    LogRequest request{
        .alloc_id = alloc_id, .task = task, .type = type, .origin = LogOrigin::end, .offset = window};
    auto read = fs.logs(
        request,
        [&](std::string_view bytes, const LogPosition&) {
          buffer.append(bytes);
          if (buffer.size() > window) {
            // Never more than the window, even if Nomad sent more (the log grew meanwhile).
            buffer.erase(0, buffer.size() - window);
          }
          result.peak_buffer = std::max(result.peak_buffer, buffer.size());
          return true;
        },
        query);
    if (!read) {
      return read.error();
    }
    ++result.requests;
    result.bytes_received += read->body_bytes;
    result.whole_log = buffer.size() < window;
    // A window that starts mid-file starts mid-line: one more newline than lines wanted is needed.
    const bool enough = complete_lines(buffer) > options.lines;
    if (result.whole_log || enough || window >= options.max_window) {
      result.lines = last_lines(buffer, options.lines, !result.whole_log);
      result.truncated = !result.whole_log && !enough;
      return result;
    }
    window = std::min(window * 4, options.max_window);
  }
}

}  // namespace nbs::jobs::nomad
