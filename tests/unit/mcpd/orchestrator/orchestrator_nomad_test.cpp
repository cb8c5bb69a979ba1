// Whole jobs through the orchestrator with the Nomad executor and the Variables record store against
// tests/nomad_sim, which runs the phase jobs for real: fake_runner as nbs-runner (raw_exec) and a
// script as podman for the test tasks. The same cases as orchestrator_test.cpp where they say
// something about Nomad: the record and the lease live in Nomad Variables, phases are Nomad jobs.
#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jobs/nomad/variables.hpp"
#include "jobs/nomad_executor/nomad_executor.hpp"
#include "jobs/nomad_executor/variables_record_store.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"
#include "tests/unit/jobs/nomad/sim_server.hpp"
#include "tests/unit/mcpd/orchestrator/job_fixture.hpp"
#include "tests/unit/testutil/test_dir.hpp"
#include "tests/unit/testutil/wait.hpp"

namespace nbs::mcpd {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

class OrchestratorNomadTest : public test_support::JobFixture {
 protected:
  OrchestratorNomadTest() {
    settle_limit_ = 60s;
    status_limit_ = 20s;
  }

  void SetUp() override {
    dir_ = nbs::test_support::fresh_test_dir("nbs-orch-nomad");
    fs::create_directories(dir_ / "cache");
    // podman as nomad-sim calls it: prints its arguments; a last argument with "fail" exits 7.
    std::ofstream(dir_ / "podman") << "#!/bin/sh\nlast=\nfor a in \"$@\"; do echo \"$a\"; last=$a; done\n"
                                      "case \"$last\" in *fail*) exit 7;; esac\nexit 0\n";
    ::chmod((dir_ / "podman").c_str(), 0755);
    std::string why;
    sim_ = jobs::nomad::testing::SimServer::start(
        {"--host-volume", "nbs-cache=" + (dir_ / "cache").string(), "--podman", (dir_ / "podman").string()},
        why);
    ASSERT_TRUE(sim_) << why;
    boot();
  }
  void TearDown() override {
    replica_.reset();
    replica_executor_.reset();
    replica_store_.reset();
    shut_down();
    sim_.reset();
    fs::remove_all(dir_);
  }

  void boot() { boot_daemon(executor_, store_, orchestrator_, std::chrono::minutes(1)); }

  // A second daemon on the same Nomad: the other replica, reading the store every `resync`.
  void boot_replica(std::chrono::milliseconds resync) {
    boot_daemon(replica_executor_, replica_store_, replica_, resync);
  }

  void boot_daemon(std::unique_ptr<jobs::NomadExecutor>& executor_out,
                   std::unique_ptr<jobs::VariablesRecordStore>& store_out,
                   std::unique_ptr<Orchestrator>& orchestrator_out, std::chrono::milliseconds resync) {
    const jobs::nomad::EnvMap env{{"NOMAD_ADDR", sim_->address()}};
    jobs::specs::NomadSpecConfig specs;
    specs.runner_driver = jobs::specs::RunnerDriver::raw_exec;
    specs.runner_path = FAKE_RUNNER;
    specs.build_user.clear();
    specs.test_driver = jobs::specs::ContainerDriver::podman;
    specs.cache_dir = (dir_ / "cache").string();
    specs.kill_timeout = 2s;
    auto executor = jobs::NomadExecutor::from_env(env, specs);
    ASSERT_TRUE(executor) << executor.error().message;
    executor_out = std::move(*executor);
    auto store = jobs::VariablesRecordStore::from_env(env);
    ASSERT_TRUE(store) << store.error().message;
    store_out = std::move(*store);
    OrchestratorConfig config;
    config.cache_dir = (dir_ / "cache").string();
    config.stop_grace = 2s;
    // nomad-sim's job list wakes on job changes only, not when an allocation alone changes (Nomad's
    // does, through the job summary): a short idle look keeps the stop cases quick here.
    config.idle_check = idle_check_;
    config.history_resync = resync;
    orchestrator_out = std::make_unique<Orchestrator>(*executor_out, *store_out, config, event_sink());
    orchestrator_out->start();
  }

  void shut_down() {
    orchestrator_.reset();
    executor_.reset();
    store_.reset();
  }

  // /v1 requests nomad-sim has answered since the last reset (GET /sim/stats), and the reset.
  std::pair<std::uint64_t, std::string> sim_stats(const std::string& method = "GET") {
    jobs::nomad::Config config;
    config.address = sim_->address();
    auto client = jobs::nomad::Client::connect(config);
    auto reply = method == "GET" ? client->read_raw("/sim/stats", {})
                                 : client->write_raw(method, "/sim/stats", "", {});
    EXPECT_TRUE(reply && reply->status == 200);
    if (method != "GET") {
      return {};
    }
    const auto o = json::parse(reply->body).as_object();
    return {o.at("total").to_number<std::uint64_t>(), json::serialize(o.at("requests"))};
  }

  std::chrono::milliseconds idle_check_ = 2s;
  fs::path dir_;
  std::unique_ptr<jobs::nomad::testing::SimServer> sim_;
  std::unique_ptr<jobs::VariablesRecordStore> store_;
  std::unique_ptr<jobs::NomadExecutor> executor_;
  std::unique_ptr<jobs::VariablesRecordStore> replica_store_;
  std::unique_ptr<jobs::NomadExecutor> replica_executor_;
  std::unique_ptr<Orchestrator> replica_;
};

TEST_F(OrchestratorNomadTest, AJobWithTestsIsBuiltTestedAndPublishedAsNomadJobs) {
  const JobRecord submitted =
      submit(job(R"(, "image_tags": ["v1"], "test": {"commands": ["make test"], "entry_point": true})"));
  const JobRecord done = settle(submitted.id);
  EXPECT_EQ(done.status, JobStatus::succeeded) << done.error;
  EXPECT_EQ(done.digest, "sha256:feed");
  EXPECT_EQ(done.image_size, 42u);
  EXPECT_EQ(events_for(done.id),
            (std::vector<std::string>{"build.started", "build.completed", "test.started", "test.completed",
                                      "publish.started", "publish.completed", "job.completed"}));
  EXPECT_TRUE(store_->list("locks/")->empty()) << "the build lock was not released";
  auto phases = executor_->list(done.id);
  ASSERT_TRUE(phases);
  EXPECT_EQ(phases->size(), 3u);
  // The record is the Nomad variable nomad-build/jobs/<id>.
  jobs::nomad::Config config;
  config.address = sim_->address();
  auto client = jobs::nomad::Client::connect(config);
  jobs::nomad::Variables vars(*client);
  auto record = vars.read("nomad-build/jobs/" + done.id);
  ASSERT_TRUE(record) << record.error().message;
  EXPECT_NE(record->value.items.at("value").find("\"SUCCEEDED\""), std::string::npos);
}

TEST_F(OrchestratorNomadTest, ABuildFailureKeepsThePhaseAndTheFailingLines) {
  const JobRecord done = settle(submit(job(R"(, "build_args": {"FAKE_BUILD_EXIT": "3"})")).id);
  expect_failed_build_step(done);
  EXPECT_EQ(done.error, "the build phase failed: task runner: exit code 3");
  EXPECT_TRUE(store_->list("locks/")->empty());
}

TEST_F(OrchestratorNomadTest, AFailingTestFailsTheJob) {
  const JobRecord done = settle(submit(job(R"(, "test": {"commands": ["true", "make fail"]})")).id);
  expect_failed_test(done);
}

TEST_F(OrchestratorNomadTest, KillDuringTheBuildStopsTheNomadJob) {
  const JobRecord submitted =
      submit(job(R"(, "build_args": {"FAKE_BUILD_SLEEP_MS": "30000"}, "test": {"commands": ["x"]})"));
  wait_for_status(submitted.id, JobStatus::building);
  ASSERT_TRUE(orchestrator_->kill(submitted.id));
  const JobRecord done = settle(submitted.id);
  EXPECT_EQ(done.status, JobStatus::killed);
  auto build = executor_->observe({done.id, Phase::build, 1});
  ASSERT_TRUE(build);
  EXPECT_EQ(build->state, jobs::PhaseState::failed);
  EXPECT_TRUE(store_->list("locks/")->empty());
}

TEST_F(OrchestratorNomadTest, ARestartedDaemonFinishesTheJobWithoutRunningAPhaseTwice) {
  const JobRecord submitted =
      submit(job(R"(, "build_args": {"FAKE_BUILD_SLEEP_MS": "1500"}, "test": {"commands": ["x"]})"));
  wait_for_status(submitted.id, JobStatus::building);
  shut_down();  // the build keeps running in Nomad without a daemon
  boot();
  const JobRecord done = settle(submitted.id);
  EXPECT_EQ(done.status, JobStatus::succeeded) << done.error;
  EXPECT_EQ(executor_->list(done.id)->size(), 3u) << "a phase ran twice";
}

// Two replicas on one Nomad: the job was submitted to the first, which dies mid-build (its threads stop,
// the build goes on in Nomad). The second, started before the job existed and never asked about it,
// finds it in the store within its resync period and finishes it, without starting a phase again.
TEST_F(OrchestratorNomadTest, AReplicaFinishesTheJobsOfADeadOneWithoutBeingAskedAboutThem) {
  boot_replica(200ms);
  const JobRecord submitted =
      submit(job(R"(, "build_args": {"FAKE_BUILD_SLEEP_MS": "1500"}, "test": {"commands": ["x"]})"));
  wait_for_status(submitted.id, JobStatus::building);
  shut_down();
  ASSERT_TRUE(wait_for_event(submitted.id, "job.completed", 30s)) << "the other replica did not take it over";
  auto events = events_for(submitted.id);
  EXPECT_EQ(std::count(events.begin(), events.end(), "job.completed"), 1);
  EXPECT_EQ(replica_executor_->list(submitted.id)->size(), 3u) << "a phase ran twice";
}

// DESIGN.md: API calls per job grow with its events, not its duration. Everything the daemon asks
// Nomad for one job (records, lease, phases, watch), for a 2 s and an 8 s build, with the default
// idle look (15 s), which neither build outlasts. (Shorter builds can cost fewer: transitions that
// come within milliseconds of each other are seen in one wake.)
TEST_F(OrchestratorNomadTest, NomadRequestsPerJobDoNotGrowWithTheBuildTime) {
  idle_check_ = 15s;
  shut_down();
  boot();
  auto measure = [&](int build_ms) {
    sim_stats("DELETE");
    const JobRecord submitted =
        submit(job(R"(, "build_args": {"FAKE_BUILD_SLEEP_MS": ")" + std::to_string(build_ms) +
                   R"("}, "test": {"commands": ["make test"]})"));
    EXPECT_TRUE(wait_for_event(submitted.id, "job.completed", 60s));
    // The settling writes after the last event; a settled record is answered from memory (no request).
    EXPECT_TRUE(nbs::test_support::wait_until([&] {
      auto record = orchestrator_->get(submitted.id);
      return record && record->settled;
    }));
    return sim_stats();
  };
  const auto [short_total, short_routes] = measure(2000);
  const auto [long_total, long_routes] = measure(8000);
  std::cout << "nomad requests, job with a 2 s build: " << short_total << " " << short_routes << "\n"
            << "nomad requests, job with an 8 s build: " << long_total << " " << long_routes << "\n";
  RecordProperty("requests_job_short_build", static_cast<int>(short_total));
  RecordProperty("requests_job_long_build", static_cast<int>(long_total));
  EXPECT_LE(long_total, short_total + 4);
  // The job list wakes on allocation changes as well (as Nomad's does), so each phase's placement,
  // start and end cost a list answer; only the end costs a look at the phase (allocations, and the
  // result file of a build). The bound is for all three phases, the record and lock writes included
  // (26-28 when written, up to 32 on a loaded machine, where close events reach the watch separately).
  EXPECT_LE(long_total, 40u);
}

}  // namespace
}  // namespace nbs::mcpd
