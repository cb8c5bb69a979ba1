// The executor on a Nomad cluster: every phase is a batch job "nbs-<job id>-<phase>[-<attempt>]" built
// by jobs/specs, its state read from its allocations (alloc_state.hpp), its logs and result file from
// the allocation's file system. Nomad keeps all the state, so any number of daemons can share it.
//
// How the Executor contract maps onto Nomad:
//  - start: register with EnforceIndex and JobModifyIndex 0 ("only if new"); the conflict Nomad
//    answers for a job that exists already is success, so a repeated start changes nothing.
//  - wait_for_change: one blocking query on GET /v1/jobs?prefix=nbs- (see nomad_executor.cpp for why
//    this list and not the allocations); interrupt_waits aborts it through a CancellableTransport.
//  - stop: deregister without purge. Nomad sends the task's KillSignal and kills it after KillTimeout,
//    both fixed in the spec at start (NomadSpecConfig::kill_signal, ::kill_timeout); the `grace`
//    argument cannot change them afterwards and is ignored, so the daemon should set kill_timeout to
//    its stop grace. (A Nomad client also caps KillTimeout at its max_kill_timeout, 30 s by default.)
//  - purge: deregister with purge=true; it also stops a phase that still runs.
//  - PhaseLaunch::deadline is not given to Nomad (a batch job has no run-time limit); the orchestrator
//    enforces deadlines by stopping the phase, as with the local executor.
// Requests: a phase is observed with its allocations alone once its task groups are known (from start
// or one read of the job); the job is read again only while there is no allocation. Where each task
// runs, a finished task's log size and a finished runner's result file are remembered (PhaseMemory), so
// a repeated log read costs one or two requests and a repeated result read none.
// ACL capabilities the token needs in the namespace: submit-job, read-job, list-jobs, read-logs,
// read-fs (result file, log sizes, test reports).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

#include "jobs/executor.hpp"
#include "jobs/nomad/client.hpp"
#include "jobs/nomad/config.hpp"
#include "jobs/nomad/jobs.hpp"
#include "jobs/nomad_executor/cancellable_transport.hpp"
#include "jobs/nomad_executor/phase_memory.hpp"
#include "jobs/specs/spec_config.hpp"

namespace nbs::jobs {

struct NomadExecutorConfig {
  nomad::Config nomad;           // where Nomad is (nomad::config_from_env)
  specs::NomadSpecConfig specs;  // what the phase jobs look like; an empty namespace or region there
                                 // takes the client's (NOMAD_NAMESPACE, NOMAD_REGION)
  std::size_t max_result_bytes = std::size_t{1024} * 1024;  // a larger result file is an error
};

class NomadExecutor : public Executor {
 public:
  // Builds the HTTP clients (TLS files are loaded here: invalid_argument naming the file when one
  // cannot be); talks to Nomad only when called (ready() is the probe).
  static Result<std::unique_ptr<NomadExecutor>> create(NomadExecutorConfig config);
  // create() with the Nomad address, token, TLS and namespace from NOMAD_* variables of `env`
  // (nomad::config_from_env: invalid_argument naming the variable).
  static Result<std::unique_ptr<NomadExecutor>> from_env(const nomad::EnvMap& env,
                                                         specs::NomadSpecConfig specs);
  ~NomadExecutor() override;

  Status start(const PhaseLaunch& launch) override;
  Result<PhaseObservation> observe(const PhaseId& id) override;
  Result<Changes> wait_for_change(std::uint64_t index, std::chrono::milliseconds timeout) override;
  void interrupt_waits() override;
  Result<LogChunk> read_log(const PhaseId& id, const std::string& task, LogOrigin origin,
                            std::uint64_t offset, std::size_t max_bytes) override;
  // What each test task's wrapper copied of test.reports, read once the task is dead (phase_reports.cpp).
  Result<std::vector<ReportFile>> reports(const PhaseId& id) override;
  Result<LogChunk> read_report(const PhaseId& id, const std::string& task, std::size_t index,
                               std::uint64_t offset, std::size_t max_bytes) override;
  Result<std::string> read_result(const PhaseId& id) override;
  Status stop(const PhaseId& id, std::chrono::seconds grace) override;
  Result<std::vector<PhaseId>> list(const std::string& job_id) override;
  Status purge(const PhaseId& id) override;
  Status ready() override;
  // Nomad has Vault, devices and placement: every field of a request can be honoured.
  std::vector<FieldError> unsupported(const JobRequest& request) const override;
  // A task's container stops with the task (the driver's job); what is left to sweep are the secret
  // build args of phases a restarted daemon no longer remembered (see observe).
  Result<std::vector<std::string>> sweep() override;

 private:
  // The Variable of a build phase's secret build args (jobs/specs/phase_specs.hpp).
  Status remove_build_args(const PhaseId& id);

  // What wait_for_change compares between two answers to tell which of our jobs changed: what an
  // observer acts on (a task ended, the job was stopped or is dead). Left out: the Queued, Starting and
  // Running counts, and the status and ModifyIndex that move with them, so a phase being placed and
  // starting costs no look at it (nothing waits for that: the orchestrator's deadlines are timers).
  // A job first seen with all of these zero has nothing to report either.
  struct JobFingerprint {
    bool stop = false;
    bool dead = false;
    std::int64_t complete = 0;  // the counts summed over the job's task groups
    std::int64_t failed = 0;
    std::int64_t lost = 0;
    std::int64_t unknown = 0;
    static JobFingerprint of(const nomad::JobListStub& stub);
    friend bool operator==(const JobFingerprint&, const JobFingerprint&) = default;
  };

  // Whether a log read's allocation came from the memory (a 404 then means "look it up again").
  enum class Lookup { remembered, fresh };

  NomadExecutor(NomadExecutorConfig config, nomad::Client client,
                std::shared_ptr<nomad::CancellableTransport> watch);
  nomad::QueryOptions query() const;
  nomad::WriteOptions write_options() const;
  std::string build_node_of(const std::string& job_id);
  Result<std::vector<nomad::Allocation>> allocations_of(const std::string& name);
  Result<LogChunk> read_log_at(const std::string& name, const std::string& task, const nomad::TaskMemo& at,
                               LogOrigin origin, std::uint64_t offset, std::size_t max_bytes, Lookup lookup);
  Changes diff(std::uint64_t index, std::uint64_t new_index, const std::vector<nomad::JobListStub>& jobs);
  void sleep_unless_interrupted(std::chrono::milliseconds pause, std::uint64_t epoch);

  NomadExecutorConfig config_;
  nomad::Client client_;  // every call but the watch
  std::shared_ptr<nomad::CancellableTransport> watch_;
  nomad::PhaseMemory memory_;  // thread-safe on its own

  std::mutex mutex_;
  std::condition_variable interrupted_;         // wakes a watch that sleeps between retries
  std::uint64_t seen_index_ = 0;                // the answer `seen_` was taken from
  std::map<std::string, JobFingerprint> seen_;  // by Nomad job id
};

}  // namespace nbs::jobs
