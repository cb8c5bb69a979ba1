// Each rule of jobs/nomad/alloc_state.hpp, with allocation JSON shaped like ref/nomad-api.md §2.5–2.7.
#include "jobs/nomad_executor/alloc_state.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace nbs::jobs::nomad {
namespace {
namespace json = boost::json;

Allocation alloc(std::string_view text) {
  return allocation_from_json(json::parse(text).as_object());
}
Evaluation eval(std::string_view text) {
  return evaluation_from_json(json::parse(text).as_object());
}
JobInfo job(std::string_view status, std::vector<std::string> groups, bool stop = false) {
  JobInfo j;
  j.id = "nbs-x-build";
  j.status = std::string(status);
  j.task_groups = std::move(groups);
  j.stop = stop;
  return j;
}

constexpr std::string_view k_succeeded = R"({
  "ID":"a1","JobID":"nbs-x-build","TaskGroup":"build","CreateIndex":10,"ClientStatus":"complete","DesiredStatus":"run",
  "TaskStates":{"runner":{"State":"dead","Failed":false,"Restarts":0,
    "StartedAt":"2026-01-02T03:04:05.123456789Z","FinishedAt":"2026-01-02T03:05:06Z",
    "Events":[{"Type":"Received","Time":1},{"Type":"Task Setup","Message":"Building Task Directory"},
              {"Type":"Started"},{"Type":"Terminated","ExitCode":0,"Details":{"exit_code":"0","signal":"0","oom_killed":"false"}}]}}})";

constexpr std::string_view k_failed_exit = R"({
  "ID":"a2","TaskGroup":"build","CreateIndex":11,"ClientStatus":"failed","ClientDescription":"Failed tasks",
  "TaskStates":{"runner":{"State":"dead","Failed":true,"Events":[
    {"Type":"Started"},
    {"Type":"Terminated","ExitCode":3,"Details":{"exit_code":"3","signal":"0","oom_killed":"false"}},
    {"Type":"Not Restarting","DisplayMessage":"Policy allows no restarts","Details":{"restart_reason":"Policy allows no restarts","fails_task":"true"}}]}}})";

TEST(AllocState, Rule1NoJobNoAllocationIsAbsent) {
  EXPECT_EQ(observe_phase({}).state, PhaseState::absent);
}

TEST(AllocState, Rule3SuccessNeedsExitZero) {
  auto obs = observe_phase({job("dead", {"build"}), {alloc(k_succeeded)}, {}});
  EXPECT_EQ(obs.state, PhaseState::succeeded);
  ASSERT_EQ(obs.tasks.size(), 1u);
  EXPECT_EQ(obs.tasks[0].name, "runner");
  EXPECT_EQ(obs.tasks[0].exit_code, 0);
  ASSERT_TRUE(obs.started_at);
  EXPECT_EQ(format_utc(*obs.started_at), "2026-01-02T03:04:05.123Z");
  ASSERT_TRUE(obs.finished_at);
  EXPECT_EQ(format_utc(*obs.finished_at), "2026-01-02T03:05:06.000Z");
}

TEST(AllocState, Rule3ExitCodeAndMessageOfTheFailingTask) {
  auto obs = observe_phase({job("dead", {"build"}), {alloc(k_failed_exit)}, {}});
  EXPECT_EQ(obs.state, PhaseState::failed);
  ASSERT_EQ(obs.tasks.size(), 1u);
  EXPECT_EQ(obs.tasks[0].exit_code, 3);
  EXPECT_EQ(obs.tasks[0].message, "exit code 3");
  EXPECT_EQ(obs.message, "task runner: exit code 3");
}

TEST(AllocState, Rule3OomAndSignalAreReported) {
  auto a = alloc(
      R"({"TaskGroup":"build","ClientStatus":"failed","TaskStates":{"runner":{"State":"dead","Failed":true,
    "Events":[{"Type":"Started"},{"Type":"Terminated","ExitCode":137,"Signal":9,
      "Details":{"exit_code":"137","signal":"9","oom_killed":"true"}}]}}})");
  auto obs = observe_phase({job("dead", {"build"}), {a}, {}});
  EXPECT_EQ(obs.message, "task runner: exit code 137, signal 9, OOM killed");
}

TEST(AllocState, Rule3DriverFailureWithoutExit) {
  auto a = alloc(
      R"({"TaskGroup":"cmd-0","ClientStatus":"failed","TaskStates":{"cmd-0":{"State":"dead","Failed":true,
    "Events":[{"Type":"Received"},{"Type":"Driver Failure","DisplayMessage":"Failed to pull `img`: not found",
      "Details":{"driver_error":"Failed to pull `img`: not found"}},
      {"Type":"Not Restarting","DisplayMessage":"Error was unrecoverable"}]}}})");
  auto obs = observe_phase({job("dead", {"cmd-0"}), {a}, {}});
  EXPECT_EQ(obs.state, PhaseState::failed);
  EXPECT_FALSE(obs.tasks[0].exit_code);
  EXPECT_EQ(obs.message, "task cmd-0: Driver Failure: Failed to pull `img`: not found");
}

TEST(AllocState, Rule3AKilledTaskHasNotSucceeded) {
  // A stop (deregister) kills the task; Nomad reports the alloc complete and the task not Failed.
  auto a = alloc(R"({"TaskGroup":"build","ClientStatus":"complete","DesiredStatus":"stop",
    "TaskStates":{"runner":{"State":"dead","Failed":false,"Events":[{"Type":"Started"},
      {"Type":"Killing","DisplayMessage":"Sent interrupt. Waiting 30s before force killing"},
      {"Type":"Terminated","ExitCode":0,"Signal":15,"Details":{"exit_code":"0","signal":"15"}},
      {"Type":"Killed","DisplayMessage":"Task successfully killed"}]}}})");
  auto obs = observe_phase({job("dead", {"build"}, true), {a}, {}});
  EXPECT_EQ(obs.state, PhaseState::failed);
  EXPECT_EQ(obs.message, "task runner: Killed: Task successfully killed");
}

TEST(AllocState, Rule3RunningAndPending) {
  auto running =
      alloc(R"({"TaskGroup":"build","ClientStatus":"running","TaskStates":{"runner":{"State":"running",
    "StartedAt":"2026-01-02T03:04:05Z","FinishedAt":"0001-01-01T00:00:00Z","Events":[{"Type":"Started","DisplayMessage":"Task started by client"}]}}})");
  auto obs = observe_phase({job("running", {"build"}), {running}, {}});
  EXPECT_EQ(obs.state, PhaseState::running);
  EXPECT_TRUE(obs.started_at);
  EXPECT_FALSE(obs.finished_at);
  auto pending =
      alloc(R"({"TaskGroup":"build","ClientStatus":"pending","TaskStates":{"runner":{"State":"pending",
    "Events":[{"Type":"Received"},{"Type":"Driver","DisplayMessage":"Downloading image"}]}}})");
  auto p = observe_phase({job("pending", {"build"}), {pending}, {}});
  EXPECT_EQ(p.state, PhaseState::pending);
  EXPECT_EQ(p.tasks[0].message, "Driver: Downloading image");
}

TEST(AllocState, Rule2TheNewestAllocationOfAGroupDecides) {
  auto old_failed = alloc(k_failed_exit);  // CreateIndex 11
  auto replacement = alloc(R"({"ID":"a3","TaskGroup":"build","CreateIndex":20,"ClientStatus":"running",
    "TaskStates":{"runner":{"State":"running","Events":[{"Type":"Started"}]}}})");
  auto obs = observe_phase({job("running", {"build"}), {replacement, old_failed}, {}});
  EXPECT_EQ(obs.state, PhaseState::running);
  EXPECT_EQ(obs.tasks.size(), 1u);
}

TEST(AllocState, Rule4LostAllocationMakesUnfinishedTasksLost) {
  auto a = alloc(
      R"({"TaskGroup":"build","ClientStatus":"lost","ClientDescription":"alloc is lost since its node is down",
    "TaskStates":{"runner":{"State":"running","Events":[{"Type":"Started"}]}}})");
  auto obs = observe_phase({job("pending", {"build"}), {a}, {}});
  EXPECT_EQ(obs.state, PhaseState::lost);
  EXPECT_EQ(obs.tasks[0].state, PhaseState::lost);
  EXPECT_EQ(obs.message, "task runner: allocation lost: alloc is lost since its node is down");
}

TEST(AllocState, Rule4UnknownClientCountsAsRunning) {
  auto a = alloc(R"({"TaskGroup":"build","ClientStatus":"unknown",
    "TaskStates":{"runner":{"State":"running","Events":[{"Type":"Started"}]}}})");
  auto obs = observe_phase({job("running", {"build"}), {a}, {}});
  EXPECT_EQ(obs.state, PhaseState::running);
  EXPECT_EQ(obs.message, "node disconnected");
}

TEST(AllocState, Rule5BlockedEvaluationMakesTheGroupUnplaceable) {
  auto complete =
      eval(R"({"ID":"e1","Status":"complete","TriggeredBy":"job-register","BlockedEval":"e2","CreateIndex":5,
    "FailedTGAllocs":{"build":{"NodesEvaluated":2,"NodesFiltered":2,"NodesAvailable":{"dc1":2},
      "ConstraintFiltered":{"missing drivers":1,"missing compatible host volumes":1},"NodesExhausted":0}}})");
  auto blocked = eval(R"({"ID":"e2","Status":"blocked","TriggeredBy":"queued-allocs","CreateIndex":6})");
  auto obs = observe_phase({job("pending", {"build"}), {}, {complete, blocked}});
  EXPECT_EQ(obs.state, PhaseState::unplaceable);
  EXPECT_EQ(obs.message,
            "group build: 0/2 nodes eligible: missing compatible host volumes (1), missing drivers (1)");
}

TEST(AllocState, Rule5WithoutPlacementFailureAGroupIsPending) {
  auto pending_eval = eval(R"({"ID":"e1","Status":"pending","CreateIndex":5})");
  EXPECT_EQ(observe_phase({job("pending", {"build"}), {}, {pending_eval}}).state, PhaseState::pending);
}

TEST(AllocState, Rule5ExhaustedResources) {
  auto e = eval(R"({"Status":"complete","FailedTGAllocs":{"cmd-0":{"NodesEvaluated":1,"NodesExhausted":1,
    "NodesAvailable":{"dc1":1},"DimensionExhausted":{"memory":1}}}})");
  auto obs = observe_phase({job("pending", {"cmd-0"}), {}, {e}});
  EXPECT_EQ(obs.message, "group cmd-0: 0/1 nodes eligible; exhausted: memory (1)");
}

TEST(AllocState, Rule6StoppedOrDeadWithoutAllocationsFailed) {
  auto stopped = observe_phase({job("dead", {"build"}, true), {}, {}});
  EXPECT_EQ(stopped.state, PhaseState::failed);
  EXPECT_EQ(stopped.message, "stopped before it was placed");
  auto dead = observe_phase({job("dead", {"build"}), {}, {}});
  EXPECT_EQ(dead.message, "the job is dead with no allocations");
}

TEST(AllocState, Rule7TheWorstGroupDecides) {
  auto ok = alloc(
      R"({"TaskGroup":"cmd-0","CreateIndex":3,"ClientStatus":"complete","TaskStates":{"cmd-0":{"State":"dead",
    "Events":[{"Type":"Terminated","ExitCode":0}]}}})");
  auto running = alloc(
      R"({"TaskGroup":"cmd-1","CreateIndex":4,"ClientStatus":"running","TaskStates":{"cmd-1":{"State":"running"}}})");
  auto failed = alloc(
      R"({"TaskGroup":"entry-point","CreateIndex":5,"ClientStatus":"failed","TaskStates":{"entry-point":{"State":"dead","Failed":true,
    "Events":[{"Type":"Terminated","ExitCode":1}]}}})");
  auto j = job("running", {"cmd-0", "cmd-1", "entry-point"});
  EXPECT_EQ(observe_phase({j, {ok, running}, {}}).state, PhaseState::running);
  auto all = observe_phase({j, {ok, running, failed}, {}});
  EXPECT_EQ(all.state, PhaseState::failed);
  EXPECT_EQ(all.message, "task entry-point: exit code 1");
  EXPECT_EQ(all.tasks.size(), 3u);
  auto done = ok;
  done.task_group = "cmd-1";
  done.task_states = {{"cmd-1", ok.task_states.at("cmd-0")}};
  auto both = observe_phase({job("dead", {"cmd-0", "cmd-1"}), {ok, done}, {}});
  EXPECT_EQ(both.state, PhaseState::succeeded);
  // A group still waiting for placement keeps a phase with finished groups pending.
  EXPECT_EQ(observe_phase({job("running", {"cmd-0", "cmd-1"}), {ok}, {}}).state, PhaseState::pending);
}

TEST(Rfc3339, ParsesGoTimes) {
  EXPECT_EQ(format_utc(*parse_rfc3339("2026-01-02T03:04:05.5Z")), "2026-01-02T03:04:05.500Z");
  EXPECT_EQ(format_utc(*parse_rfc3339("2026-01-02T03:04:05+01:00")), "2026-01-02T02:04:05.000Z");
  EXPECT_FALSE(parse_rfc3339("0001-01-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("yesterday"));
}

}  // namespace
}  // namespace nbs::jobs::nomad
