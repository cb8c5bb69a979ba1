// Routes a request to its endpoint after the cross-cutting steps real Nomad (and our fault switches)
// apply: request counting, injected errors, ACL tokens.
#pragma once

#include "tests/nomad_sim/faults.hpp"
#include "tests/nomad_sim/http_types.hpp"
#include "tests/nomad_sim/scheduler.hpp"
#include "tests/nomad_sim/sim_config.hpp"
#include "tests/nomad_sim/state_store.hpp"

namespace nbs::nomad_sim {

struct SimContext {
  SimState& state;
  Scheduler& scheduler;
  FaultInjector& faults;
  RequestStats& stats;
  const SimConfig& config;
};

Reply route_request(SimContext& ctx, const SimRequest& req);

// "GET /v1/job/:id/allocations" style key for /sim/stats.
std::string route_label(const std::string& method, const std::string& path);

// Handlers, one family per file.
Reply handle_jobs(SimContext& ctx, const SimRequest& req);                          // /v1/jobs
Reply handle_job(SimContext& ctx, const SimRequest& req, const std::string& rest);  // /v1/job/…
Reply handle_allocs(SimContext& ctx, const SimRequest& req);  // allocations, evaluations
Reply handle_vars(SimContext& ctx, const SimRequest& req);    // /v1/var/…, /v1/vars
Reply handle_fs(SimContext& ctx, const SimRequest& req);      // /v1/client/fs/…
Reply handle_misc(SimContext& ctx, const SimRequest& req);    // status, agent, regions, namespaces
Reply handle_sim(SimContext& ctx, const SimRequest& req);     // /sim/… control API

}  // namespace nbs::nomad_sim
