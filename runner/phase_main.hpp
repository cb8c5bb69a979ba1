// Runs one phase from its spec file the same way for every subcommand: read and check the spec, emit
// phase_start, run, write the result file, emit phase_end with the exit code's name, return the code.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "common/phase_log_writer.hpp"
#include "runner/phase_context.hpp"
#include "runner/result_file.hpp"

namespace nbs::runner {

using PhaseBody = std::function<PhaseOutcome(const PhaseContext&, PhaseResult&)>;

struct PhaseRun {
  std::string phase_name;  // for the events when the spec cannot be read
  std::string spec_path;   // "-" reads standard input
  LogFormat format = LogFormat::json;
  std::FILE* out = stdout;
};

ExitCode run_phase_from_spec(const PhaseRun& run, const RunnerOptions& options, const ProcessStop& stop,
                             const PhaseBody& body);

// Runs `body` with an already parsed spec (used by `run`).
ExitCode run_phase(const RunnerSpec& spec, PhaseLogWriter& log, const RunnerOptions& options,
                   const ProcessStop& stop, const PhaseBody& body);

}  // namespace nbs::runner
