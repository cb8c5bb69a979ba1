// decide(), the DECIDE step of a reconcile, row by row against the transition table of
// docs/architecture.md ("The reconciler's transitions"): each row gives a record and what the lock and
// the executor report, and says the status written (or that nothing is written) and the exact actions.
// Then what a decision adds for the APPLY step: the decision once the lock is back, and the deadlines.
#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"
#include "mcpd/orchestrator/reconciler.hpp"

namespace nbs::mcpd {
namespace {

using jobs::PhaseObservation;
using jobs::PhaseState;
using namespace std::chrono_literals;

const SystemTime k_now = *parse_utc("2026-11-26T12:00:00.000Z");
const ReconcileConfig k_config{};

JobRecord pending(bool with_tests) {
  auto request = parse_job_request_json(std::string(R"({"owner": "t", "repo_url": "https://h/r.git",
      "image_name": "team/app", "registry_url": "reg:5000")") +
                                        (with_tests ? R"(, "test": {"commands": ["make test"]}})" : "}"));
  EXPECT_TRUE(request);
  JobRecord r;
  r.id = "3f2b0000-0000-4000-8000-000000000002";
  r.request = *request;
  r.times.job_start = k_now - 40min;
  return r;
}

// A job in `phase` since `running_for` (the build of a later phase ended when it began).
JobRecord in(JobStatus status, Phase phase, bool with_tests = true, std::chrono::seconds running_for = 60s) {
  JobRecord r = pending(with_tests);
  r.status = status;
  r.active_phase = phase;
  r.times.build_start = k_now - running_for;
  if (phase != Phase::build) {
    r.times.build_end = r.times.build_start;
    r.times.start_of(phase) = k_now - running_for;
  }
  return r;
}

JobRecord killed(JobRecord r) {
  r.kill_requested = true;
  return r;
}

JobRecord ended(JobRecord r, JobStatus status) {
  r.status = status;
  r.times.job_end = k_now - 1s;
  return r;
}

Observation lock(LockState state, std::string holder = {}) {
  return Observation{.now = k_now, .lock = state, .lock_holder = std::move(holder)};
}

Observation phase(PhaseState state, LockState held = LockState::ours) {
  Observation o = lock(held);
  o.active = PhaseObservation{.state = state, .message = "m", .finished_at = k_now - 1s};
  return o;
}

Observation with_result(Observation o) {
  o.result = BuildResult{"sha256:abc", 7, "c0ffee"};
  return o;
}

Observation refused(Observation o) {
  o.start_error = "the executor said no";
  return o;
}

constexpr auto k_acquire = Action{ActionKind::acquire_lock, Phase::build, 1};
constexpr auto k_release = Action{ActionKind::release_lock, Phase::build, 1};
constexpr Action start(Phase p, int attempt = 1) {
  return Action{ActionKind::start_phase, p, attempt};
}
constexpr Action stop(Phase p, int attempt = 1) {
  return Action{ActionKind::stop_phase, p, attempt};
}

struct Row {
  std::string name;
  JobRecord record;
  Observation observation;
  std::optional<JobStatus> written;  // nullopt: nothing is written
  std::vector<Action> actions;
};

// The table's rows, in its order. "any active" rows are taken in the phase that shows them best.
std::vector<Row> rows() {
  JobRecord lost_twice = in(JobStatus::building, Phase::build);
  lost_twice.attempt = 2;
  return {
      {"PendingKillRequested", killed(pending(false)), lock(LockState::free), JobStatus::killed, {}},
      {"PendingLockFree", pending(false), lock(LockState::free), std::nullopt, {k_acquire}},
      {"PendingLockHeldByAnother", pending(false), lock(LockState::other, "job-A"), JobStatus::pending, {}},
      {"PendingLockOurs", pending(false), lock(LockState::ours), JobStatus::building, {start(Phase::build)}},
      {"ActiveKillRequested",
       killed(in(JobStatus::building, Phase::build)),
       phase(PhaseState::running),
       JobStatus::killed,
       {stop(Phase::build), k_release}},
      {"ActiveExecutorRefused",
       in(JobStatus::testing, Phase::test),
       refused(phase(PhaseState::absent)),
       JobStatus::failed,
       {k_release, start(Phase::cleanup)}},
      {"ActivePhaseAbsent",
       in(JobStatus::testing, Phase::test),
       phase(PhaseState::absent),
       std::nullopt,
       {start(Phase::test)}},
      {"ActiveUnplaceablePastPlacementTimeout",
       in(JobStatus::building, Phase::build, false, 11min),
       phase(PhaseState::unplaceable),
       JobStatus::failed,
       {stop(Phase::build), k_release}},
      {"ActiveRunningPastTimeout",
       in(JobStatus::building, Phase::build, false, 31min),
       phase(PhaseState::running),
       JobStatus::failed,
       {stop(Phase::build), k_release}},
      {"BuildSucceededNoResult",
       in(JobStatus::building, Phase::build, false),
       phase(PhaseState::succeeded),
       JobStatus::failed,
       {stop(Phase::build), k_release}},
      {"BuildSucceededTestsFollow",
       in(JobStatus::building, Phase::build),
       with_result(phase(PhaseState::succeeded)),
       JobStatus::testing,
       {start(Phase::test)}},
      {"BuildSucceededNoTests",
       in(JobStatus::building, Phase::build, false),
       with_result(phase(PhaseState::succeeded)),
       JobStatus::succeeded,
       {k_release}},
      {"TestSucceeded",
       in(JobStatus::testing, Phase::test),
       phase(PhaseState::succeeded),
       JobStatus::publishing,
       {start(Phase::publish)}},
      {"PublishSucceeded",
       in(JobStatus::publishing, Phase::publish),
       phase(PhaseState::succeeded),
       JobStatus::succeeded,
       {k_release}},
      {"ActiveFailed",
       in(JobStatus::testing, Phase::test),
       phase(PhaseState::failed),
       JobStatus::failed,
       {stop(Phase::test), k_release, start(Phase::cleanup)}},
      {"ActiveLostAttemptsLeft",
       in(JobStatus::building, Phase::build),
       phase(PhaseState::lost),
       JobStatus::building,
       {start(Phase::build, 2)}},
      {"ActiveLostNoAttemptsLeft", lost_twice, phase(PhaseState::lost), JobStatus::failed, {k_release}},
      {"FinalNotSettled",
       ended(in(JobStatus::testing, Phase::test), JobStatus::killed),
       phase(PhaseState::running),
       std::nullopt,
       {stop(Phase::test), k_release}},
  };
}

class DecideTable : public ::testing::TestWithParam<Row> {};

TEST_P(DecideTable, WritesTheStatusAndAsksForTheActionsOfItsRow) {
  const Row& row = GetParam();
  const Decision d = decide(row.record, row.observation, k_config);
  if (row.written) {
    ASSERT_TRUE(d.record) << "the row writes the record";
    EXPECT_EQ(to_string(d.record->status), to_string(*row.written));
  } else {
    EXPECT_FALSE(d.record) << "the row writes nothing, yet " << to_string(d.record->status) << " was decided";
  }
  EXPECT_EQ(d.actions, row.actions);
}

INSTANTIATE_TEST_SUITE_P(TransitionTable, DecideTable, ::testing::ValuesIn(rows()),
                         [](const ::testing::TestParamInfo<Row>& info) { return info.param.name; });

TEST(DecideOnceReleased, WhenGivingTheLockBackIsAllThatIsLeftTheDecisionAfterItSettlesTheJob) {
  const Decision d = decide(in(JobStatus::building, Phase::build, false),
                            with_result(phase(PhaseState::succeeded)), k_config);
  ASSERT_EQ(d.actions, std::vector<Action>{k_release});
  ASSERT_TRUE(d.record);
  EXPECT_FALSE(d.record->settled) << "not settled while the lock is ours";
  ASSERT_TRUE(d.once_released);
  ASSERT_TRUE(d.once_released->record);
  EXPECT_EQ(d.once_released->record->status, JobStatus::succeeded);
  EXPECT_TRUE(d.once_released->record->settled);
  EXPECT_TRUE(d.once_released->actions.empty());
}

TEST(DecideOnceReleased, OtherActionsLeaveItOut) {
  const Decision d =
      decide(in(JobStatus::building, Phase::build, false, 31min), phase(PhaseState::running), k_config);
  EXPECT_EQ(d.actions, (std::vector<Action>{stop(Phase::build), k_release}));
  EXPECT_FALSE(d.once_released) << "the phase must stop before the job can settle";
}

TEST(DecideDeadlines, ARunningPhaseIsDueAtItsTimeoutOnly) {
  const Decision d =
      decide(in(JobStatus::building, Phase::build, false, 60s), phase(PhaseState::running), k_config);
  EXPECT_EQ(d.deadlines, std::vector<SystemTime>{k_now - 60s + 30min + 1s});
}

TEST(DecideDeadlines, APhaseNotYetSeenRunningIsAlsoDueAtItsPlacementTimeout) {
  const Decision d =
      decide(in(JobStatus::building, Phase::build, false, 60s), phase(PhaseState::pending), k_config);
  EXPECT_EQ(d.deadlines, (std::vector<SystemTime>{k_now - 60s + 30min + 1s, k_now - 60s + 10min + 1s}));
}

TEST(DecideDeadlines, AStartedPhaseCountsFromNowAndAnEndedJobHasNone) {
  const Decision starting = decide(pending(false), lock(LockState::ours), k_config);
  EXPECT_EQ(starting.deadlines, (std::vector<SystemTime>{k_now + 30min + 1s, k_now + 10min + 1s}));
  const Decision done = decide(ended(in(JobStatus::testing, Phase::test), JobStatus::killed),
                               phase(PhaseState::running), k_config);
  EXPECT_TRUE(done.deadlines.empty());
}

}  // namespace
}  // namespace nbs::mcpd
