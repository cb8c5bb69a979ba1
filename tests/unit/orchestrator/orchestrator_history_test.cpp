// getHistory through the orchestrator: answered from its index of finished jobs, which it builds from the
// record store at start and keeps current through its own writes, the records it reads, history trimming,
// and a periodic look at the store for what other replicas wrote or trimmed. The store is in memory so
// that thousands of records cost no disk writes; a counting store shows what a call asks of it.
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/job_id.hpp"
#include "common/job_request_parser.hpp"
#include "jobs/local/local_executor.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"
#include "tests/unit/orchestrator/record_stores.hpp"
#include "tests/unit/testutil/test_dir.hpp"

namespace nbs::mcpd {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using test_support::CountingStore;
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
    executor_ = std::move(*jobs::LocalExecutor::create(jobs::LocalExecutorConfig{
        .state_dir = dir_, .runner_path = FAKE_RUNNER, .podman_path = FAKE_RUNNER, .poll_interval = 20ms}));
    config.cache_dir = (dir_ / "cache").string();
    orchestrator_ = std::make_unique<Orchestrator>(*executor_, counting_, config);
    orchestrator_->start();
  }

  // A finished, settled record written straight into the store (as another daemon would), ending
  // `minutes` after k_epoch.
  JobRecord finished(const std::string& owner, int minutes, const std::string& token_id = "") {
    JobRecord r;
    r.id = new_job_id();
    r.request = *parse_job_request(json::value{
        {"owner", owner}, {"repo_url", "https://h/r.git"}, {"registry_url", "reg:5000"}, {"image_name", "app"}});
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
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    auto page = orchestrator_->history(owner, 100, 0, token_id);
    while ((!page || page->total != total) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);  // polled: the store is read on the orchestrator's own threads
      page = orchestrator_->history(owner, 100, 0, token_id);
    }
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
  EXPECT_EQ(after.calls() - before.calls(), 0) << "gets " << after.gets - before.gets << ", lists "
                                               << after.lists - before.lists;
}

TEST_F(OrchestratorHistoryTest, CleanupAllTrimsTheOldestRecordsWhateverTheirToken) {
  std::vector<JobRecord> records;
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

}  // namespace
}  // namespace nbs::mcpd
