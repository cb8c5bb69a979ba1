#include "common/file_lock.hpp"

#include <gtest/gtest.h>

#include "tests/unit/runner/testutil.hpp"

namespace nbs {
namespace {

using namespace std::chrono_literals;

TEST(FileLockTest, SecondHolderWaitsAndTimesOut) {
  testing::TempDir dir;
  auto path = (dir.path() / "mirror.lock").string();
  auto first = FileLock::acquire(path, 1s);
  ASSERT_TRUE(first);
  // flock locks belong to the open file description, so a second open in this process conflicts too.
  auto second = FileLock::try_acquire(path);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::conflict);
  auto waited = FileLock::acquire(path, 100ms);
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().kind, ErrorKind::timeout);
  { auto released = std::move(*first); }
  EXPECT_TRUE(FileLock::try_acquire(path));
}

TEST(FileLockTest, StopRequestEndsTheWait) {
  testing::TempDir dir;
  auto path = (dir.path() / "x.lock").string();
  auto held = FileLock::acquire(path, 1s);
  ASSERT_TRUE(held);
  ProcessStop stop;
  stop.request();
  auto r = FileLock::acquire(path, 10s, &stop);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
}

}  // namespace
}  // namespace nbs
