// The executor: where the phases of a job run. The orchestrator sees only this interface; the Nomad
// executor runs each phase as a Nomad batch job, the local executor as child processes. All calls are
// blocking and thread-safe; they are made from the orchestrator's reconcile thread and from request
// handlers (logs, results).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/job_request.hpp"

namespace nbs::jobs {

struct PhaseId {
  std::string job_id;
  Phase phase = Phase::build;
  int attempt = 1;  // a phase the orchestrator retries (a lost node) runs again under a new name

  // "nbs-<job id>-<phase>", then "-<attempt>" from the second attempt: the Nomad job id, the local
  // directory name.
  std::string name() const;
  friend bool operator==(const PhaseId&, const PhaseId&) = default;
};

// Everything an executor needs to start one phase.
struct PhaseLaunch {
  PhaseId id;
  JobRequest request;                // validated; a build's holds the secret build args' values
  std::string runner_spec_json;      // build, publish, cleanup: the RunnerSpec handed to nbs-runner
  std::string test_image;            // test: the temporary image the tests run in
  std::chrono::seconds deadline{0};  // the executor stops the phase after this long (0: none)
};

enum class PhaseState {
  absent,   // never started, or purged
  pending,  // accepted, not running yet (no capacity, pulling, waiting for placement)
  running,
  succeeded,    // every task exited 0
  failed,       // a task exited non-zero or could not start
  lost,         // the node or process running it vanished without an exit status
  unplaceable,  // the scheduler cannot place it (the message says why)
};
std::string_view to_string(PhaseState state);

struct TaskObservation {
  std::string name;  // "runner"; for tests "cmd-0", "cmd-1", …, "entry-point"
  PhaseState state = PhaseState::pending;
  std::optional<int> exit_code;
  std::string message;  // the last event worth telling a person ("exit code 3", "OOM killed", …)
};

struct PhaseObservation {
  PhaseState state = PhaseState::absent;
  std::vector<TaskObservation> tasks;
  std::string message;  // placement problems, the failing task's message
  std::optional<SystemTime> started_at;
  std::optional<SystemTime> finished_at;
};

// A slice of one task's log. Offsets are bytes from the start of the log as the executor keeps it.
struct LogChunk {
  std::string bytes;
  std::uint64_t offset = 0;      // where `bytes` starts
  std::uint64_t total_size = 0;  // size of the whole log when read
};

enum class LogOrigin { start, end };

// What a JUnit XML report says (jobs/junit.hpp parses it).
struct JUnitSummary {
  int tests = 0;
  int failures = 0;
  int errors = 0;
  int skipped = 0;
  std::string first_failure;  // "classname.name" of the first failing or erroring test case
  std::string message;        // its failure's message (bounded)
};

// One report test.reports asked for, as collected from a test task after it ended.
struct ReportFile {
  std::string task;  // "cmd-0", …
  std::string path;  // in the container
  // "ok", "truncated" (only its first `kept` bytes were kept), "missing" (nothing at the path),
  // "incomplete" (a cap was reached: entries under the path were left), "error" (message says why)
  std::string status;
  std::uint64_t size = 0;
  std::uint64_t kept = 0;
  std::string message;
  std::optional<JUnitSummary> junit;  // the file is a JUnit XML report
  std::size_t index = 0;              // read_report()'s handle within the task
};

// ReportFile::message of the statuses that are the same on both executors.
inline constexpr std::string_view k_report_missing_message = "nothing at this path in the container";
inline constexpr std::string_view k_report_incomplete_message =
    "a size cap was reached: files under this path were not collected";

// What changed since an index: the jobs whose phases changed, or everything when the executor cannot
// tell (then the caller looks at all of its jobs).
struct Changes {
  std::uint64_t index = 0;
  std::vector<std::string> job_ids;
  bool everything = false;
};

// A test command runs as `/bin/sh -c <command>`. When the container runtime reports that /bin/sh does not
// exist in the image (podman's and runc's "exec: \"/bin/sh\": ... no such file", crun's "executable file
// `/bin/sh` not found", Docker's driver failure), the test could not run at all: this says so.
bool reports_missing_shell(std::string_view runtime_error);
inline constexpr std::string_view k_missing_shell_message =
    "the image has no /bin/sh, and test.commands run as `/bin/sh -c <command>`: add a shell to the image, or "
    "drop test.commands and set test.entry_point: true to run the image's own ENTRYPOINT and CMD";

class Executor {
 public:
  virtual ~Executor() = default;

  // Starts the phase; starting one that exists already is not an error and changes nothing, so a
  // restarted orchestrator can repeat it safely.
  virtual Status start(const PhaseLaunch& launch) = 0;

  virtual Result<PhaseObservation> observe(const PhaseId& id) = 0;

  // Blocks until some phase of ours may have changed after `index`, or `timeout` passes; returns the
  // index to pass next time and which jobs changed. Cheap to call in a loop: it waits, it does not poll.
  // A phase that ended (any task finished), was stopped or is gone is always reported; one that only
  // moved from pending to running need not be (the Nomad executor leaves it out: nothing waits for it).
  virtual Result<Changes> wait_for_change(std::uint64_t index, std::chrono::milliseconds timeout) = 0;

  // Makes every wait_for_change() in progress return now (the caller is shutting down).
  virtual void interrupt_waits() = 0;

  // Up to `max_bytes` of a task's stdout (the runner's phase events, or a test's container output,
  // stderr interleaved as the executor records it). From the end: the last `max_bytes`, minus `offset`.
  virtual Result<LogChunk> read_log(const PhaseId& id, const std::string& task, LogOrigin origin,
                                    std::uint64_t offset, std::size_t max_bytes) = 0;

  // The reports collected from a test phase's tasks (test.reports): empty while none was collected, and
  // on an executor that does not collect them.
  virtual Result<std::vector<ReportFile>> reports(const PhaseId& id);

  // Up to `max_bytes` of one collected report (ReportFile::index of `task`) from `offset`.
  virtual Result<LogChunk> read_report(const PhaseId& id, const std::string& task, std::size_t index,
                                       std::uint64_t offset, std::size_t max_bytes);

  // The result file nbs-runner wrote (JSON), once the phase succeeded.
  virtual Result<std::string> read_result(const PhaseId& id) = 0;

  // Asks the phase to stop (SIGTERM), forcing it after `grace`. Stopping a finished phase is a no-op.
  virtual Status stop(const PhaseId& id, std::chrono::seconds grace) = 0;

  // Every phase this executor knows, of one job or (empty id) of all jobs: used to find orphans.
  virtual Result<std::vector<PhaseId>> list(const std::string& job_id) = 0;

  // Forgets a finished phase and its logs.
  virtual Status purge(const PhaseId& id) = 0;

  // Whether the executor can take work (Nomad has a leader; the state directory is writable).
  virtual Status ready() = 0;

  // What of `request` this executor cannot honour, one field error each (Vault secrets without Vault,
  // …): such a job is refused at submit, never accepted and then run without what it asked for.
  virtual std::vector<FieldError> unsupported(const JobRequest& request) const = 0;

  // Removes what no running phase accounts for (the local executor's test containers, left by a daemon
  // killed at the wrong moment). Returns a line per thing actually removed.
  virtual Result<std::vector<std::string>> sweep() = 0;
};

}  // namespace nbs::jobs
