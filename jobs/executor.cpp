#include "jobs/executor.hpp"

namespace nbs::jobs {

std::string PhaseId::name() const {
  std::string out = "nbs-" + job_id + "-" + std::string(to_string(phase));
  if (attempt > 1) {
    out += "-" + std::to_string(attempt);
  }
  return out;
}

bool reports_missing_shell(std::string_view runtime_error) {
  const bool runc_or_docker = runtime_error.find("exec: \"/bin/sh\"") != std::string_view::npos &&
                              (runtime_error.find("no such file") != std::string_view::npos ||
                               runtime_error.find("not found") != std::string_view::npos);
  const bool crun = runtime_error.find("`/bin/sh` not found") != std::string_view::npos;
  return runc_or_docker || crun;
}

std::string_view to_string(PhaseState state) {
  switch (state) {
    case PhaseState::absent:
      return "absent";
    case PhaseState::pending:
      return "pending";
    case PhaseState::running:
      return "running";
    case PhaseState::succeeded:
      return "succeeded";
    case PhaseState::failed:
      return "failed";
    case PhaseState::lost:
      return "lost";
    case PhaseState::unplaceable:
      return "unplaceable";
  }
  return "absent";
}

}  // namespace nbs::jobs

namespace nbs::jobs {

// For an executor that collects no reports (both of ours do).
Result<std::vector<ReportFile>> Executor::reports(const PhaseId&) {
  return std::vector<ReportFile>{};
}

Result<LogChunk> Executor::read_report(const PhaseId& id, const std::string&, std::size_t, std::uint64_t,
                                       std::size_t) {
  return make_error(ErrorKind::not_found, "path: " + id.name() + " has no collected report");
}

}  // namespace nbs::jobs
