// The test tasks' report wrapper (k_report_wrapper) run by /bin/sh as a Nomad container driver runs
// it, with its copy directory moved from /alloc/data/nbs-reports to a temporary one: the command's exit
// status is kept, paths with blanks, quotes and $(...) are copied literally and nothing in them runs,
// a missing path is recorded as missing, a directory is copied as a tree.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "jobs/specs/phase_specs.hpp"

namespace nbs::jobs::specs {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ReportWrapper : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nbs-wrapper-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "work");
    fs::create_directories(dir_ / "out" / "logs" / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `/bin/sh -c <wrapper> nbs-test <command> <paths>...` in dir_/work; its exit status.
  int run(const std::string& command, const std::vector<std::string>& paths) {
    std::string script(k_report_wrapper);
    const std::string from = "/alloc/data/nbs-reports";
    const auto at = script.find(from);
    EXPECT_NE(at, std::string::npos);
    script.replace(at, from.size(), (dir_ / "copies").string());
    std::vector<std::string> args{"/bin/sh", "-c", script, "nbs-test", command};
    args.insert(args.end(), paths.begin(), paths.end());
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::vector<char*> argv;
      argv.reserve(args.size() + 1);
      for (auto& a : args) {
        argv.push_back(a.data());
      }
      argv.push_back(nullptr);
      if (::chdir((dir_ / "work").c_str()) == 0) {
        ::execv("/bin/sh", argv.data());
      }
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  fs::path dir_;
};

TEST_F(ReportWrapper, CopiesLiterallyAndKeepsTheExitStatus) {
  const std::string nasty = "a b 'q' \"d\" $(touch pwned) `touch pwned2` ;x";
  const std::string out = (dir_ / "out").string();
  std::ofstream(dir_ / "out" / nasty) << "nasty";
  std::ofstream(dir_ / "out" / "junit.xml") << "<testsuite/>";
  std::ofstream(dir_ / "out" / "logs" / "sub" / "a.txt") << "a";
  const int status = run("echo run > ran; exit 3", {out + "/junit.xml", out + "/" + nasty,
                                                    out + "/nope $(touch pwned3)", out + "/logs/"});
  EXPECT_EQ(status, 3);
  EXPECT_EQ(read(dir_ / "work" / "ran"), "run\n");  // the command is a shell command: it ran
  const fs::path copies = dir_ / "copies";
  EXPECT_EQ(read(copies / "0" / "junit.xml"), "<testsuite/>");
  EXPECT_EQ(read(copies / "1" / nasty), "nasty");
  EXPECT_TRUE(fs::exists(copies / "2.missing"));
  EXPECT_FALSE(fs::exists(copies / "2"));
  EXPECT_EQ(read(copies / "3" / "logs" / "sub" / "a.txt"), "a");
  for (const char* name : {"pwned", "pwned2", "pwned3"}) {
    EXPECT_FALSE(fs::exists(dir_ / "work" / name)) << name;
  }
  for (int n = 0; n < 4; ++n) {
    EXPECT_FALSE(fs::exists(copies / (std::to_string(n) + ".error")))
        << read(copies / (std::to_string(n) + ".error"));
  }
}

TEST_F(ReportWrapper, AnExitInTheCommandStillCopiesAndASuccessStaysOne) {
  std::ofstream(dir_ / "out" / "r.txt") << "r";
  EXPECT_EQ(run("exit 0", {(dir_ / "out" / "r.txt").string()}), 0);
  EXPECT_EQ(read(dir_ / "copies" / "0" / "r.txt"), "r");
  EXPECT_EQ(run("kill -9 $$", {(dir_ / "out" / "r.txt").string()}), 137);
}

TEST_F(ReportWrapper, AnUnreadableFileIsAnErrorWithCpsText) {
  if (::geteuid() == 0) {
    // root reads it anyway; a fifo is what root cannot copy as a report either
    ASSERT_EQ(::mkfifo((dir_ / "out" / "fifo").c_str(), 0600), 0);
    EXPECT_EQ(run("true", {(dir_ / "out" / "fifo").string()}), 0);
    EXPECT_EQ(read(dir_ / "copies" / "0.error"), "not a regular file or a directory\n");
    return;
  }
  std::ofstream(dir_ / "out" / "secret") << "s";
  fs::permissions(dir_ / "out" / "secret", fs::perms::none);
  EXPECT_EQ(run("true", {(dir_ / "out" / "secret").string()}), 0);
  EXPECT_NE(read(dir_ / "copies" / "0.error").find("secret"), std::string::npos);
}

}  // namespace
}  // namespace nbs::jobs::specs
