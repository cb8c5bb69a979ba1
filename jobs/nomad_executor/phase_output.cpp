// NomadExecutor: what a phase's tasks wrote, read from their allocation's filesystem: a task's log by
// offset (the rotation files of its stdout as one stream) and the runner's result file.
#include <algorithm>

#include "jobs/nomad/fs.hpp"
#include "jobs/nomad_executor/alloc_state.hpp"
#include "jobs/nomad_executor/nomad_executor.hpp"
#include "jobs/specs/phase_specs.hpp"

namespace nbs::jobs {
namespace {

constexpr std::string_view k_result_path =
    "alloc/result.json";  // ${NOMAD_ALLOC_DIR}/result.json (spec_parts)
constexpr std::string_view k_log_dir = "alloc/logs";

// Bytes of the task's stdout as Nomad addresses them: the concatenation of the rotation files
// "<task>.stdout.<n>" on disk now.
std::uint64_t stdout_size(const std::vector<nomad::AllocFileInfo>& files, const std::string& task) {
  const std::string stem = task + ".stdout.";
  std::uint64_t total = 0;
  for (const auto& f : files) {
    const std::string_view n = f.name;
    if (!f.is_dir && n.starts_with(stem) && n.size() > stem.size() &&
        std::all_of(n.begin() + static_cast<std::ptrdiff_t>(stem.size()), n.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      total += f.size;
    }
  }
  return total;
}

// Whether a phase job has the task: "runner" for build/publish/cleanup, one group per test task.
bool has_task(const PhaseId& id, const nomad::JobInfo& job, const std::string& task) {
  if (id.phase != Phase::test) {
    return task == nomad::k_runner_task;
  }
  return std::find(job.task_groups.begin(), job.task_groups.end(), task) != job.task_groups.end();
}

// The bytes [begin, end) of a log of `total` bytes that read_log returns, as the local executor does:
// from the start, [offset, offset + max_bytes); from the end, the max_bytes before the last `offset`.
std::pair<std::uint64_t, std::uint64_t> log_window(LogOrigin origin, std::uint64_t offset,
                                                   std::size_t max_bytes, std::uint64_t total) {
  if (origin == LogOrigin::end) {
    const std::uint64_t end = offset >= total ? 0 : total - offset;
    return {end > max_bytes ? end - max_bytes : 0, end};
  }
  const std::uint64_t begin = std::min(offset, total);
  return {begin, std::min<std::uint64_t>(total, begin + max_bytes)};
}

}  // namespace

Result<LogChunk> NomadExecutor::read_log(const PhaseId& id, const std::string& task, LogOrigin origin,
                                         std::uint64_t offset, std::size_t max_bytes) {
  const std::string name = specs::nomad_job_id(id);
  // Where the task ran, as last seen (by observe or an earlier read): the read then costs one request
  // (fs/logs) for a finished task whose log size is known, else two (fs/ls, fs/logs).
  if (auto memo = memory_.task(name, task)) {
    auto chunk = read_log_at(name, task, *memo, origin, offset, max_bytes, Lookup::remembered);
    if (chunk || chunk.error().kind != ErrorKind::not_found) {
      return chunk;
    }
    memory_.forget(name);  // Nomad no longer knows that allocation (collected): look again
  }
  auto allocs = allocations_of(name);
  if (!allocs) {
    return allocs.error();
  }
  const nomad::Allocation* alloc = nomad::newest_with_task(*allocs, task);
  if (alloc == nullptr) {
    // Not started yet (an empty log), or no such phase or task.
    nomad::Jobs jobs(client_);
    auto info = jobs.info(name, query());
    if (!info) {
      return info.error().kind == ErrorKind::not_found
                 ? make_error(ErrorKind::not_found, "logs: phase " + name + " not found")
                 : info.error();
    }
    if (!has_task(id, info->value, task)) {
      return make_error(ErrorKind::not_found, "logs: task '" + task + "' not found in " + name);
    }
    return LogChunk{};
  }
  const nomad::TaskMemo at{.alloc_id = alloc->id, .finished = alloc->task_states.at(task).state == "dead"};
  return read_log_at(name, task, at, origin, offset, max_bytes, Lookup::fresh);
}

// The window of the task's stdout in allocation `at`. A missing log directory is an empty log. Nomad's
// 404 for the logs (an allocation it no longer knows, a task not started) is an error for a
// remembered allocation (the caller looks it up again) and the end of the log otherwise.
Result<LogChunk> NomadExecutor::read_log_at(const std::string& name, const std::string& task,
                                            const nomad::TaskMemo& at, LogOrigin origin, std::uint64_t offset,
                                            std::size_t max_bytes, Lookup lookup) {
  nomad::Fs fs(client_);
  LogChunk chunk;
  if (at.log_size) {
    chunk.total_size = *at.log_size;
  } else {
    auto files = fs.ls(at.alloc_id, k_log_dir, query());
    if (!files) {
      // No log directory yet (invalid_argument: Nomad's 400 for a missing path) is an empty log.
      return files.error().kind == ErrorKind::invalid_argument ? Result<LogChunk>(chunk) : files.error();
    }
    chunk.total_size = stdout_size(*files, task);
    if (at.finished) {
      memory_.remember_log_size(name, task, at.alloc_id, chunk.total_size);
    }
  }
  const auto [begin, end] = log_window(origin, offset, max_bytes, chunk.total_size);
  chunk.offset = begin;
  if (begin >= end) {
    return chunk;
  }
  const std::size_t wanted = static_cast<std::size_t>(end - begin);
  // A window up to the end of a remembered size asks for one byte more: receiving it means the log
  // was still being written when its size was taken (the task's last lines can land just after it is
  // reported dead), and the read starts over with a fresh size.
  const bool check_size = at.log_size && end == chunk.total_size;
  const std::size_t asked = wanted + (check_size ? 1 : 0);
  chunk.bytes.reserve(asked);
  // From the start at an absolute offset, so the window matches the size read above even while the
  // task keeps writing; the read stops as soon as it has the window, however long the log is.
  nomad::LogRequest request{
      .alloc_id = at.alloc_id, .task = task, .origin = nomad::LogOrigin::start, .offset = begin};
  auto read = fs.logs_plain(
      request,
      [&](std::string_view bytes, const nomad::LogPosition&) {
        chunk.bytes.append(bytes.substr(0, asked - chunk.bytes.size()));
        return chunk.bytes.size() < asked;
      },
      query());
  if (!read && (read.error().kind != ErrorKind::not_found || lookup == Lookup::remembered)) {
    return read.error();
  }
  if (chunk.bytes.size() > wanted) {
    nomad::TaskMemo fresh = at;
    fresh.log_size.reset();
    memory_.forget_log_size(name, task);
    return read_log_at(name, task, fresh, origin, offset, max_bytes, lookup);
  }
  return chunk;
}

Result<std::string> NomadExecutor::read_result(const PhaseId& id) {
  const std::string name = specs::nomad_job_id(id);
  // The result file of a finished runner never changes: read once.
  if (auto kept = memory_.result(name)) {
    return std::move(*kept);
  }
  auto no_result = [&](const std::string& why) {
    return make_error(ErrorKind::not_found, "result: " + name + " has written no result" + why);
  };
  auto read = [&](const std::string& alloc_id, bool finished) -> Result<std::string> {
    nomad::Fs fs(client_);
    auto text = fs.cat(alloc_id, k_result_path, config_.max_result_bytes, query());
    if (text && finished) {
      memory_.remember_result(name, *text);
    }
    return text;
  };
  // The runner's allocation as observe() saw it finish: one request (fs/cat), unless Nomad no longer
  // knows the allocation (404), which the lookup below then reports.
  if (auto memo = memory_.task(name, std::string(nomad::k_runner_task)); memo && memo->finished) {
    auto text = read(memo->alloc_id, true);
    if (text) {
      return text;
    }
    if (text.error().kind == ErrorKind::invalid_argument) {
      return no_result(" (" + text.error().message + ")");  // Nomad answers a missing file with 400
    }
    if (text.error().kind != ErrorKind::not_found) {
      return text.error();
    }
    memory_.forget(name);
  }
  auto allocs = allocations_of(name);
  if (!allocs) {
    return allocs.error();
  }
  const nomad::Allocation* alloc = nomad::newest_with_task(*allocs, nomad::k_runner_task);
  if (alloc == nullptr) {
    return no_result("");
  }
  auto text = read(alloc->id, alloc->task_states.at(std::string(nomad::k_runner_task)).state == "dead");
  if (!text) {
    // Nomad answers a missing file with 400 and the stat error.
    const ErrorKind kind = text.error().kind;
    return kind == ErrorKind::invalid_argument || kind == ErrorKind::not_found
               ? no_result(" (" + text.error().message + ")")
               : text.error();
  }
  return std::move(*text);
}

}  // namespace nbs::jobs
