#include "runner/doctor.hpp"

#include <sys/utsname.h>

#include <gtest/gtest.h>

#include "runner/platforms.hpp"
#include "runner/run_command.hpp"

namespace nbs::runner {
namespace {

TEST(DoctorTest, SubordinateRangeMatchesNameOrUid) {
  std::string file = "alice:100000:65536\nbuild:165536:1000\n1001:300000:65536\nbroken-line\nbuild:x:y\n";
  EXPECT_EQ(subordinate_range(file, "build", 1001), 65536u);  // by uid beats the small named range
  EXPECT_EQ(subordinate_range(file, "alice", 1000), 65536u);
  EXPECT_EQ(subordinate_range(file, "nosub", 1002), 0u);
}

TEST(DoctorTest, ReportPrintsFixesAndVerdict) {
  std::vector<DoctorCheck> checks{
      {"buildah", CheckLevel::ok, "buildah version 1.28.2", ""},
      {"/usr/bin/newuidmap", CheckLevel::fail, "not setuid root", "chmod u+s /usr/bin/newuidmap"},
      {"/dev/fuse", CheckLevel::warn, "missing", "chmod 666 /dev/fuse"}};
  EXPECT_FALSE(build_can_run(checks));
  EXPECT_EQ(format_doctor_report(checks),
            "[ ok ] buildah: buildah version 1.28.2\n"
            "[FAIL] /usr/bin/newuidmap: not setuid root\n"
            "       fix: chmod u+s /usr/bin/newuidmap\n"
            "[warn] /dev/fuse: missing\n"
            "       fix: chmod 666 /dev/fuse\n"
            "a build cannot run on this node\n");
  checks.erase(checks.begin() + 1);
  EXPECT_TRUE(build_can_run(checks));
}

// The last check says which platforms a job's `platforms` may ask of this node, its own first.
TEST(DoctorTest, ListsThePlatformsTheNodeCanBuild) {
  utsname u{};
  ASSERT_EQ(::uname(&u), 0);
  const auto checks = run_doctor({});
  ASSERT_FALSE(checks.empty());
  EXPECT_EQ(checks.back().name, "platforms");
  EXPECT_EQ(checks.back().level, CheckLevel::ok);
  EXPECT_TRUE(checks.back().detail.starts_with(platform_of_machine(u.machine) + " (native)"))
      << checks.back().detail;
}

TEST(RunCommandTest, PodmanTestArgvRunsTheCommandWithShInsideTheImage) {
  std::vector<std::string> expected{"podman", "--root",  "/c/podman", "--runroot", "/w/run",
                                    "run",    "--rm",    "--runtime", "runc",      "--network",
                                    "host",   "r/a:tmp", "sh",        "-c",        "make test; echo $HOME"};
  EXPECT_EQ(podman_test_argv("podman", "/c/podman", "/w/run", "r/a:tmp", "make test; echo $HOME"), expected);
  EXPECT_EQ(podman_test_argv("podman", "/c/podman", "/w/run", "r/a:tmp", "").back(), "r/a:tmp");
}

}  // namespace
}  // namespace nbs::runner
