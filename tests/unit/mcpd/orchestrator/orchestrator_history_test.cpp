// getHistory through the orchestrator: answered from its index of finished jobs, which it builds from the
// record store at start and keeps current through its own writes, the records it reads, history trimming,
// and a periodic look at the store for what other replicas wrote or trimmed. The store is in memory so
// that thousands of records cost no disk writes; a counting store shows what a call asks of it.
#include <condition_variable>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/job_id.hpp"
#include "common/job_request_parser.hpp"
#include "jobs/local/local_executor.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"
#include "tests/unit/mcpd/orchestrator/job_fixture.hpp"
#include "tests/unit/mcpd/orchestrator/record_stores.hpp"
#include "tests/unit/testutil/test_dir.hpp"
#include "tests/unit/testutil/wait.hpp"

namespace nbs::mcpd {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using test_support::CountingStore;
using test_support::local_executor;
using test_support::MemoryStore;

const SystemTime k_epoch = SystemTime(std::chrono::hours(500000));

class OrchestratorHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test_support::fresh_test_dir("nbs-history-test"); }
  void TearDown() override {
    orchestrator_.reset();
    executor_.reset();
    fs::remove_all(dir_);
  }

  void boot(OrchestratorConfig config = {}) {
    executor_ = local_executor(dir_, FAKE_RUNNER, TASK_SUPERVISOR);
    config.cache_dir = (dir_ / "cache").string();
    orchestrator_ = std::make_unique<Orchestrator>(*executor_, counting_, config);
    orchestrator_->start();
  }

  // A finished, settled record written straight into the store (as another daemon would), ending
  // `minutes` after k_epoch.
  JobRecord finished(const std::string& owner, int minutes, const std::string& token_id = "") {
    JobRecord r;
    r.id = new_job_id();
    r.request = *parse_job_request(json::value{{"owner", owner},
                                               {"repo_url", "https://h/r.git"},
                                               {"registry_url", "reg:5000"},
                                               {"image_name", "app"}});
    r.status = JobStatus::succeeded;
    r.times.job_start = k_epoch;
    r.times.job_end = k_epoch + std::chrono::minutes(minutes);
    r.settled = true;
    r.token_id = token_id;
    EXPECT_TRUE(memory_.put(record_key(r.id), json::serialize(to_json(r)), 0));
    return r;
  }

  // history() once the orchestrator's view has `total` jobs (it reads the store in the background).
  Orchestrator::HistoryPage history_of(std::size_t total, const std::string& owner = "",
                                       const std::string& token_id = "") {
    auto page = orchestrator_->history(owner, 100, 0, token_id);
    // Polled: the store is read on the orchestrator's own threads.
    test_support::wait_until(
        [&] {
          page = orchestrator_->history(owner, 100, 0, token_id);
          return page && page->total == total;
        },
        20s, 10ms);
    EXPECT_TRUE(page) << page.error().describe();
    EXPECT_EQ(page->total, total);
    return *page;
  }

  fs::path dir_;
  MemoryStore memory_;
  CountingStore counting_{memory_};
  std::unique_ptr<jobs::LocalExecutor> executor_;
  std::unique_ptr<Orchestrator> orchestrator_;
};

TEST_F(OrchestratorHistoryTest, AHistoryPageAsksTheStoreForNothingHoweverManyRecordsThereAre) {
  for (int i = 0; i < 1000; ++i) {
    finished(i % 2 ? "alice" : "bob", i);
  }
  boot();
  history_of(1000);
  const auto before = counting_.mine();
  auto page = orchestrator_->history("alice", 10, 20);
  const auto after = counting_.mine();
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 500u);
  ASSERT_EQ(page->jobs.size(), 10u);
  EXPECT_EQ(page->jobs[0].times.job_end, k_epoch + std::chrono::minutes(999 - 2 * 20));
  EXPECT_EQ(after.calls() - before.calls(), 0)
      << "gets " << after.gets - before.gets << ", lists " << after.lists - before.lists;
}

TEST_F(OrchestratorHistoryTest, CleanupAllTrimsTheOldestRecordsWhateverTheirToken) {
  std::vector<JobRecord> records;
  records.reserve(5);
  for (int i = 0; i < 5; ++i) {
    records.push_back(finished("alice", i, i % 2 ? "tok-a" : "tok-b"));
  }
  OrchestratorConfig config;
  config.history_limit = 3;
  boot(config);
  history_of(2, "", "tok-a");
  auto report = orchestrator_->cleanup_all();
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->jobs, (std::vector<std::string>{records[1].id, records[0].id}));
  EXPECT_FALSE(*memory_.get(record_key(records[0].id)));
  EXPECT_FALSE(*memory_.get(record_key(records[1].id)));
  EXPECT_TRUE(*memory_.get(record_key(records[2].id)));
  auto a = orchestrator_->history("", 10, 0, "tok-a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->total, 1u) << "tok-a keeps its newest";
  EXPECT_EQ(orchestrator_->history("", 10, 0, "tok-b")->total, 2u);
}

TEST_F(OrchestratorHistoryTest, ARecordReadHereIsInTheHistoryAtOnceOneOnlyInTheStoreAfterAResync) {
  finished("alice", 1);
  OrchestratorConfig config;
  config.history_resync = std::chrono::hours(1);
  boot(config);
  history_of(1);
  // Another replica's job, read here by a status poll: in this daemon's history at once.
  const JobRecord read = finished("alice", 2);
  ASSERT_TRUE(orchestrator_->get(read.id));
  EXPECT_EQ(orchestrator_->history("", 10, 0)->jobs.front().id, read.id);
  // One neither read nor written here waits for the next resync: the view lags by up to history_resync.
  finished("bob", 3);
  EXPECT_EQ(orchestrator_->history("", 10, 0)->total, 2u);
}

TEST_F(OrchestratorHistoryTest, WhatAnotherReplicaWritesOrTrimsReachesTheHistoryByTheNextResync) {
  const JobRecord first = finished("alice", 1);
  OrchestratorConfig config;
  config.history_resync = 20ms;
  boot(config);
  history_of(1);
  const JobRecord second = finished("bob", 2, "tok-b");
  EXPECT_EQ(history_of(1, "bob", "tok-b").jobs.front().id, second.id);
  auto stored = memory_.get(record_key(first.id));
  ASSERT_TRUE(memory_.remove(record_key(first.id), (*stored)->index));  // the other replica's trimming
  history_of(0, "alice");
  EXPECT_EQ(history_of(1, "", "tok-b").jobs.front().id, second.id);
}

TEST_F(OrchestratorHistoryTest, AJobThatEndsHereIsInTheHistoryWhenItsFinalStatusIsSeen) {
  boot();
  history_of(0);
  auto submitted = orchestrator_->submit(json::value{{"owner", "carol"},
                                                     {"repo_url", "https://h/r.git"},
                                                     {"registry_url", "reg:5000"},
                                                     {"image_name", "app"}});
  ASSERT_TRUE(submitted) << submitted.error().describe();
  JobRecord seen = *submitted;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!is_terminal(seen.status) && std::chrono::steady_clock::now() < deadline) {
    seen = *orchestrator_->wait_for_change(seen.id, seen, 1s);
  }
  ASSERT_EQ(to_string(seen.status), "SUCCEEDED");
  auto page = orchestrator_->history("carol", 10, 0);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->total, 1u);
  EXPECT_EQ(page->jobs[0].id, seen.id);
}

// Holds the orchestrator's own listing of the store (from any thread but the test's) until released.
class GatedStore : public MemoryStore {
 public:
  Result<std::vector<std::string>> list(const std::string& prefix) override {
    std::unique_lock guard(mutex_);
    opened_.wait(guard, [&] { return open_ || std::this_thread::get_id() == test_thread_; });
    guard.unlock();
    return MemoryStore::list(prefix);
  }
  void open() {
    {
      std::lock_guard guard(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
  const std::thread::id test_thread_ = std::this_thread::get_id();
};

TEST(OrchestratorHistoryLoad, UntilTheStoreIsReadHistoryIsUnavailableAndSaysWhy) {
  const fs::path dir = test_support::fresh_test_dir("nbs-history-load-test");
  GatedStore store;
  auto executor = *jobs::LocalExecutor::create(jobs::LocalExecutorConfig{.state_dir = dir,
                                                                         .runner_path = FAKE_RUNNER,
                                                                         .supervisor_path = TASK_SUPERVISOR,
                                                                         .podman_path = FAKE_RUNNER,
                                                                         .poll_interval = 20ms});
  OrchestratorConfig config;
  config.history_load_wait = 50ms;
  auto orchestrator = std::make_unique<Orchestrator>(*executor, store, config);
  orchestrator->start();
  auto early = orchestrator->history("", 10, 0);
  store.open();
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(
      early.error().message,
      "history: still reading the job records after the daemon's start (0 finished so far); try again in a "
      "few seconds");
  auto later = orchestrator->history("", 10, 0);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!later && std::chrono::steady_clock::now() < deadline) {
    later = orchestrator->history("", 10, 0);  // each call waits up to history_load_wait for the read
  }
  EXPECT_TRUE(later) << later.error().describe();
  orchestrator.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nbs::mcpd
