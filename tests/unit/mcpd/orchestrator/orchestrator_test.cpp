// Whole jobs through the orchestrator's watch loop and the local executor, with a fake runner and a
// fake podman standing in for Buildah and containers (the e2e tests use the real ones).
#include "mcpd/orchestrator/orchestrator.hpp"

#include <algorithm>
#include <fstream>
#include <future>
#include <thread>
#include <unistd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jobs/local/file_record_store.hpp"
#include "jobs/local/local_executor.hpp"
#include "mcpd/orchestrator/build_arg_secrets.hpp"
#include "tests/unit/mcpd/orchestrator/job_fixture.hpp"
#include "tests/unit/testutil/test_dir.hpp"
#include "tests/unit/testutil/wait.hpp"

namespace nbs::mcpd {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

std::string testing_read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

class OrchestratorTest : public test_support::JobFixture {
 protected:
  void SetUp() override {
    dir_ = nbs::test_support::fresh_test_dir("nbs-orch-test");
    boot();
  }
  void TearDown() override {
    shut_down();
    fs::remove_all(dir_);
  }

  void boot(OrchestratorConfig config = {}) {
    store_ = *jobs::FileRecordStore::open(dir_ / "records");
    executor_ = test_support::local_executor(dir_, FAKE_RUNNER, TASK_SUPERVISOR);
    config.cache_dir = (dir_ / "cache").string();
    config.stop_grace = 2s;
    orchestrator_ = std::make_unique<Orchestrator>(*executor_, *store_, config, event_sink());
    orchestrator_->start();
  }

  void shut_down() {
    orchestrator_.reset();
    executor_.reset();
    store_.reset();
  }

  fs::path dir_;
  std::unique_ptr<jobs::FileRecordStore> store_;
  std::unique_ptr<jobs::LocalExecutor> executor_;
};

TEST_F(OrchestratorTest, AJobWithTestsIsBuiltTestedAndPublished) {
  const JobRecord submitted =
      submit(job(R"(, "image_tags": ["v1"], "test": {"commands": ["make test"], "entry_point": true})"));
  EXPECT_EQ(submitted.status, JobStatus::pending);
  const JobRecord done = settle(submitted.id);
  EXPECT_EQ(done.status, JobStatus::succeeded) << done.error;
  EXPECT_EQ(done.digest, "sha256:feed");
  EXPECT_EQ(done.image_size, 42u);
  EXPECT_EQ(done.images, (std::vector<std::string>{"reg:5000/team/app:" + done.id, "reg:5000/team/app:v1"}));
  const auto& t = done.times;
  ASSERT_TRUE(t.job_start && t.build_start && t.build_end && t.test_start && t.test_end && t.publish_start &&
              t.publish_end && t.job_end);
  EXPECT_LE(*t.job_start, *t.build_start);
  EXPECT_LE(*t.build_end, *t.test_start);
  EXPECT_LE(*t.test_end, *t.publish_start);
  EXPECT_LE(*t.publish_end, *t.job_end);
  EXPECT_EQ(events_for(done.id),
            (std::vector<std::string>{"build.started", "build.completed", "test.started", "test.completed",
                                      "publish.started", "publish.completed", "job.completed"}));
  EXPECT_TRUE(store_->list("locks/")->empty()) << "the build lock was not released";
  EXPECT_EQ(orchestrator_->executor().list(done.id)->size(), 3u);
}

// Every file under `dir` whose content holds `text`.
std::vector<std::string> files_holding(const fs::path& dir, const std::string& text) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && testing_read(entry.path()).find(text) != std::string::npos) {
      found.push_back(fs::relative(entry.path(), dir).string());
    }
  }
  return found;
}

TEST_F(OrchestratorTest, SecretBuildArgsReachOnlyTheBuildAndAreGoneWhenTheJobEnds) {
  const std::string secret = "npm_s3cret-value-7";
  const fs::path copies = dir_ / "copies";
  fs::create_directories(copies);
  const JobRecord submitted =
      submit(job(R"(, "build_args": {"NPM_TOKEN": ")" + secret +
                 R"(", "FAKE_BUILD_SLEEP_MS": "1000", "FAKE_BUILD_SPEC_COPY": ")" +
                 (copies / "build.json").string() + R"(", "FAKE_PUBLISH_SPEC_COPY": ")" +
                 (copies / "publish.json").string() + R"("}, "secret_build_args": ["NPM_TOKEN"])"));
  EXPECT_EQ(submitted.request.build_args.at("NPM_TOKEN"), "***");
  wait_for_status(submitted.id, JobStatus::building);
  // While the job runs the value is kept apart from its record, in an owner-only file.
  EXPECT_EQ(files_holding(dir_ / "records", secret),
            (std::vector<std::string>{"secrets/" + submitted.id + ".rec"}));
  const JobRecord done = settle(submitted.id);
  EXPECT_EQ(done.status, JobStatus::succeeded) << done.error;
  EXPECT_EQ(done.request.build_args.at("NPM_TOKEN"), "***");
  EXPECT_NE(testing_read(copies / "build.json").find(secret), std::string::npos)
      << "the build did not get it";
  EXPECT_EQ(testing_read(copies / "publish.json").find(secret), std::string::npos);
  fs::remove_all(copies);
  EXPECT_FALSE(*store_->get(secrets_key(submitted.id)));
  EXPECT_EQ(files_holding(dir_, secret), std::vector<std::string>{});
}

// The daemon's build_cache_repository reaches the runner as the resolved cache.registry_ref, under the
// job's image path; the record keeps the request as it was submitted.
TEST_F(OrchestratorTest, TheDaemonsBuildCacheRepositoryReachesTheRunnerSpec) {
  shut_down();
  boot(OrchestratorConfig{.build_cache_repository = "cache.example:5000/nbs"});
  const fs::path copy = dir_ / "build-spec.json";
  const JobRecord done =
      settle(submit(job(R"(, "build_args": {"FAKE_BUILD_SPEC_COPY": ")" + copy.string() + R"("})")).id);
  EXPECT_EQ(done.status, JobStatus::succeeded) << done.error;
  EXPECT_FALSE(done.request.cache);
  const json::value spec = json::parse(testing_read(copy));
  EXPECT_EQ(spec.at("request").at("cache").at("registry_ref"), "cache.example:5000/nbs/team/app");
}

TEST_F(OrchestratorTest, ALongPollIsWokenByTheJobsNextRecordWrite) {
  const JobRecord submitted = submit(job(R"(, "build_args": {"FAKE_BUILD_SLEEP_MS": "1000"})"));
  const JobRecord building = wait_for_status(submitted.id, JobStatus::building);
  std::promise<void> woken;
  const std::uint64_t since = orchestrator_->changes();
  orchestrator_->notify_on_change(submitted.id, since, [&woken] { woken.set_value(); });
  // The next write is the build's end; no other job is involved.
  EXPECT_EQ(woken.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_NE(to_string(orchestrator_->get(submitted.id)->status), to_string(building.status));
  settle(submitted.id);
}

TEST_F(OrchestratorTest, ANotificationAskedForAfterAChangeWakesAtOnce) {
  const JobRecord submitted = submit(job());
  const std::uint64_t before = orchestrator_->changes();
  settle(submitted.id);
  ASSERT_GT(orchestrator_->changes(), before);
  bool woken = false;
  orchestrator_->notify_on_change(submitted.id, before, [&woken] { woken = true; });
  EXPECT_TRUE(woken) << "a change between reading the record and asking to be told was missed";
  bool not_yet = false;
  const auto handle =
      orchestrator_->notify_on_change(submitted.id, orchestrator_->changes(), [&not_yet] { not_yet = true; });
  orchestrator_->cancel_notification(handle);
  EXPECT_FALSE(not_yet);
}

TEST_F(OrchestratorTest, AFinishedRecordIsAnsweredFromMemoryUntilHistoryTrimsIt) {
  const JobRecord done = settle(submit(job()).id);
  // Behind the orchestrator's back: the record is gone from the store, yet a status poll still sees it.
  auto stored = store_->get("jobs/" + done.id);
  ASSERT_TRUE(stored && *stored);
  ASSERT_TRUE(store_->remove("jobs/" + done.id, (*stored)->index));
  auto cached = orchestrator_->get(done.id);
  ASSERT_TRUE(cached) << cached.error().describe();
  EXPECT_EQ(cached->status, JobStatus::succeeded);
  EXPECT_EQ(cached->digest, done.digest);
}

TEST_F(OrchestratorTest, AFinishedRecordBoundToATokenStaysHiddenFromOthersInMemoryToo) {
  auto submitted = orchestrator_->submit(job(), "alice");
  ASSERT_TRUE(submitted);
  JobRecord seen = *submitted;
  for (int i = 0; i < 20 && !seen.settled; ++i) {
    seen = *orchestrator_->wait_for_change(seen.id, seen, 1s);  // as alice: the record carries her token
  }
  ASSERT_TRUE(seen.settled);
  ASSERT_TRUE(orchestrator_->get(submitted->id, "alice"));  // now cached
  auto other = orchestrator_->get(submitted->id, "bob");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().kind, ErrorKind::not_found);
}

TEST_F(OrchestratorTest, BuildProgressIsTheLatestBuildahStepOfARunningBuild) {
  const JobRecord submitted =
      submit(job(R"(, "build_args": {"FAKE_BUILD_SLEEP_MS": "3000", "FAKE_BUILD_STEP": "2/5 RUN make"})"));
  const JobRecord building = wait_for_status(submitted.id, JobStatus::building);
  std::optional<BuildStep> step;
  // Until the runner has logged the step.
  nbs::test_support::wait_until(
      [&] { return (step = orchestrator_->build_progress(*orchestrator_->get(submitted.id))).has_value(); },
      5s, 100ms);
  ASSERT_TRUE(step) << "no step seen while " << to_string(building.status);
  EXPECT_EQ(step->step, 2);
  EXPECT_EQ(step->steps, 5);
  EXPECT_EQ(step->text, "RUN make");
  const JobRecord done = settle(submitted.id);
  EXPECT_FALSE(orchestrator_->build_progress(done)) << "a finished job has no build progress";
}

// The step event's stage is a field of its own: the instruction without the "[stage] " of its text.
TEST_F(OrchestratorTest, BuildProgressNamesTheStageAndTheInstruction) {
  const JobRecord submitted = submit(job(R"(, "build_args": {"FAKE_BUILD_SLEEP_MS": "3000",
      "FAKE_BUILD_STEP": "4/9 [builder] RUN make", "FAKE_BUILD_STAGE": "builder"})"));
  wait_for_status(submitted.id, JobStatus::building);
  std::optional<BuildStep> step;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!step && std::chrono::steady_clock::now() < deadline) {
    step = orchestrator_->build_progress(*orchestrator_->get(submitted.id));
    if (!step) {
      std::this_thread::sleep_for(100ms);  // the runner has not logged the step yet
    }
  }
  ASSERT_TRUE(step);
  EXPECT_EQ(step->step, 4);
  EXPECT_EQ(step->steps, 9);
  EXPECT_EQ(step->stage, "builder");
  EXPECT_EQ(step->instruction, "RUN make");
  EXPECT_EQ(step->text, "[builder] RUN make");
  settle(submitted.id);
}

TEST_F(OrchestratorTest, ABuildFailureKeepsThePhaseAndTheFailingLines) {
  const JobRecord done = settle(submit(job(R"(, "build_args": {"FAKE_BUILD_EXIT": "3"})")).id);
  expect_failed_build_step(done);
  EXPECT_EQ(done.error, "the build phase failed: runner: exit code 3");
  EXPECT_EQ(events_for(done.id), (std::vector<std::string>{"build.started", "build.failed", "job.failed"}));
  EXPECT_TRUE(store_->list("locks/")->empty());
}

TEST_F(OrchestratorTest, AFailingTestFailsTheJobAndRemovesTheTempImage) {
  const JobRecord done = settle(submit(job(R"(, "test": {"commands": ["true", "make fail"]})")).id);
  expect_failed_test(done);
  EXPECT_EQ(done.error, "the test phase failed: cmd-1: exit code 7");
  EXPECT_TRUE(done.cleanup_error.empty()) << done.cleanup_error;
  EXPECT_EQ(orchestrator_->executor().observe({done.id, Phase::cleanup, 1})->state,
            jobs::PhaseState::succeeded);
}

TEST_F(OrchestratorTest, KillDuringTheBuildStopsItAndEndsKilled) {
  const JobRecord submitted =
      submit(job(R"(, "build_args": {"FAKE_BUILD_SLEEP_MS": "30000"}, "test": {"commands": ["x"]})"));
  wait_for_status(submitted.id, JobStatus::building);
  auto killed = orchestrator_->kill(submitted.id);
  ASSERT_TRUE(killed);
  EXPECT_TRUE(killed->kill_requested);
  const JobRecord done = settle(submitted.id);
  EXPECT_EQ(done.status, JobStatus::killed);
  EXPECT_EQ(done.error, "killed by a killJob call during the build phase");
  auto build = orchestrator_->executor().observe({done.id, Phase::build, 1});
  EXPECT_EQ(build->state, jobs::PhaseState::failed);
  EXPECT_EQ(build->tasks[0].message, "stopped (killed by signal 15 (Terminated))");
  EXPECT_TRUE(done.temp_cleaned);
  EXPECT_TRUE(store_->list("locks/")->empty());
}

// Two daemons on one store (replicas): the one asked to kill writes and acts; the other, deciding from
// the record it last wrote, finds its own write refused by the check-and-set and takes the other's.
TEST_F(OrchestratorTest, AKillRecordedByASecondDaemonEndsTheJobForBoth) {
  const JobRecord submitted = submit(job(R"(, "build_args": {"FAKE_BUILD_SLEEP_MS": "30000"})"));
  wait_for_status(submitted.id, JobStatus::building);
  OrchestratorConfig config;
  config.cache_dir = (dir_ / "cache").string();
  config.stop_grace = 2s;
  Orchestrator second(*executor_, *store_, config);
  second.start();
  ASSERT_TRUE(second.kill(submitted.id));
  const JobRecord done = settle(submitted.id);
  EXPECT_EQ(done.status, JobStatus::killed);
  EXPECT_EQ(done.error, "killed by a killJob call during the build phase");
  const auto events = events_for(submitted.id);
  EXPECT_EQ(std::count(events.begin(), events.end(), "job.failed"), 0)
      << "the first daemon recorded the stopped build as its own failure";
  EXPECT_EQ(executor_->list(submitted.id)->size(), 1u);
  EXPECT_TRUE(store_->list("locks/")->empty());
}

TEST_F(OrchestratorTest, TwoJobsForTheSameImageAndBranchRunOneAfterTheOther) {
  const JobRecord first = submit(job(R"(, "build_args": {"FAKE_BUILD_SLEEP_MS": "800"})"));
  wait_for_status(first.id, JobStatus::building);
  const JobRecord second = submit(job());
  const JobRecord waiting = wait_for_status(second.id, JobStatus::pending);
  // It says what it waits for once the watcher has looked at it.
  JobRecord seen = waiting;
  for (int i = 0; i < 20 && seen.waiting_reason.find(first.id) == std::string::npos; ++i) {
    seen = *orchestrator_->wait_for_change(second.id, seen, 200ms);
  }
  EXPECT_NE(seen.waiting_reason.find("waiting for job " + first.id), std::string::npos)
      << seen.waiting_reason;
  const JobRecord a = settle(first.id);
  const JobRecord b = settle(second.id);
  EXPECT_EQ(a.status, JobStatus::succeeded);
  EXPECT_EQ(b.status, JobStatus::succeeded);
  EXPECT_GE(*b.times.build_start, *a.times.build_end);
}

TEST_F(OrchestratorTest, DifferentBranchesBuildInParallel) {
  const JobRecord a =
      submit(job(R"(, "git_ref": "feature-a", "build_args": {"FAKE_BUILD_SLEEP_MS": "800"})"));
  const JobRecord b =
      submit(job(R"(, "git_ref": "feature-b", "build_args": {"FAKE_BUILD_SLEEP_MS": "800"})"));
  wait_for_status(a.id, JobStatus::building);
  wait_for_status(b.id, JobStatus::building);
  EXPECT_EQ(settle(a.id).status, JobStatus::succeeded);
  EXPECT_EQ(settle(b.id).status, JobStatus::succeeded);
}

TEST_F(OrchestratorTest, ARestartedDaemonFinishesTheJob) {
  const JobRecord submitted =
      submit(job(R"(, "build_args": {"FAKE_BUILD_SLEEP_MS": "1500"}, "test": {"commands": ["x"]})"));
  wait_for_status(submitted.id, JobStatus::building);
  shut_down();  // the build keeps running without a daemon
  boot();
  const JobRecord done = settle(submitted.id);
  EXPECT_EQ(done.status, JobStatus::succeeded) << done.error;
  EXPECT_EQ(orchestrator_->executor().list(done.id)->size(), 3u) << "a phase ran twice";
}

TEST_F(OrchestratorTest, APhasePastItsDeadlineFails) {
  const JobRecord done =
      settle(submit(job(R"(, "build_timeout": "1s", "build_args": {"FAKE_BUILD_SLEEP_MS": "20000"})")).id);
  EXPECT_EQ(done.status, JobStatus::failed);
  EXPECT_EQ(done.error, "the build phase passed its deadline of 1s");
  EXPECT_EQ(orchestrator_->executor().observe({done.id, Phase::build, 1})->state, jobs::PhaseState::failed);
}

TEST_F(OrchestratorTest, AnInvalidRequestIsRefusedAndLeavesNothing) {
  auto r = orchestrator_->submit(json::parse(R"({"owner": "", "repo_url": "ftp://x", "bogus": 1})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(r.error().fields.size(), 4u) << r.error().describe();
  EXPECT_TRUE(store_->list("")->empty());
  EXPECT_EQ(orchestrator_->get("not-a-uuid").error().fields[0].path, "job_id");
  EXPECT_EQ(orchestrator_->get("3f2b0000-0000-4000-8000-000000000009").error().kind, ErrorKind::not_found);
}

TEST_F(OrchestratorTest, WhatTheExecutorOrThePolicyRefusesIsAFieldErrorAtSubmit) {
  // The local executor has no Vault; the daemon's policy (here: a stand-in) refuses this owner.
  shut_down();
  OrchestratorConfig config;
  config.admit = [](const JobRequest& request, const std::string& principal) {
    return request.owner == principal ? std::vector<FieldError>{}
                                      : std::vector<FieldError>{{"owner", "must be " + principal}};
  };
  boot(config);
  auto r = orchestrator_->submit(
      job(R"(, "test": {"commands": ["true"], "vault_secrets": [{"path": "kv/data/x", "fields": {"k": "K"}}]})"),
      "alice");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::invalid_argument);
  ASSERT_EQ(r.error().fields.size(), 2u) << r.error().describe();
  EXPECT_EQ(r.error().fields[0].path, "test.vault_secrets");
  EXPECT_EQ(r.error().fields[1].path, "owner");
  EXPECT_TRUE(store_->list("")->empty());
  EXPECT_TRUE(orchestrator_->submit(json::parse(R"({"owner": "alice", "repo_url": "https://h/r.git",
                                                   "registry_url": "reg:5000", "image_name": "a"})"),
                                    "alice"));
}

TEST_F(OrchestratorTest, HistoryListsFinishedJobsNewestFirst) {
  const JobRecord a = settle(submit(job("", "one")).id);
  const JobRecord b = settle(submit(job("", "two")).id);
  auto page = orchestrator_->history("", 10, 0);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->total, 2u);
  EXPECT_EQ(page->jobs[0].id, b.id);
  EXPECT_EQ(page->jobs[1].id, a.id);
  EXPECT_EQ(orchestrator_->history("", 1, 1)->jobs[0].id, a.id);
  EXPECT_EQ(orchestrator_->history("nobody", 10, 0)->total, 0u);
  auto cleaned = orchestrator_->cleanup(a.id);
  ASSERT_TRUE(cleaned);
  EXPECT_EQ(cleaned->removed.size(), 1u);
  EXPECT_TRUE(orchestrator_->executor().list(a.id)->empty());
}

}  // namespace
}  // namespace nbs::mcpd
