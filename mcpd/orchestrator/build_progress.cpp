#include "mcpd/orchestrator/build_progress.hpp"

#include <algorithm>

#include "common/phase_log_reader.hpp"

namespace nbs::mcpd {

using SteadyClock = std::chrono::steady_clock;

std::optional<BuildStep> latest_build_step(jobs::Executor& executor, const JobRecord& record) {
  auto chunk = executor.read_log({record.id, Phase::build, record.attempt}, "runner", jobs::LogOrigin::end, 0,
                                 std::size_t{16} * 1024);
  if (!chunk) {
    return std::nullopt;
  }
  std::string_view bytes = chunk->bytes;
  std::size_t end = bytes.size();
  while (end > 0) {
    const std::size_t start = bytes.rfind('\n', end - 1);
    const std::size_t from = start == std::string_view::npos ? 0 : start + 1;
    auto event = parse_phase_event(bytes.substr(from, end - from));
    if (event && event->kind == EventKind::step) {
      const std::string prefix = "[" + event->stage + "] ";
      std::string instruction = !event->stage.empty() && event->text.starts_with(prefix)
                                    ? event->text.substr(prefix.size())
                                    : event->text;
      return BuildStep{event->step, event->steps, event->text, event->stage, std::move(instruction)};
    }
    if (start == std::string_view::npos) {
      break;
    }
    end = start;
  }
  return std::nullopt;
}

std::optional<std::optional<BuildStep>> BuildProgress::fresh(const std::string& job_id) {
  std::lock_guard guard(mutex_);
  if (auto it = entries_.find(job_id);
      it != entries_.end() && SteadyClock::now() - it->second.read_at < it->second.interval) {
    return it->second.step;
  }
  return std::nullopt;
}

void BuildProgress::keep(const std::string& job_id, std::optional<BuildStep> step) {
  std::lock_guard guard(mutex_);
  // A long step is looked at less and less often: on Nomad each look is a log read.
  auto it = entries_.find(job_id);
  const auto interval = it != entries_.end() && it->second.step == step
                            ? std::min(it->second.interval * 2, refresh_max_)
                            : refresh_;
  entries_[job_id] = Entry{SteadyClock::now(), interval, std::move(step)};
}

void BuildProgress::forget(const std::string& job_id) {
  std::lock_guard guard(mutex_);
  entries_.erase(job_id);
}

}  // namespace nbs::mcpd
