// The index of finished jobs behind getHistory, with 10,000 records: every page is compared with the same
// page computed the slow way (filter and sort everything), across owners, tokens, limits and offsets.
#include "mcpd/orchestrator/job_history.hpp"

#include <algorithm>
#include <random>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"
#include "tests/unit/mcpd/orchestrator/record_stores.hpp"

namespace nbs::mcpd {
namespace {

using namespace std::chrono_literals;

const SystemTime k_epoch = SystemTime(std::chrono::hours(500000));
const std::vector<std::string> k_owners = {"alice", "bob", "carol", "dave", "erin", "frank", "grace"};
const std::vector<std::string> k_tokens = {"", "", "tok-a", "tok-b"};  // half of the jobs bound to none

JobRecord record(int n, const std::string& owner, const std::string& token_id, SystemTime end,
                 JobStatus status = JobStatus::succeeded) {
  JobRecord r;
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", n);
  r.id = id;
  r.request.owner = owner;
  r.status = status;
  r.times.job_end = end;
  r.token_id = token_id;
  r.excerpt = {"error: something"};
  return r;
}

class JobHistoryTest : public ::testing::Test {
 protected:
  // 10,000 finished jobs put in random order, their ends drawn from a range narrow enough for ties.
  void SetUp() override {
    std::mt19937 random(13);
    for (int n = 0; n < 10000; ++n) {
      const SystemTime end = k_epoch + std::chrono::seconds(random() % 5000);
      all_.push_back(
          record(n, k_owners[random() % k_owners.size()], k_tokens[random() % k_tokens.size()], end));
    }
    std::vector<JobRecord> shuffled = all_;
    std::shuffle(shuffled.begin(), shuffled.end(), random);
    for (const auto& r : shuffled) {
      history_.put(r, 1);
    }
  }

  // The page computed the slow way.
  JobHistory::Page expected(const std::string& owner, const std::string& token_id, std::size_t limit,
                            std::size_t offset) const {
    std::vector<JobRecord> visible;
    for (const auto& r : all_) {
      if ((owner.empty() || r.request.owner == owner) && (r.token_id.empty() || r.token_id == token_id)) {
        visible.push_back(r);
      }
    }
    std::sort(visible.begin(), visible.end(), [](const JobRecord& a, const JobRecord& b) {
      return a.times.job_end != b.times.job_end ? a.times.job_end > b.times.job_end : a.id < b.id;
    });
    JobHistory::Page page;
    page.total = visible.size();
    for (std::size_t i = offset; i < visible.size() && page.jobs.size() < limit; ++i) {
      page.jobs.push_back(visible[i]);
    }
    return page;
  }

  static std::vector<std::string> ids(const JobHistory::Page& page) {
    std::vector<std::string> out;
    for (const auto& r : page.jobs) {
      out.push_back(r.id);
    }
    return out;
  }

  void expect_same_as_slow_way(const std::string& owner, const std::string& token_id, std::size_t limit,
                               std::size_t offset) {
    const auto page = history_.page(owner, token_id, limit, offset);
    const auto want = expected(owner, token_id, limit, offset);
    EXPECT_EQ(page.total, want.total) << owner << "/" << token_id << " from " << offset;
    EXPECT_EQ(ids(page), ids(want)) << owner << "/" << token_id << " " << limit << " from " << offset;
  }

  std::vector<JobRecord> all_;
  JobHistory history_;
};

TEST_F(JobHistoryTest, EveryPageIsTheSlowWaysPage) {
  for (const std::string owner : {"", "alice", "grace", "nobody"}) {
    for (const std::string token : {"", "tok-a", "tok-b", "tok-unknown"}) {
      const std::size_t total = expected(owner, token, 0, 0).total;
      for (std::size_t offset : {std::size_t{0}, std::size_t{1}, std::size_t{99}, total / 3, total / 2,
                                 total - 1, total, total + 5}) {
        expect_same_as_slow_way(owner, token, 100, offset);
      }
      expect_same_as_slow_way(owner, token, 1, total / 7);
    }
  }
}

TEST_F(JobHistoryTest, APageIsNewestFirstAndCarriesWhatAPageShows) {
  const auto page = history_.page("", "tok-a", 100, 0);
  ASSERT_EQ(page.jobs.size(), 100u);
  for (std::size_t i = 1; i < page.jobs.size(); ++i) {
    EXPECT_GE(page.jobs[i - 1].times.job_end, page.jobs[i].times.job_end);
  }
  JobRecord full = record(30000, "zed", "tok-a", k_epoch + 20000s, JobStatus::failed);
  full.request.repo_url = "https://git.example/zed/app.git";
  full.request.git_ref = "feature";
  full.request.registry_url = "reg.example:5000";
  full.request.image_name = "zed/app";
  full.request.build_args = {{"A", "1"}};
  full.times.job_start = k_epoch;
  full.digest = "sha256:feed";
  full.error = "build: exit 1";
  history_.put(full, 1);
  JobRecord shown = full;
  shown.request = JobRequest{};  // what a page leaves out
  shown.excerpt.clear();
  shown.request.owner = full.request.owner;
  shown.request.repo_url = full.request.repo_url;
  shown.request.git_ref = full.request.git_ref;
  shown.request.registry_url = full.request.registry_url;
  shown.request.image_name = full.request.image_name;
  EXPECT_EQ(history_.page("zed", "tok-a", 1, 0).jobs.at(0), shown);
}

TEST_F(JobHistoryTest, AJobBoundToATokenIsSeenOnlyWithIt) {
  for (const auto& r : history_.page("", "tok-b", 100, 0).jobs) {
    EXPECT_NE(r.token_id, "tok-a");
  }
  for (const auto& r : history_.page("", "", 10000, 0).jobs) {
    EXPECT_EQ(r.token_id, "");
  }
}

TEST_F(JobHistoryTest, TrimmingTakesTheOldestOfAllOwnersAndTokens) {
  auto oldest = history_.beyond(9990);
  std::vector<JobRecord> sorted = all_;
  std::sort(sorted.begin(), sorted.end(), [](const JobRecord& a, const JobRecord& b) {
    return a.times.job_end != b.times.job_end ? a.times.job_end > b.times.job_end : a.id < b.id;
  });
  std::vector<std::string> want;
  for (std::size_t i = 9990; i < sorted.size(); ++i) {
    want.push_back(sorted[i].id);
  }
  EXPECT_EQ(oldest, want);
  EXPECT_TRUE(history_.beyond(10000).empty());
  EXPECT_EQ(history_.beyond(20000).size(), 0u);
  for (const auto& id : oldest) {
    history_.remove(id);
  }
  EXPECT_EQ(history_.size(), 9990u);
  all_.erase(std::remove_if(all_.begin(), all_.end(),
                            [&](const JobRecord& r) { return std::ranges::count(oldest, r.id) > 0; }),
             all_.end());
  expect_same_as_slow_way("", "tok-a", 100, history_.page("", "tok-a", 1, 0).total - 50);
}

TEST_F(JobHistoryTest, ARecordThatChangesOwnerOrStatusMovesWithIt) {
  JobRecord moved = all_[42];
  const std::string from = moved.request.owner;
  moved.request.owner = "zed";
  moved.times.job_end = k_epoch + 10000s;  // newer than all
  history_.put(moved, 2);
  EXPECT_EQ(ids(history_.page("zed", moved.token_id, 10, 0)), std::vector<std::string>{moved.id});
  for (const auto& r : history_.page(from, moved.token_id, 10000, 0).jobs) {
    EXPECT_NE(r.id, moved.id);
  }
  EXPECT_EQ(history_.page("", moved.token_id, 1, 0).jobs[0].id, moved.id);

  JobRecord running = moved;
  running.status = JobStatus::building;
  history_.put(running, 1);  // an older version handed in late changes nothing
  EXPECT_TRUE(history_.contains(moved.id));
  history_.put(running, 3);  // not finished any more: no entry (a record is never rewound, but the
  EXPECT_FALSE(history_.contains(moved.id));  // index follows the store whatever it holds)
  EXPECT_EQ(history_.page("zed", moved.token_id, 10, 0).total, 0u);
  EXPECT_EQ(history_.size(), 9999u);
}

TEST_F(JobHistoryTest, RetainDropsWhatTheListingLacksUnlessPutSinceTheMark) {
  const std::uint64_t mark = history_.mark();
  JobRecord late = record(20000, "alice", "", k_epoch);
  history_.put(late, 1);  // written after the listing was taken
  std::set<std::string> listed;
  for (std::size_t i = 10; i < all_.size(); ++i) {
    listed.insert(all_[i].id);
  }
  history_.retain(listed, mark);
  EXPECT_EQ(history_.size(), 9991u);
  EXPECT_FALSE(history_.contains(all_[0].id));
  EXPECT_TRUE(history_.contains(late.id));
}

// Job 1 failed but is not settled (its replica died before giving its lock back), job 3 still builds:
// both are read at every sync and reported for this daemon to drive.
TEST(JobHistorySync, ReadsWhatItLacksSkipsWhatItIsToldAndDropsWhatIsGone) {
  test_support::MemoryStore memory;
  test_support::CountingStore store(memory);
  JobHistory history;
  std::vector<std::uint64_t> versions;
  for (int n = 0; n < 4; ++n) {
    const JobStatus status = n == 3 ? JobStatus::building : JobStatus::failed;
    JobRecord r = record(n, "alice", "", k_epoch + std::chrono::seconds(n), status);
    r.request = *parse_job_request(boost::json::value{{"owner", "alice"},
                                                      {"repo_url", "https://h/r.git"},
                                                      {"registry_url", "reg:5000"},
                                                      {"image_name", "app"}});
    r.settled = n == 0 || n == 2;
    versions.push_back(*memory.put(record_key(r.id), boost::json::serialize(to_json(r)), 0));
  }
  const std::string ours = record(2, "", "", k_epoch).id;
  auto skip = [&](const std::string& id) { return id == ours; };
  auto never = [] { return false; };
  auto first = sync_history(store, history, skip, never);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(first->read, 3u);
  EXPECT_TRUE(first->unreadable.empty());
  EXPECT_EQ(history.size(), 2u) << "job 2 is skipped, job 3 is not finished";
  const std::vector<std::string> unsettled{record(1, "", "", k_epoch).id, record(3, "", "", k_epoch).id};
  EXPECT_EQ(first->unsettled, unsettled);

  auto again = sync_history(store, history, skip, never);
  EXPECT_EQ(again->read, 2u) << "only the jobs not settled are read again";
  EXPECT_EQ(again->unsettled, unsettled);

  ASSERT_TRUE(memory.remove(record_key(record(0, "", "", k_epoch).id), versions[0]));
  ASSERT_TRUE(memory.put("jobs/broken", "{", 0));
  auto third = sync_history(store, history, skip, never);
  EXPECT_EQ(third->unreadable.size(), 1u);
  EXPECT_EQ(history.size(), 1u) << "another replica's trimming reaches the index";
  EXPECT_TRUE(history.contains(record(1, "", "", k_epoch).id));
}

}  // namespace
}  // namespace nbs::mcpd
