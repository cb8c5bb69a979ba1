#include "runner/platforms.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "runner/multi_platform_build.hpp"
#include "tests/unit/testutil/test_dir.hpp"

namespace nbs::runner {
namespace {

namespace fs = std::filesystem;

TEST(Platforms, MachineNamesMapToOciPlatforms) {
  EXPECT_EQ(platform_of_machine("x86_64"), "linux/amd64");
  EXPECT_EQ(platform_of_machine("aarch64"), "linux/arm64");
  EXPECT_EQ(platform_of_machine("armv7l"), "linux/arm/v7");
  EXPECT_EQ(platform_of_machine("mips"), "");
}

TEST(Platforms, AVariantRunsWhereItsArchitectureDoes) {
  NodePlatforms node{.native = "linux/amd64", .emulated = {"linux/arm64"}};
  EXPECT_TRUE(node.can_run("linux/amd64"));
  EXPECT_TRUE(node.can_run("linux/amd64/v2"));
  EXPECT_TRUE(node.can_run("linux/arm64/v8"));
  EXPECT_FALSE(node.can_run("linux/s390x"));
  EXPECT_FALSE(node.can_run("linux/arm/v7"));
  EXPECT_EQ(node.describe(), "linux/amd64 (native), linux/arm64 (emulated)");
  EXPECT_FALSE(NodePlatforms{.native = "linux/amd64"}.can_run("linux/arm64"));
}

// Only enabled qemu-* entries count, and none when binfmt_misc as a whole is disabled.
TEST(Platforms, EmulatorsAreTheEnabledQemuEntriesOfBinfmtMisc) {
  const fs::path dir = test_support::fresh_test_dir("binfmt");
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; };
  write("status", "enabled\n");
  write("register", "");
  write("qemu-aarch64", "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n");
  write("qemu-s390x", "disabled\ninterpreter /usr/bin/qemu-s390x\n");
  write("qemu-riscv64", "enabled\n");
  write("python3.11", "enabled\n");
  NodePlatforms node = node_platforms(dir.string());
  EXPECT_EQ(node.emulated, (std::vector<std::string>{"linux/arm64", "linux/riscv64"}));
  write("status", "disabled\n");
  EXPECT_TRUE(node_platforms(dir.string()).emulated.empty());
  EXPECT_TRUE(node_platforms((dir / "absent").string()).emulated.empty());
}

TEST(Platforms, ALineOfOnePlatformsBuildCarriesItsPrefix) {
  auto split = split_platform_prefix("[linux/arm64] STEP 3/5: COPY a /a");
  ASSERT_TRUE(split);
  EXPECT_EQ(split->first, "linux/arm64");
  EXPECT_EQ(split->second, "STEP 3/5: COPY a /a");
  EXPECT_FALSE(split_platform_prefix("STEP 1/2: FROM scratch"));
  EXPECT_FALSE(split_platform_prefix("[1/2] STEP 1/2: FROM scratch AS a"));
  EXPECT_FALSE(split_platform_prefix("[linux/arm64]STEP"));
}

// The tracker follows the first platform (its steps count once, not once per platform); the image
// id every platform's build prints is kept for the removal after the push.
TEST(Platforms, ProgressFollowsTheFirstPlatformAndEveryImageIdIsKept) {
  PlatformOutput output("linux/amd64");
  const std::string id_a(64, 'a');
  const std::string id_b = std::string(63, 'b') + "0";
  EXPECT_EQ(output.for_tracker("[linux/amd64] STEP 1/2: FROM scratch"), "STEP 1/2: FROM scratch");
  EXPECT_EQ(output.for_tracker("[linux/arm64] STEP 1/2: FROM scratch"), std::nullopt);
  EXPECT_EQ(output.for_tracker("Error: building at STEP \"RUN x\": exit status 1"),
            "Error: building at STEP \"RUN x\": exit status 1");
  EXPECT_EQ(output.for_tracker(id_a), id_a);
  EXPECT_EQ(output.for_tracker("[linux/arm64] " + id_b), std::nullopt);
  EXPECT_EQ(output.for_tracker("--> " + std::string(11, 'c')), "--> " + std::string(11, 'c'));
  EXPECT_EQ(output.image_ids(), (std::vector<std::string>{id_a, id_b}));
}

TEST(Platforms, AForeignBinaryIsToldAsSuch) {
  NodePlatforms node{.native = "linux/amd64"};
  const std::string message = foreign_binary_message(
      "process failed to start with error: fork/exec /armbin: exec format errorprocess exited with error",
      {"linux/amd64", "linux/arm64"}, node);
  EXPECT_NE(message.find("another platform"), std::string::npos) << message;
  EXPECT_NE(message.find("linux/amd64 (native)"), std::string::npos) << message;
  EXPECT_EQ(foreign_binary_message("exit status 1", {"linux/arm64"}, node), "");
  EXPECT_EQ(foreign_binary_message("fork/exec /armbin: exec format error", {}, node), "")
      << "without platforms a foreign binary is the Dockerfile's step failing";
}

}  // namespace
}  // namespace nbs::runner
