#include "common/user_access.hpp"

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/unit/testutil/test_dir.hpp"

namespace nbs {
namespace {

namespace fs = std::filesystem;

class UserAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test_support::fresh_test_dir("nbs-access-test");
    ::chmod(dir_.c_str(), 0755);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(UserAccessTest, TheCallingProcessCanUseWhatItOwns) {
  EXPECT_TRUE(check_access(dir_, Access::read_write));
  auto missing = check_access(dir_ / "nope", Access::read);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find((dir_ / "nope").string()), std::string::npos)
      << missing.error().message;
}

// The daemon runs as root and checks as the build user; the test suite runs as root with that user
// (scripts/setup-build-user), and fails rather than skips where it does not.
TEST_F(UserAccessTest, AClosedDirectoryOnTheWayIsNamed) {
  ASSERT_EQ(::geteuid(), 0u) << "this test checks access as another user and needs root";
  auto build = lookup_user("build");
  ASSERT_TRUE(build) << "the build user is missing: run scripts/setup-build-user";
  const fs::path closed = dir_ / "closed";
  fs::create_directories(closed / "state");
  ::chmod(closed.c_str(), 0700);
  auto refused = check_access(closed / "state", Access::execute, *build);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("user 'build' cannot enter " + closed.string()), std::string::npos)
      << refused.error().message;
  ::chmod(closed.c_str(), 0711);
  EXPECT_TRUE(check_access(closed / "state", Access::execute, *build));
  // Enterable but not writable by the build user.
  auto unwritable = check_access(closed / "state", Access::write, *build);
  ASSERT_FALSE(unwritable);
  EXPECT_NE(unwritable.error().message.find("cannot write"), std::string::npos) << unwritable.error().message;
  ::chown((closed / "state").c_str(), build->uid, build->gid);
  EXPECT_TRUE(check_access(closed / "state", Access::read_write, *build));
}

}  // namespace
}  // namespace nbs
