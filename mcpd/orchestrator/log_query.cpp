#include "mcpd/orchestrator/log_query.hpp"

#include <deque>

#include <boost/json.hpp>
#include <re2/re2.h>

#include "common/phase_log_reader.hpp"

namespace nbs::mcpd {

namespace json = boost::json;

namespace {

constexpr std::size_t k_chunk = std::size_t{64} * 1024;
constexpr std::size_t k_tail_read_limit = std::size_t{4} * 1024 * 1024;
// Reading the clock costs more than matching a short line: the deadline is checked once this much
// input has been matched since the last look (RE2's time is linear, so this bounds the time between).
constexpr std::size_t k_deadline_check_bytes = std::size_t{16} * 1024;

struct Cursor {
  std::size_t task = 0;
  std::uint64_t offset = 0;
};

std::optional<Cursor> parse_cursor(const std::string& text) {
  if (text.empty()) {
    return Cursor{};
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size() || text.size() > 40) {
    return std::nullopt;
  }
  try {
    std::size_t used = 0;
    Cursor c{std::stoul(text.substr(0, colon), &used), std::stoull(text.substr(colon + 1))};
    return c;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string format_cursor(Cursor c) {
  return std::to_string(c.task) + ":" + std::to_string(c.offset);
}

// Compiles a grep pattern for matching whole lines (UTF-8, case-sensitive unless (?i)).
Result<std::unique_ptr<const re2::RE2>> compile_pattern(const std::string& pattern) {
  re2::RE2::Options options;
  options.set_max_mem(LogQuery::k_pattern_memory);
  options.set_log_errors(false);
  auto regex = std::make_unique<const re2::RE2>(pattern, options);
  if (!regex->ok()) {
    return make_field_errors({{"pattern", "is not a valid regular expression: " + regex->error()}});
  }
  if (regex->ProgramSize() > LogQuery::k_max_pattern_program) {
    return make_field_errors(
        {{"pattern", "is too complex for a log search: it compiles to " +
                         std::to_string(regex->ProgramSize()) + " RE2 instructions, at most " +
                         std::to_string(LogQuery::k_max_pattern_program)}});
  }
  return regex;
}

// Turns raw log lines into the lines an agent reads, applying the stream filter.
class LineRenderer {
 public:
  LineRenderer(const LogQuery& query, std::string task, bool prefix_task)
      : query_(query), task_(std::move(task)), prefix_(prefix_task) {}

  // nullopt: filtered out.
  std::optional<std::string> render(std::string_view raw) {
    if (!raw.empty() && raw.back() == '\r') {
      raw.remove_suffix(1);
    }
    std::string text;
    LogStream stream = LogStream::out;
    if (!raw.empty() && raw.front() == '{') {
      if (auto event = parse_phase_event(raw)) {
        last_seq_ = event->seq;
        stream = event->stream == LogStream::err ? LogStream::err : LogStream::out;
        text = to_text(*event);
      }
    }
    if (text.empty()) {
      text = std::string(raw);
    }
    if ((query_.stream == StreamFilter::out && stream == LogStream::err) ||
        (query_.stream == StreamFilter::err && stream != LogStream::err)) {
      return std::nullopt;
    }
    return prefix_ ? "[" + task_ + "] " + text : text;
  }

  std::optional<std::uint64_t> last_seq() const { return last_seq_; }

 private:
  const LogQuery& query_;
  std::string task_;
  bool prefix_;
  std::optional<std::uint64_t> last_seq_;
};

// The lines of one answer within the query's line and byte limits.
class PageWriter {
 public:
  PageWriter(LogPage& page, std::size_t max_lines, std::size_t max_bytes)
      : page_(page), max_lines_(max_lines), max_bytes_(max_bytes) {}

  // Adds `line` if the page has room; false (and the page marked truncated) when a limit was reached.
  bool add(std::string line) {
    if (page_.lines.size() >= max_lines_ || bytes_ + line.size() + 1 > max_bytes_) {
      page_.truncated = true;
      return false;
    }
    bytes_ += line.size() + 1;
    page_.lines.push_back(std::move(line));
    return true;
  }
  bool empty() const { return page_.lines.empty(); }
  bool full() const { return page_.lines.size() >= max_lines_; }

 private:
  LogPage& page_;
  std::size_t max_lines_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
};

// Grep's answer: each matching line with up to context_lines before and after it, and "--" between
// groups that are not adjacent.
class GrepFilter {
 public:
  GrepFilter(const re2::RE2& regex, std::size_t context_lines)
      : regex_(regex), context_lines_(context_lines) {}

  // Takes the next line; false when the page has no room for a matching line.
  bool take(std::string line, PageWriter& out) {
    if (re2::RE2::PartialMatch(line, regex_)) {
      if (gap_ && !out.empty()) {
        out.add("--");
      }
      gap_ = false;
      for (auto& b : before_) {
        out.add(std::move(b));
      }
      before_.clear();
      after_ = context_lines_;
      return out.add(std::move(line));
    }
    if (after_ > 0) {
      --after_;
      out.add(std::move(line));
    } else if (context_lines_ > 0) {
      before_.push_back(std::move(line));
      if (before_.size() > context_lines_) {
        before_.pop_front();
        gap_ = true;
      }
    } else {
      gap_ = true;
    }
    return true;
  }

  // A new task starts: context does not reach across tasks.
  void next_task() { before_.clear(); }

 private:
  const re2::RE2& regex_;
  std::size_t context_lines_;
  std::deque<std::string> before_;  // context before a match
  std::size_t after_ = 0;           // context lines still to print after a match
  bool gap_ = false;
};

// Whether a forward read must stop before the next line: the stop token at every line, the deadline
// every k_deadline_check_bytes.
class LimitWatch {
 public:
  explicit LimitWatch(const SearchLimits& limits) : limits_(limits) {}

  std::optional<SearchStop> after_line(std::size_t bytes) {
    if (limits_.stop.stop_requested()) {
      return SearchStop::cancelled;
    }
    unchecked_bytes_ += bytes;
    if (unchecked_bytes_ >= k_deadline_check_bytes) {
      unchecked_bytes_ = 0;
      if (limits_.deadline != std::chrono::steady_clock::time_point::max() &&
          std::chrono::steady_clock::now() >= limits_.deadline) {
        return SearchStop::deadline;
      }
    }
    return std::nullopt;
  }

 private:
  const SearchLimits& limits_;
  std::size_t unchecked_bytes_ = 0;
};

Result<LogPage> tail(jobs::Executor& executor, const jobs::PhaseId& id, const std::vector<std::string>& tasks,
                     const LogQuery& query) {
  LogPage page;
  std::deque<std::string> collected;  // oldest first, across tasks (last task read first)
  std::size_t bytes = 0;
  std::optional<std::uint64_t> total;
  for (std::size_t t = tasks.size(); t-- > 0 && collected.size() < query.tail_lines;) {
    // Read backwards until enough complete lines are in hand.
    std::string buffer;
    std::uint64_t from_end = 0;
    std::uint64_t size = 0;
    bool at_start = false;
    while (true) {
      auto chunk = executor.read_log(id, tasks[t], jobs::LogOrigin::end, from_end, k_chunk);
      if (!chunk) {
        return chunk.error();
      }
      size = chunk->total_size;
      buffer.insert(0, chunk->bytes);
      from_end += chunk->bytes.size();
      at_start = chunk->offset == 0;
      const auto newlines = static_cast<std::size_t>(std::count(buffer.begin(), buffer.end(), '\n'));
      if (at_start || chunk->bytes.empty() || newlines > query.tail_lines ||
          buffer.size() >= k_tail_read_limit) {
        break;
      }
    }
    if (!at_start) {
      buffer.erase(0, buffer.find('\n') + 1);  // the first line is cut: drop it
    }
    LineRenderer renderer(query, tasks[t], tasks.size() > 1);
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < buffer.size()) {
      std::size_t end = buffer.find('\n', start);
      if (end == std::string::npos) {
        end = buffer.size();
      }
      if (auto line = renderer.render(std::string_view(buffer).substr(start, end - start))) {
        lines.push_back(std::move(*line));
      }
      start = end + 1;
    }
    if (t + 1 == tasks.size()) {
      page.next_cursor = format_cursor({t, size});
      if (renderer.last_seq()) {
        total = *renderer.last_seq() + 1;
      }
    }
    for (auto it = lines.rbegin(); it != lines.rend() && collected.size() < query.tail_lines; ++it) {
      collected.push_front(std::move(*it));
    }
    if (!at_start && collected.size() < query.tail_lines && buffer.size() >= k_tail_read_limit) {
      page.truncated = true;
    }
  }
  // The byte budget keeps the newest lines.
  std::vector<std::string> kept;
  for (auto it = collected.rbegin(); it != collected.rend(); ++it) {
    if (bytes + it->size() + 1 > query.max_bytes) {
      page.truncated = true;
      break;
    }
    bytes += it->size() + 1;
    kept.push_back(std::move(*it));
  }
  page.lines.assign(std::make_move_iterator(kept.rbegin()), std::make_move_iterator(kept.rend()));
  page.total_lines = total;
  return page;
}

Result<LogPage> forward(jobs::Executor& executor, const jobs::PhaseId& id,
                        const std::vector<std::string>& tasks, const LogQuery& query, Cursor cursor,
                        bool phase_finished, const SearchLimits& limits) {
  LogPage page;
  std::unique_ptr<const re2::RE2> regex;
  std::optional<GrepFilter> grep;
  if (query.mode == LogMode::grep) {
    auto compiled = compile_pattern(query.pattern);
    if (!compiled) {
      return compiled.error();
    }
    regex = std::move(*compiled);
    grep.emplace(*regex, query.context_lines);
  }
  PageWriter out(page, grep ? LogQuery::k_max_lines : query.limit_lines, query.max_bytes);
  LimitWatch watch(limits);
  std::uint64_t scanned = 0;
  while (cursor.task < tasks.size()) {
    LineRenderer renderer(query, tasks[cursor.task], tasks.size() > 1);
    auto chunk = executor.read_log(id, tasks[cursor.task], jobs::LogOrigin::start, cursor.offset, k_chunk);
    if (!chunk) {
      return chunk.error();
    }
    const bool at_end = chunk->offset + chunk->bytes.size() >= chunk->total_size;
    std::string_view bytes_view = chunk->bytes;
    std::size_t consumed = 0;
    bool full = false;
    while (consumed < bytes_view.size()) {
      std::size_t nl = bytes_view.find('\n', consumed);
      if (nl == std::string_view::npos) {
        if (!(at_end && phase_finished) && bytes_view.size() - consumed < k_chunk / 2) {
          break;  // an unfinished last line: wait for its end
        }
        nl = bytes_view.size();
      }
      if (auto rendered = renderer.render(bytes_view.substr(consumed, nl - consumed))) {
        full = grep ? !grep->take(std::move(*rendered), out) : !out.add(std::move(*rendered));
      }
      if (full) {
        break;
      }
      const std::size_t line_end = std::min(nl + 1, bytes_view.size());
      const std::size_t line_bytes = line_end - consumed;
      consumed = line_end;
      // After the line, so every call makes progress however early it is stopped.
      if (auto stop = watch.after_line(line_bytes)) {
        page.stopped = *stop;
        page.truncated = true;
        break;
      }
    }
    cursor.offset += consumed;
    scanned += consumed;
    if (full || page.stopped != SearchStop::none) {
      break;
    }
    const bool task_done = cursor.offset >= chunk->total_size;
    if (task_done && phase_finished && cursor.task + 1 < tasks.size()) {
      cursor = Cursor{cursor.task + 1, 0};
      if (grep) {
        grep->next_task();
      }
      continue;
    }
    if (task_done || consumed == 0) {
      break;  // the end of what exists now
    }
    if (grep && scanned >= LogQuery::k_grep_scan_bytes) {
      page.truncated = true;  // scanned enough for one call; continue from next_cursor
      break;
    }
    if (!grep && out.full()) {
      break;
    }
  }
  const bool finished = phase_finished && cursor.task + 1 >= tasks.size() && !page.truncated && [&] {
    auto end = executor.read_log(id, tasks.back(), jobs::LogOrigin::end, 0, 0);
    return end && cursor.task + 1 == tasks.size() && cursor.offset >= end->total_size;
  }();
  page.next_cursor = finished ? "" : format_cursor(cursor);
  return page;
}

std::size_t bounded(const json::object& args, std::string_view key, std::size_t fallback, std::size_t max,
                    std::vector<FieldError>& errors) {
  const json::value* v = args.if_contains(key);
  if (v == nullptr) {
    return fallback;
  }
  if (!(v->is_int64() || v->is_uint64()) || (v->is_int64() && v->get_int64() < 0)) {
    errors.push_back({std::string(key), "must be a whole number from 0 to " + std::to_string(max)});
    return fallback;
  }
  return std::min<std::size_t>(v->to_number<std::uint64_t>(), max);
}

}  // namespace

Result<LogQuery> parse_log_query(const json::object& args, Phase default_phase) {
  std::vector<FieldError> errors;
  LogQuery q;
  q.phase = default_phase;
  auto text = [&](std::string_view key) -> std::optional<std::string> {
    const json::value* v = args.if_contains(key);
    if (v == nullptr || v->is_null()) {
      return std::nullopt;
    }
    if (!v->is_string()) {
      errors.push_back({std::string(key), "must be a string"});
      return std::nullopt;
    }
    return std::string(v->get_string());
  };
  if (auto phase = text("phase")) {
    if (auto p = parse_phase(*phase)) {
      q.phase = *p;
    } else {
      errors.push_back({"phase", "must be build, test, publish or cleanup"});
    }
  }
  if (auto stream = text("stream")) {
    if (*stream == "stdout") {
      q.stream = StreamFilter::out;
    } else if (*stream == "stderr") {
      q.stream = StreamFilter::err;
    } else if (*stream != "all") {
      errors.push_back({"stream", "must be stdout, stderr or all"});
    }
  }
  if (auto mode = text("mode")) {
    if (*mode == "range") {
      q.mode = LogMode::range;
    } else if (*mode == "grep") {
      q.mode = LogMode::grep;
    } else if (*mode != "tail") {
      errors.push_back({"mode", "must be tail, range or grep"});
    }
  }
  if (auto task = text("task")) {
    q.task = *task;
  }
  if (auto cursor = text("cursor")) {
    if (!parse_cursor(*cursor)) {
      errors.push_back({"cursor", "must be a next_cursor returned by getLogs"});
    }
    q.cursor = *cursor;
    if (q.mode == LogMode::tail && !args.contains("mode")) {
      q.mode = LogMode::range;  // a cursor means "continue from there"
    }
  }
  if (auto pattern = text("pattern")) {
    if (pattern->empty() || pattern->size() > LogQuery::k_max_pattern_bytes) {
      errors.push_back(
          {"pattern", "must be 1 to " + std::to_string(LogQuery::k_max_pattern_bytes) + " bytes long"});
    } else {
      q.pattern = *pattern;
    }
  }
  if (q.mode == LogMode::grep && q.pattern.empty() && !args.contains("pattern")) {
    errors.push_back({"pattern", "is required in grep mode"});
  }
  q.tail_lines = bounded(args, "tail_lines", 200, LogQuery::k_max_lines, errors);
  q.limit_lines = bounded(args, "limit_lines", 200, LogQuery::k_max_lines, errors);
  q.context_lines = bounded(args, "context_lines", 0, 10, errors);
  q.max_bytes = bounded(args, "max_bytes", std::size_t{32} * 1024, LogQuery::k_max_bytes, errors);
  if (!errors.empty()) {
    return make_field_errors(std::move(errors));
  }
  return q;
}

Result<LogPage> read_logs(jobs::Executor& executor, const jobs::PhaseId& id, const LogQuery& query,
                          const SearchLimits& limits) {
  if (limits.stop.stop_requested()) {
    // Nobody waits for the answer any more (a search that waited for a worker): read nothing.
    LogPage page;
    page.next_cursor = format_cursor(*parse_cursor(query.cursor));
    page.truncated = true;
    page.stopped = SearchStop::cancelled;
    return page;
  }
  auto seen = executor.observe(id);
  if (!seen) {
    return seen.error();
  }
  if (seen->state == jobs::PhaseState::absent) {
    return make_error(ErrorKind::not_found,
                      "phase: the " + std::string(to_string(id.phase)) +
                          " phase has not run for this job (or its logs were cleaned up)");
  }
  std::vector<std::string> tasks;
  for (const auto& t : seen->tasks) {
    if (query.task.empty() || t.name == query.task) {
      tasks.push_back(t.name);
    }
  }
  if (tasks.empty()) {
    return make_field_errors(
        {{"task", "no task '" + query.task + "' in the " + std::string(to_string(id.phase)) + " phase"}});
  }
  const bool finished = seen->state != jobs::PhaseState::running && seen->state != jobs::PhaseState::pending;
  Result<LogPage> page = query.mode == LogMode::tail ? tail(executor, id, tasks, query)
                                                     : forward(executor, id, tasks, query,
                                                               *parse_cursor(query.cursor), finished, limits);
  if (page) {
    for (const auto& t : seen->tasks) {
      page->tasks.push_back(t.name);
    }
  }
  return page;
}

}  // namespace nbs::mcpd
