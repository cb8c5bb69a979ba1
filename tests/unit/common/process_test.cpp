#include "common/process.hpp"

#include <fstream>
#include <functional>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/process_spawn.hpp"
#include "tests/unit/runner/testutil.hpp"
#include "tests/unit/testutil/wait.hpp"

namespace nbs {
namespace {

using namespace std::chrono_literals;

struct Line {
  LogStream stream;
  std::string text;
  friend bool operator==(const Line&, const Line&) = default;
};

Command sh(std::string script) {
  return Command{.argv = {"/bin/sh", "-c", std::move(script)}};
}

std::vector<Line> run_lines(const Command& c, RunResult* result = nullptr, const RunOptions& o = {}) {
  std::vector<Line> lines;
  auto r = run_process(
      c,
      [&](LogStream s, std::string_view t) {
        lines.push_back({s, std::string(t)});
      },
      o);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (r && result != nullptr) {
    *result = *r;
  }
  return lines;
}

TEST(ProcessTest, KeepsArrivalOrderAndStreamTags) {
  RunResult result;
  auto lines = run_lines(sh("echo one; sleep 0.05; echo two >&2; sleep 0.05; echo three; sleep 0.05; "
                            "printf 'no newline' >&2"),
                         &result);
  std::vector<Line> expected{{LogStream::out, "one"},
                             {LogStream::err, "two"},
                             {LogStream::out, "three"},
                             {LogStream::err, "no newline"}};
  EXPECT_EQ(lines, expected);
  EXPECT_TRUE(result.status.success());
  EXPECT_EQ(result.stopped, StopCause::none);
}

TEST(ProcessTest, ArgvIsNotInterpretedByAShell) {
  auto c = capture_process(Command{.argv = {"/bin/echo", "$(id)", "a;b", "'q'", "*"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->out, "$(id) a;b 'q' *\n");
}

TEST(ProcessTest, ReportsExitCodeAndSignal) {
  auto c = capture_process(sh("exit 3"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status.code, 3);
  EXPECT_EQ(c->status.describe(), "exit code 3");
  auto k = capture_process(sh("kill -9 $$"));
  ASSERT_TRUE(k);
  EXPECT_FALSE(k->status.code);
  EXPECT_EQ(k->status.signal, SIGKILL);
  EXPECT_FALSE(k->status.success());
}

TEST(ProcessTest, MissingProgramIsAnErrorNamingIt) {
  auto r = capture_process(Command{.argv = {"nbs-no-such-program-xyz"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(r.error().message, "nbs-no-such-program-xyz: program not found in PATH");
}

TEST(ProcessTest, BadWorkingDirNamesTheStep) {
  Command c = sh("true");
  c.working_dir = "/nonexistent/dir";
  auto r = capture_process(c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "/bin/sh: chdir: No such file or directory");
}

TEST(ProcessTest, StdinIsDevNullAndWorkingDirApplies) {
  testing::TempDir dir;
  Command c = sh("cat; pwd");
  c.working_dir = dir.path().string();
  auto r = capture_process(c);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(ProcessTest, EnvironmentIsExplicitUnlessInherited) {
  ::setenv("NBS_PROCESS_TEST_SECRET", "parent-value", 1);
  Command c = sh("echo \"[$NBS_PROCESS_TEST_SECRET][$ONLY]\"");
  c.env = std::vector<std::string>{"PATH=/usr/bin:/bin", "ONLY=given"};
  auto r = capture_process(c);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out, "[][given]\n");
  auto inherited = capture_process(sh("echo \"[$NBS_PROCESS_TEST_SECRET]\""));
  ASSERT_TRUE(inherited);
  EXPECT_EQ(inherited->out, "[parent-value]\n");
}

TEST(ProcessTest, ProgramIsSearchedInTheGivenPath) {
  testing::TempDir dir;
  auto tool = dir.write("mytool", "#!/bin/sh\necho from-mytool\n");
  ::chmod(tool.c_str(), 0755);
  Command c{.argv = {"mytool"}, .env = std::vector<std::string>{"PATH=" + dir.path().string()}};
  auto r = capture_process(c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->out, "from-mytool\n");
}

TEST(ProcessTest, ChildRunsInItsOwnProcessGroupWithDefaultSignals) {
  // Field 5 of /proc/self/stat is the process group; SigIgn/SigBlk in status show handlers and mask.
  ::signal(SIGUSR1, SIG_IGN);
  // The masks are read by `exec grep` of its own status: the shell itself blocks every signal for a
  // moment while it forks a child, so reading the shell's status from a child raced with that.
  auto r = capture_process(
      sh("echo $$; cut -d' ' -f5 /proc/$$/stat; exec grep -E '^Sig(Ign|Blk)' /proc/self/status"));
  ::signal(SIGUSR1, SIG_DFL);
  ASSERT_TRUE(r);
  std::istringstream in(r->out);
  std::string pid, pgid, ign, blk;
  std::getline(in, pid);
  std::getline(in, pgid);
  std::getline(in, blk);
  std::getline(in, ign);
  EXPECT_EQ(pid, pgid);
  EXPECT_NE(pid, std::to_string(::getpgrp()));
  EXPECT_EQ(blk, "SigBlk:\t0000000000000000");
  // SIGUSR1 is bit 10 (value 0x200); the shell itself ignores nothing by default in a non-interactive run.
  EXPECT_EQ(ign.find("200"), std::string::npos) << ign;
}

TEST(ProcessTest, ParentFdsWithoutCloexecDoNotLeak) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // deliberately without O_CLOEXEC
  auto r = capture_process(sh("ls /proc/self/fd | sort -n | tr '\\n' ' '"));
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_TRUE(r);
  // 0, 1, 2 and the fd ls uses to read the directory (3); nothing of the parent's.
  EXPECT_EQ(r->out, "0 1 2 3 \n");
}

TEST(ProcessTest, DeadlineStopsTheWholeGroup) {
  testing::TempDir dir;
  auto marker = dir.path() / "grandchild-alive";
  auto pid_file = dir.path() / "grandchild.pid";
  // The grandchild says who it is, then would write the marker after 1 s if the group stop missed it.
  RunResult result;
  RunOptions o{.deadline = std::chrono::steady_clock::now() + 300ms, .kill_grace = 2000ms};
  auto start = std::chrono::steady_clock::now();
  run_lines(
      sh("sh -c 'echo $$ > " + pid_file.string() + "; sleep 1; touch " + marker.string() + "' & sleep 30"),
      &result, o);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.stopped, StopCause::deadline);
  EXPECT_EQ(result.status.signal, SIGTERM);
  EXPECT_LT(took, 1500ms);
  pid_t grandchild = 0;
  ASSERT_TRUE(
      test_support::wait_until([&] { return static_cast<bool>(std::ifstream(pid_file) >> grandchild); }));
  // Gone (or a zombie) soon after the stop; had the stop missed it, it would live on to write the marker.
  EXPECT_TRUE(test_support::wait_until([&] {
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    const auto paren = text.rfind(')');
    return !stat.good() || text.empty() || (paren != std::string::npos && text.substr(paren + 2, 1) == "Z");
  }));
  EXPECT_FALSE(std::filesystem::exists(marker));
}

// Whether `pid` still runs (a zombie waiting for a reaper does not).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) {
    return false;
  }
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!condition() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

pid_t read_pid(const std::filesystem::path& file) {
  std::ifstream in(file);
  pid_t pid = -1;
  in >> pid;
  return pid;
}

// A runner SIGKILLed mid-build (by its node, an operator, a lost allocation) must not leave buildah's
// tree behind: the group of a command that asked for it dies with the parent, grandchildren included.
TEST(ProcessTest, GroupEndsWithAParentKilledBySigkill) {
  testing::TempDir dir;
  const auto pid_file = dir.path() / "grandchild.pid";
  const pid_t parent = fork_clean();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    Command c = sh("sleep 300 & echo $! > " + pid_file.string() + ".new && mv " + pid_file.string() +
                   ".new " + pid_file.string() + "; wait");
    c.group_ends_with_parent = true;
    auto child = spawn_child(c);
    while (child) {
      ::pause();  // until the test SIGKILLs us, holding the child
    }
    ::_exit(1);
  }
  const bool started = wait_for([&] { return std::filesystem::exists(pid_file); }, 10s);
  const pid_t grandchild = started ? read_pid(pid_file) : -1;
  ::kill(parent, SIGKILL);
  ::waitpid(parent, nullptr, 0);
  ASSERT_TRUE(started) << "the command never started";
  ASSERT_GT(grandchild, 0);
  const bool gone = wait_for([&] { return !running(grandchild); }, 10s);
  if (!gone) {
    ::kill(grandchild, SIGKILL);
  }
  EXPECT_TRUE(gone) << "the grandchild " << grandchild << " outlived its SIGKILLed grandparent";
}

// The same group is gone once the command is over: nothing it left running in the background remains.
TEST(ProcessTest, GroupEndsWithTheCommand) {
  Command c = sh("sleep 300 & echo $!");
  c.group_ends_with_parent = true;
  auto lines = run_lines(c);
  ASSERT_EQ(lines.size(), 1u);
  const pid_t background = std::stoi(lines[0].text);
  const bool gone = wait_for([&] { return !running(background); }, 10s);
  if (!gone) {
    ::kill(background, SIGKILL);
  }
  EXPECT_TRUE(gone) << "the background process " << background << " outlived its command";
}

TEST(ProcessTest, SigkillAfterGraceWhenTermIsIgnored) {
  RunResult result;
  RunOptions o{.deadline = std::chrono::steady_clock::now() + 100ms, .kill_grace = 300ms};
  auto lines = run_lines(sh("trap '' TERM; echo ready; while true; do sleep 0.05; done"), &result, o);
  EXPECT_EQ(result.stopped, StopCause::deadline);
  EXPECT_EQ(result.status.signal, SIGKILL);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0].text, "ready");
}

TEST(ProcessTest, StopRequestWaitsForTheDelayThenTerminates) {
  ProcessStop stop;
  RunResult result;
  RunOptions o{.stop = &stop, .stop_delay = 400ms, .kill_grace = 1000ms};
  std::thread requester([&] {
    std::this_thread::sleep_for(100ms);
    stop.request();
  });
  // Finishes on its own 300 ms after the request, inside the delay: not killed.
  auto lines = run_lines(sh("sleep 0.4; echo finished"), &result, o);
  requester.join();
  EXPECT_EQ(result.stopped, StopCause::requested);
  EXPECT_TRUE(result.status.success());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "finished");

  RunResult cut;
  run_lines(sh("sleep 30"), &cut, o);  // already requested: terminated after the delay
  EXPECT_EQ(cut.stopped, StopCause::requested);
  EXPECT_EQ(cut.status.signal, SIGTERM);
}

TEST(ProcessTest, LongLinesArriveInPieces) {
  RunOptions o{.max_line = 10};
  auto lines = run_lines(sh("printf '0123456789abcdef\\n'"), nullptr, o);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "0123456789");
  EXPECT_EQ(lines[1].text, "abcdef");
}

TEST(ProcessTest, RunsAsAnotherUserWhenRoot) {
  if (::geteuid() != 0) {
    GTEST_FAIL() << "this test must run as root (it switches to user nobody)";
  }
  auto nobody = lookup_user("nobody");
  ASSERT_TRUE(nobody);
  Command c = sh("id -u; id -g");
  c.run_as = *nobody;
  auto r = capture_process(c);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->out, std::to_string(nobody->uid) + "\n" + std::to_string(nobody->gid) + "\n");
  EXPECT_FALSE(lookup_user("nbs-no-such-user"));
}

TEST(ProcessTest, FormatArgvQuotesAndMasks) {
  SecretMasker masker;
  masker.add("s3cret-token");
  std::vector<std::string> argv{"buildah", "push", "--creds", "u:s3cret-token", "it's", "a b", ""};
  EXPECT_EQ(format_argv(argv, &masker), "buildah push --creds u:*** 'it'\\''s' 'a b' ''");
  EXPECT_EQ(format_argv({"plain"}), "plain");
}

}  // namespace
}  // namespace nbs
