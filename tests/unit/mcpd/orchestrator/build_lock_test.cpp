// The build lock: a lease in the record store, shared by every daemon on that store. Each BuildLock
// here stands for one daemon; a counting store shows what each operation asks the store for.
#include "mcpd/orchestrator/build_lock.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include "jobs/local/file_record_store.hpp"
#include "tests/unit/mcpd/orchestrator/record_stores.hpp"
#include "tests/unit/testutil/test_dir.hpp"

namespace nbs::mcpd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test_support::CountingStore;

class BuildLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = nbs::test_support::fresh_test_dir("nbs-lock-test");
    files_ = *jobs::FileRecordStore::open(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::unique_ptr<jobs::FileRecordStore> files_;
  const std::string key_ = "locks/abc";
  const SystemTime now_ = SystemTime(std::chrono::hours(500000));
};

TEST_F(BuildLockTest, OneHolderAtATimeAndReleaseFreesIt) {
  BuildLock daemon_a(*files_), daemon_b(*files_);
  ASSERT_TRUE(daemon_a.acquire(key_, "job-1", now_, 60s));
  EXPECT_EQ(daemon_a.view(key_, "job-1", now_)->state, LockState::ours);
  auto seen_by_b = daemon_b.view(key_, "job-2", now_);
  EXPECT_EQ(seen_by_b->state, LockState::other);
  EXPECT_EQ(seen_by_b->holder, "job-1");
  auto refused = daemon_b.acquire(key_, "job-2", now_, 60s);
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->state, LockState::other);
  EXPECT_EQ(refused->holder, "job-1");
  EXPECT_EQ(daemon_a.view(key_, "job-1", now_)->state, LockState::ours) << "a refused take changes nothing";
  ASSERT_TRUE(daemon_a.release(key_, "job-1"));
  EXPECT_EQ(daemon_b.view(key_, "job-2", now_)->state, LockState::free);
  EXPECT_EQ(daemon_b.acquire(key_, "job-2", now_, 60s)->state, LockState::ours);
}

TEST_F(BuildLockTest, OwnLeaseCostsOneWriteToTakeRenewAndGiveBack) {
  CountingStore store(*files_);
  BuildLock lock(store);
  ASSERT_EQ(lock.acquire(key_, "job-1", now_, 60s)->state, LockState::ours);
  EXPECT_EQ(store.mine().calls(), 1) << "taking a free lock";
  ASSERT_EQ(lock.acquire(key_, "job-1", now_ + 10s, 60s)->state, LockState::ours);
  EXPECT_EQ(store.mine().calls(), 2) << "renewing";
  EXPECT_EQ(lock.view(key_, "job-1", now_ + 20s)->state, LockState::ours);
  EXPECT_EQ(store.mine().calls(), 2) << "looking at our own lease";
  ASSERT_TRUE(lock.release(key_, "job-1"));
  EXPECT_EQ(store.mine().calls(), 3) << "giving it back";
  EXPECT_EQ(store.mine().gets, 0);
  EXPECT_FALSE(*files_->get(key_)) << "the lease is gone from the store";
}

TEST_F(BuildLockTest, AnExpiredLeaseIsTakenOverAndItsOldHolderLeavesTheNewOneAlone) {
  BuildLock daemon_a(*files_), daemon_b(*files_);
  ASSERT_TRUE(daemon_a.acquire(key_, "job-1", now_, 60s));
  const SystemTime later = now_ + 61s;
  ASSERT_EQ(daemon_b.acquire(key_, "job-2", later, 60s)->state, LockState::ours)
      << "an expired lease counts as free";
  // Daemon A's memory says its lease ran out, so it asks the store and sees the new holder.
  auto seen_by_a = daemon_a.view(key_, "job-1", later);
  EXPECT_EQ(seen_by_a->state, LockState::other);
  EXPECT_EQ(seen_by_a->holder, "job-2");
  ASSERT_TRUE(daemon_a.release(key_, "job-1"));
  EXPECT_EQ(daemon_b.view(key_, "job-2", later)->state, LockState::ours);
  EXPECT_TRUE(*files_->get(key_)) << "job-1's release removed job-2's lease";
}

TEST_F(BuildLockTest, ALeaseChangedBehindOurBackIsReadBeforeRenewing) {
  BuildLock daemon_a(*files_), daemon_b(*files_);
  ASSERT_TRUE(daemon_a.acquire(key_, "job-1", now_, 60s));
  ASSERT_TRUE(daemon_b.acquire(key_, "job-2", now_ + 61s, 600s));
  auto renewed = daemon_a.acquire(key_, "job-1", now_ + 62s, 60s);
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_EQ(renewed->state, LockState::other) << "a stale index must not overwrite another job's lease";
  EXPECT_EQ(renewed->holder, "job-2");
  EXPECT_EQ(daemon_b.view(key_, "job-2", now_ + 62s)->state, LockState::ours);
}

}  // namespace
}  // namespace nbs::mcpd
