// Allocation state from real (simulated) runs: a failed task's exit code, an unplaceable job.
#include <gtest/gtest.h>

#include "jobs/nomad_executor/alloc_state.hpp"
#include "tests/unit/jobs/nomad/sim_server.hpp"

namespace nbs::jobs::nomad {
namespace {

using NomadSim = testing::NomadSimTest;

TEST_F(NomadSim, FailedTaskGivesExitCodeInThePhaseState) {
  auto c = client();
  Jobs jobs(c);
  ASSERT_TRUE(jobs.register_job(raw_exec_job("nbs-fail-build", "/bin/sh", {"-c", "echo boom >&2; exit 3"})));
  wait_for_terminal(c, "nbs-fail-build");
  PhaseSnapshot snap;
  snap.job = jobs.info("nbs-fail-build")->value;
  snap.allocations = jobs.allocations("nbs-fail-build")->value;
  snap.evaluations = jobs.evaluations("nbs-fail-build")->value;
  auto obs = observe_phase(snap);
  EXPECT_EQ(obs.state, PhaseState::failed);
  ASSERT_EQ(obs.tasks.size(), 1u);
  EXPECT_EQ(obs.tasks[0].exit_code, 3);
  EXPECT_EQ(obs.message, "task t: exit code 3");
}

TEST_F(NomadSim, UnplaceableJobIsReported) {
  auto c = client();
  Jobs jobs(c);
  ASSERT_TRUE(post_fault(R"({"fail_placement":1})"));
  ASSERT_TRUE(jobs.register_job(raw_exec_job("nbs-np-build", "/bin/true", {})));
  PhaseSnapshot snap;
  snap.job = jobs.info("nbs-np-build")->value;
  snap.allocations = jobs.allocations("nbs-np-build")->value;
  snap.evaluations = jobs.evaluations("nbs-np-build")->value;
  EXPECT_EQ(observe_phase(snap).state, PhaseState::unplaceable) << observe_phase(snap).message;
}

}  // namespace
}  // namespace nbs::jobs::nomad
