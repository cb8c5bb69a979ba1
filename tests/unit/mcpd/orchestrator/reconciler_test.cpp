// The transition function (the DECIDE step of a reconcile), case by case and then as the table of
// docs/architecture.md: each test gives a record and what the executor and the lock report, and checks
// the record written and the actions asked for.
#include "mcpd/orchestrator/reconciler.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"
#include "mcpd/tools/job_tools.hpp"

namespace nbs::mcpd {
namespace {

using jobs::PhaseObservation;
using jobs::PhaseState;
using namespace std::chrono_literals;
namespace json = boost::json;

const SystemTime k_now = *parse_utc("2026-11-26T12:00:00.000Z");

JobRecord record(bool with_tests, JobStatus status = JobStatus::pending) {
  auto request = parse_job_request_json(std::string(R"({"owner": "t", "repo_url": "https://h/r.git",
      "image_name": "team/app", "registry_url": "reg:5000", "image_tags": ["latest"])") +
                                        (with_tests ? R"(, "test": {"commands": ["make test"]}})" : "}"));
  EXPECT_TRUE(request);
  JobRecord r;
  r.id = "3f2b0000-0000-4000-8000-000000000001";
  r.request = *request;
  r.status = status;
  r.times.job_start = k_now - 10min;
  return r;
}

JobRecord in_phase(JobRecord r, JobStatus status, Phase phase, std::chrono::seconds running_for = 60s) {
  r.status = status;
  r.active_phase = phase;
  r.times.build_start = k_now - running_for;
  if (phase != Phase::build) {
    r.times.build_end = r.times.build_start;
    r.times.start_of(phase) = k_now - running_for;
  }
  return r;
}

Observation seen(PhaseState state, LockState lock = LockState::ours, std::string message = {}) {
  Observation o{.now = k_now, .lock = lock};
  o.active = PhaseObservation{.state = state, .message = std::move(message), .finished_at = k_now - 1s};
  return o;
}

const ReconcileConfig k_config{};

TEST(ReconcilerTest, APendingJobAsksForTheLockFirst) {
  auto d = decide(record(false), Observation{.now = k_now}, k_config);
  EXPECT_EQ(d.actions, (std::vector<Action>{{ActionKind::acquire_lock, Phase::build, 1}}));
  EXPECT_FALSE(d.record) << "asking for the lock changes nothing in the record, so nothing is written";
}

TEST(ReconcilerTest, APendingJobQueuesBehindTheHolderAndSaysWhy) {
  auto d = decide(record(false), Observation{.now = k_now, .lock = LockState::other, .lock_holder = "job-A"},
                  k_config);
  EXPECT_TRUE(d.actions.empty());
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::pending);
  EXPECT_NE(d.record->waiting_reason.find("waiting for job job-A"), std::string::npos);
}

TEST(ReconcilerTest, WithTheLockTheBuildStarts) {
  auto d = decide(record(false), Observation{.now = k_now, .lock = LockState::ours}, k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::building);
  EXPECT_EQ(d.record->active_phase, Phase::build);
  EXPECT_EQ(d.record->times.build_start, k_now);
  EXPECT_TRUE(d.record->waiting_reason.empty());
  EXPECT_EQ(d.actions, (std::vector<Action>{{ActionKind::start_phase, Phase::build, 1}}));
}

TEST(ReconcilerTest, ARecordedPhaseThatIsNotRunningIsStartedAgain) {
  auto d =
      decide(in_phase(record(false), JobStatus::building, Phase::build), seen(PhaseState::absent), k_config);
  EXPECT_FALSE(d.record);
  EXPECT_EQ(d.actions, (std::vector<Action>{{ActionKind::start_phase, Phase::build, 1}}));
}

TEST(ReconcilerTest, ARunningPhaseWithinItsDeadlineChangesNothing) {
  auto d = decide(in_phase(record(false), JobStatus::building, Phase::build, 29min),
                  seen(PhaseState::running), k_config);
  EXPECT_FALSE(d.record);
  EXPECT_TRUE(d.actions.empty());
}

TEST(ReconcilerTest, APhasePastItsDeadlineFailsAndIsStopped) {
  auto d = decide(in_phase(record(false), JobStatus::building, Phase::build, 31min),
                  seen(PhaseState::running), k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::failed);
  EXPECT_EQ(d.record->failed_phase, Phase::build);
  EXPECT_EQ(d.record->error, "the build phase passed its deadline of 30m");
  EXPECT_EQ(d.explain_failure, Phase::build);
  EXPECT_EQ(d.record->times.job_end, k_now);
  EXPECT_NE(std::find(d.actions.begin(), d.actions.end(), Action{ActionKind::stop_phase, Phase::build, 1}),
            d.actions.end());
  EXPECT_NE(std::find(d.actions.begin(), d.actions.end(), Action{ActionKind::release_lock, Phase::build, 1}),
            d.actions.end());
  EXPECT_FALSE(d.record->settled);  // the phase still runs and the lock is still ours
}

TEST(ReconcilerTest, AJobThatCannotBePlacedFailsAtThePlacementDeadline) {
  auto early = decide(in_phase(record(false), JobStatus::building, Phase::build, 5min),
                      seen(PhaseState::unplaceable, LockState::ours, "no node has nvidia/gpu"), k_config);
  EXPECT_FALSE(early.record);
  auto late = decide(in_phase(record(false), JobStatus::building, Phase::build, 11min),
                     seen(PhaseState::unplaceable, LockState::ours, "no node has nvidia/gpu"), k_config);
  ASSERT_TRUE(late.record);
  EXPECT_EQ(late.record->error, "the build phase could not be placed within 10m: no node has nvidia/gpu");
}

TEST(ReconcilerTest, ABuildWithoutTestsSucceedsWithTheJobIdAsFirstTag) {
  auto o = seen(PhaseState::succeeded);
  o.result = BuildResult{"sha256:abc", 1234, "deadbeef"};
  auto d = decide(in_phase(record(false), JobStatus::building, Phase::build), o, k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::succeeded);
  EXPECT_EQ(d.record->digest, "sha256:abc");
  EXPECT_EQ(d.record->commit, "deadbeef");
  EXPECT_EQ(d.record->images,
            (std::vector<std::string>{"reg:5000/team/app:3f2b0000-0000-4000-8000-000000000001",
                                      "reg:5000/team/app:latest"}));
  EXPECT_EQ(d.record->times.build_end, k_now - 1s);
  EXPECT_FALSE(d.record->cleanup_for);
  EXPECT_EQ(d.actions, (std::vector<Action>{{ActionKind::release_lock, Phase::build, 1}}));
  EXPECT_FALSE(d.record->settled);

  // Once the lock is back the job is settled and the loop forgets it.
  auto o2 = seen(PhaseState::succeeded, LockState::free);
  auto settled = decide(*d.record, o2, k_config);
  ASSERT_TRUE(settled.record);
  EXPECT_TRUE(settled.record->settled);
  EXPECT_TRUE(settled.actions.empty());
  EXPECT_FALSE(decide(*settled.record, o2, k_config).record);
}

TEST(ReconcilerTest, ABuildWithTestsMovesToTesting) {
  auto o = seen(PhaseState::succeeded);
  o.result = BuildResult{"sha256:abc", 1, ""};
  auto d = decide(in_phase(record(true), JobStatus::building, Phase::build), o, k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::testing);
  EXPECT_EQ(d.record->active_phase, Phase::test);
  EXPECT_EQ(d.record->times.test_start, k_now);
  EXPECT_EQ(d.actions, (std::vector<Action>{{ActionKind::start_phase, Phase::test, 1}}));
}

TEST(ReconcilerTest, ABuildThatWroteNoResultFails) {
  auto d = decide(in_phase(record(false), JobStatus::building, Phase::build), seen(PhaseState::succeeded),
                  k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::failed);
  EXPECT_EQ(d.record->error, "the build phase succeeded but wrote no result (digest)");
}

TEST(ReconcilerTest, PassingTestsLeadToPublishThenSuccess) {
  auto d =
      decide(in_phase(record(true), JobStatus::testing, Phase::test), seen(PhaseState::succeeded), k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::publishing);
  EXPECT_EQ(d.actions, (std::vector<Action>{{ActionKind::start_phase, Phase::publish, 1}}));
  auto done = decide(*d.record, seen(PhaseState::succeeded), k_config);
  ASSERT_TRUE(done.record);
  EXPECT_EQ(done.record->status, JobStatus::succeeded);
  EXPECT_TRUE(done.record->times.publish_end);
  EXPECT_FALSE(done.record->cleanup_for);  // publish removed the temporary tag itself
}

// `sign` without tests: the build pushed to the temp image, publish copies and signs every tag, and the
// record says which images are signed; a failed publish leaves the temp image to cleanup.
TEST(ReconcilerTest, ASignedBuildWithoutTestsIsPublishedAndRecordedAsSigned) {
  auto r = record(false);
  r.request.sign = SignConfig{"file:signing.asc"};
  auto o = seen(PhaseState::succeeded);
  o.result = BuildResult{"sha256:abc", 1, ""};
  auto d = decide(in_phase(r, JobStatus::building, Phase::build), o, k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::publishing);
  EXPECT_EQ(d.actions, (std::vector<Action>{{ActionKind::start_phase, Phase::publish, 1}}));
  auto done = decide(*d.record, seen(PhaseState::succeeded), k_config);
  ASSERT_TRUE(done.record);
  EXPECT_EQ(done.record->status, JobStatus::succeeded);
  EXPECT_EQ(done.record->signed_images, done.record->images);
  EXPECT_EQ(done.record->signed_images.size(), 2u);
  auto failed = decide(*d.record, seen(PhaseState::failed, LockState::ours, "signing failed"), k_config);
  ASSERT_TRUE(failed.record);
  EXPECT_EQ(failed.record->status, JobStatus::failed);
  EXPECT_TRUE(failed.record->signed_images.empty());
  EXPECT_EQ(failed.record->cleanup_for, Phase::publish);
  // Unsigned jobs record no signed images.
  auto plain = decide(in_phase(record(true), JobStatus::publishing, Phase::publish),
                      seen(PhaseState::succeeded), k_config);
  ASSERT_TRUE(plain.record);
  EXPECT_TRUE(plain.record->signed_images.empty());
}

TEST(ReconcilerTest, AFailingTestStopsTheOthersThenCleansTheTempImage) {
  auto d = decide(in_phase(record(true), JobStatus::testing, Phase::test),
                  seen(PhaseState::failed, LockState::ours, "cmd-0: exit code 2"), k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::failed);
  EXPECT_EQ(d.record->failed_phase, Phase::test);
  EXPECT_EQ(d.record->error, "the test phase failed: cmd-0: exit code 2");
  EXPECT_EQ(d.record->cleanup_for, Phase::test);
  EXPECT_EQ(d.explain_failure, Phase::test);
  EXPECT_NE(std::find(d.actions.begin(), d.actions.end(), Action{ActionKind::stop_phase, Phase::test, 1}),
            d.actions.end());
  // The failed observation has no running task, so cleanup starts at once.
  EXPECT_NE(std::find(d.actions.begin(), d.actions.end(), Action{ActionKind::start_phase, Phase::cleanup, 1}),
            d.actions.end());

  auto o = seen(PhaseState::failed, LockState::free);
  o.cleanup = PhaseObservation{.state = PhaseState::running};
  auto waiting = decide(*d.record, o, k_config);
  EXPECT_FALSE(waiting.record);  // nothing to write while cleanup runs
  o.cleanup->state = PhaseState::succeeded;
  auto settled = decide(*d.record, o, k_config);
  ASSERT_TRUE(settled.record);
  EXPECT_TRUE(settled.record->temp_cleaned);
  EXPECT_TRUE(settled.record->settled);
}

TEST(ReconcilerTest, CleanupWaitsUntilTheKilledPhaseHasStopped) {
  auto r = in_phase(record(true), JobStatus::testing, Phase::test);
  r.kill_requested = true;
  auto d = decide(r, seen(PhaseState::running), k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::killed);
  EXPECT_EQ(d.record->error, "killed by a killJob call during the test phase");
  // A failure object as for every other end, so an agent reads one shape: who stopped it, in which phase.
  ASSERT_TRUE(d.record->failure);
  EXPECT_EQ(d.record->failure->failure_class, FailureClass::killed);
  EXPECT_EQ(d.record->failure->phase, "test");
  EXPECT_EQ(d.record->failure->summary, "killed by a killJob call during the test phase");
  EXPECT_EQ(d.actions, (std::vector<Action>{{ActionKind::stop_phase, Phase::test, 1},
                                            {ActionKind::release_lock, Phase::build, 1}}));
  // Still running: no cleanup yet (it would delete the image under a running test).
  auto again = decide(*d.record, seen(PhaseState::running, LockState::free), k_config);
  EXPECT_EQ(again.actions, (std::vector<Action>{{ActionKind::stop_phase, Phase::test, 1}}));
  auto stopped = decide(*d.record, seen(PhaseState::failed, LockState::free), k_config);
  EXPECT_EQ(stopped.actions, (std::vector<Action>{{ActionKind::start_phase, Phase::cleanup, 1}}));
}

TEST(ReconcilerTest, AKilledPendingJobEndsAtOnce) {
  auto r = record(false);
  r.kill_requested = true;
  auto d = decide(r, Observation{.now = k_now, .lock = LockState::other, .lock_holder = "x"}, k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::killed);
  ASSERT_TRUE(d.record->failure);
  EXPECT_EQ(d.record->failure->failure_class, FailureClass::killed);
  EXPECT_EQ(d.record->failure->summary, "killed by a killJob call before it started");
  EXPECT_TRUE(d.record->settled);
  EXPECT_TRUE(d.actions.empty());
}

TEST(ReconcilerTest, ALostPhaseRunsOnceMoreThenFails) {
  auto d =
      decide(in_phase(record(false), JobStatus::building, Phase::build), seen(PhaseState::lost), k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::building);
  EXPECT_EQ(d.record->attempt, 2);
  EXPECT_EQ(d.actions, (std::vector<Action>{{ActionKind::start_phase, Phase::build, 2}}));
  auto twice = decide(*d.record, seen(PhaseState::lost), k_config);
  ASSERT_TRUE(twice.record);
  EXPECT_EQ(twice.record->status, JobStatus::failed);
  EXPECT_NE(twice.record->error.find("lost"), std::string::npos);
}

TEST(ReconcilerTest, APhaseTheExecutorRefusesFailsWithTheReason) {
  auto o = seen(PhaseState::absent);
  o.start_error = "test.vault_secrets: Vault secrets need the Nomad executor";
  auto d = decide(in_phase(record(true), JobStatus::testing, Phase::test), o, k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->status, JobStatus::failed);
  EXPECT_EQ(d.record->error,
            "the test phase could not start: test.vault_secrets: Vault secrets need the Nomad executor");
}

// A multi-platform build's result names each platform's manifest; the record keeps them for getStatus.
TEST(ReconcilerTest, EachPlatformsDigestGoesFromTheBuildResultIntoTheRecord) {
  auto result = parse_build_result(
      R"({"digest": "sha256:index", "size": 10, "commit": "c0ffee",
          "platforms": {"linux/amd64": "sha256:a", "linux/arm64": "sha256:b", "linux/bad": 7}})");
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->platform_digests,
            (std::map<std::string, std::string>{{"linux/amd64", "sha256:a"}, {"linux/arm64", "sha256:b"}}));
  auto o = seen(PhaseState::succeeded);
  o.result = *result;
  auto d = decide(in_phase(record(false), JobStatus::building, Phase::build), o, k_config);
  ASSERT_TRUE(d.record);
  EXPECT_EQ(d.record->digest, "sha256:index");
  EXPECT_EQ(d.record->platform_digests, result->platform_digests);
  const auto status = status_json(*d.record);
  EXPECT_EQ(status.at("platforms"), (json::object{{"linux/amd64", "sha256:a"}, {"linux/arm64", "sha256:b"}}));
  EXPECT_FALSE(status_json(record(false)).contains("platforms"));
}

TEST(ReconcilerTest, TheRecordSurvivesJson) {
  auto o = seen(PhaseState::failed, LockState::ours, "runner: exit code 3");
  auto d = decide(in_phase(record(true), JobStatus::building, Phase::build), o, k_config);
  ASSERT_TRUE(d.record);
  d.record->excerpt = {"STEP 2/3: RUN make", "make: *** [all] Error 3"};
  d.record->platform_digests = {{"linux/amd64", "sha256:a"}, {"linux/arm/v7", "sha256:b"}};
  auto again = parse_job_record(boost::json::serialize(to_json(*d.record)));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *d.record);
}

// decide() row by row against the transition table of docs/architecture.md ("The reconciler's
// transitions"): each row gives a record and what the lock and the executor report, and says the status
// written (or that nothing is written) and the exact actions. Then what a decision adds for the APPLY
// step: the decision once the lock is back, and the deadlines.

// A job in `phase` since `running_for` (the build of a later phase ended when it began).
JobRecord in(JobStatus status, Phase phase, bool with_tests = true, std::chrono::seconds running_for = 60s) {
  return in_phase(record(with_tests), status, phase, running_for);
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
      {"PendingKillRequested", killed(record(false)), lock(LockState::free), JobStatus::killed, {}},
      {"PendingLockFree", record(false), lock(LockState::free), std::nullopt, {k_acquire}},
      {"PendingLockHeldByAnother", record(false), lock(LockState::other, "job-A"), JobStatus::pending, {}},
      {"PendingLockOurs", record(false), lock(LockState::ours), JobStatus::building, {start(Phase::build)}},
      {"ActiveKillRequested",
       killed(in(JobStatus::building, Phase::build)),
       seen(PhaseState::running),
       JobStatus::killed,
       {stop(Phase::build), k_release}},
      {"ActiveExecutorRefused",
       in(JobStatus::testing, Phase::test),
       refused(seen(PhaseState::absent)),
       JobStatus::failed,
       {k_release}},
      {"ActivePhaseAbsent",
       in(JobStatus::testing, Phase::test),
       seen(PhaseState::absent),
       std::nullopt,
       {start(Phase::test)}},
      {"ActiveUnplaceablePastPlacementTimeout",
       in(JobStatus::building, Phase::build, false, 11min),
       seen(PhaseState::unplaceable),
       JobStatus::failed,
       {stop(Phase::build), k_release}},
      {"ActiveRunningPastTimeout",
       in(JobStatus::building, Phase::build, false, 31min),
       seen(PhaseState::running),
       JobStatus::failed,
       {stop(Phase::build), k_release}},
      {"BuildSucceededNoResult",
       in(JobStatus::building, Phase::build, false),
       seen(PhaseState::succeeded),
       JobStatus::failed,
       {stop(Phase::build), k_release}},
      {"BuildSucceededTestsFollow",
       in(JobStatus::building, Phase::build),
       with_result(seen(PhaseState::succeeded)),
       JobStatus::testing,
       {start(Phase::test)}},
      {"BuildSucceededNoTests",
       in(JobStatus::building, Phase::build, false),
       with_result(seen(PhaseState::succeeded)),
       JobStatus::succeeded,
       {k_release}},
      {"TestSucceeded",
       in(JobStatus::testing, Phase::test),
       seen(PhaseState::succeeded),
       JobStatus::publishing,
       {start(Phase::publish)}},
      {"PublishSucceeded",
       in(JobStatus::publishing, Phase::publish),
       seen(PhaseState::succeeded),
       JobStatus::succeeded,
       {k_release}},
      {"ActiveFailed",
       in(JobStatus::testing, Phase::test),
       seen(PhaseState::failed),
       JobStatus::failed,
       {stop(Phase::test), k_release, start(Phase::cleanup)}},
      {"ActiveLostAttemptsLeft",
       in(JobStatus::building, Phase::build),
       seen(PhaseState::lost),
       JobStatus::building,
       {start(Phase::build, 2)}},
      {"ActiveLostNoAttemptsLeft",
       lost_twice,
       seen(PhaseState::lost),
       JobStatus::failed,
       {k_release, start(Phase::cleanup)}},
      {"FinalNotSettled",
       ended(in(JobStatus::testing, Phase::test), JobStatus::killed),
       seen(PhaseState::running),
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
                         [](const ::testing::TestParamInfo<Row>& row) { return row.param.name; });

TEST(DecideOnceReleased, WhenGivingTheLockBackIsAllThatIsLeftTheDecisionAfterItSettlesTheJob) {
  const Decision d = decide(in(JobStatus::building, Phase::build, false),
                            with_result(seen(PhaseState::succeeded)), k_config);
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
      decide(in(JobStatus::building, Phase::build, false, 31min), seen(PhaseState::running), k_config);
  EXPECT_EQ(d.actions, (std::vector<Action>{stop(Phase::build), k_release}));
  EXPECT_FALSE(d.once_released) << "the phase must stop before the job can settle";
}

TEST(DecideDeadlines, ARunningPhaseIsDueAtItsTimeoutOnly) {
  const Decision d =
      decide(in(JobStatus::building, Phase::build, false, 60s), seen(PhaseState::running), k_config);
  EXPECT_EQ(d.deadlines, std::vector<SystemTime>{k_now - 60s + 30min + 1s});
}

TEST(DecideDeadlines, APhaseNotYetSeenRunningIsAlsoDueAtItsPlacementTimeout) {
  const Decision d =
      decide(in(JobStatus::building, Phase::build, false, 60s), seen(PhaseState::pending), k_config);
  EXPECT_EQ(d.deadlines, (std::vector<SystemTime>{k_now - 60s + 30min + 1s, k_now - 60s + 10min + 1s}));
}

TEST(DecideDeadlines, AStartedPhaseCountsFromNowAndAnEndedJobHasNone) {
  const Decision starting = decide(record(false), lock(LockState::ours), k_config);
  EXPECT_EQ(starting.deadlines, (std::vector<SystemTime>{k_now + 30min + 1s, k_now + 10min + 1s}));
  const Decision done = decide(ended(in(JobStatus::testing, Phase::test), JobStatus::killed),
                               seen(PhaseState::running), k_config);
  EXPECT_TRUE(done.deadlines.empty());
}

}  // namespace
}  // namespace nbs::mcpd
