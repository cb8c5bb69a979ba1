// Job writes and their consequences: register (EnforceIndex, versions, evaluation, placement,
// blocked evaluations), stop/purge, losing allocations, and the AllocRunners that run placed tasks.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "tests/nomad_sim/alloc_runner.hpp"
#include "tests/nomad_sim/faults.hpp"
#include "tests/nomad_sim/http_types.hpp"
#include "tests/nomad_sim/placement.hpp"
#include "tests/nomad_sim/sim_config.hpp"
#include "tests/nomad_sim/state_store.hpp"

namespace nbs::nomad_sim {

// What storing a job produced: its evaluation ("" for periodic/parameterized parents) and placement.
struct Committed {
  std::string eval_id;
  std::uint64_t eval_index = 0;
  std::uint64_t index = 0;
  std::uint64_t job_modify_index = 0;
  std::uint64_t job_create_index = 0;
  PlacementResult placement;
};

bool is_parameterized_parent(const json::object& job);
bool is_periodic_parent(const json::object& job);

// Under the state lock: stores `job` (a new version when its spec changed; `server_fields` such as
// ParentID/Dispatched/Payload override the reset server fields), evaluates and places it.
Committed commit_job(Tables& t, const SimConfig& config, const NsKey& key, json::object job,
                     const json::object& server_fields, bool forced_failure);

class Scheduler {
 public:
  Scheduler(SimState& state, const SimConfig& config, FaultInjector& faults);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // PUT|POST /v1/jobs (path_job_id empty) and /v1/job/:id (ref §2.2).
  SimResponse register_job(const SimRequest& req, const std::string& path_job_id);
  // PUT|POST /v1/job/:id/dispatch (ref §2.10).
  SimResponse dispatch_job(const SimRequest& req, const std::string& parent_id);
  // DELETE /v1/job/:id[?purge=true] (ref §2.8).
  SimResponse deregister_job(const SimRequest& req, const std::string& job_id);
  // Marks an allocation lost (node down) and SIGKILLs its tasks.
  nbs::Status lose_alloc(const std::string& alloc_id);
  // Loses every running allocation of a job.
  nbs::Status lose_job(const std::string& ns, const std::string& job_id);
  // Re-runs placement for blocked evaluations (after a fault changes).
  void retry_blocked();
  // Kills every task (SIGKILL) and joins the runners.
  void shutdown();

 private:
  void start_runners(const std::vector<std::string>& alloc_ids);
  void stop_runners(const std::vector<std::string>& alloc_ids);
  void reap_finished();

  SimState& state_;
  const SimConfig& config_;
  FaultInjector& faults_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<AllocRunner>> runners_;
};

}  // namespace nbs::nomad_sim
