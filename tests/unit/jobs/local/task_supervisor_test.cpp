#include "jobs/local/task_supervisor.hpp"

#include <algorithm>
#include <fcntl.h>
#include <fstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/process_spawn.hpp"
#include "tests/unit/testutil/test_dir.hpp"
#include "tests/unit/testutil/wait.hpp"

namespace nbs::jobs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// The state letter of /proc/<pid>/stat ('R', 'S', 'Z', ...); '?' once the process is gone.
char process_state(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '?' : stat[paren + 2];
}

// Waits for `path` to exist until the deadline.
bool wait_for_file(const fs::path& path, std::chrono::milliseconds limit = 10s) {
  return test_support::wait_until([&] { return fs::exists(path); }, limit);
}

class TaskSupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test_support::fresh_test_dir("nbs-supervisor-test"); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  TaskSpawn spawn_of(std::vector<std::string> argv) const {
    return TaskSpawn{.argv = std::move(argv),
                     .env = {"PATH=/usr/bin:/bin"},
                     .work_dir = dir_,
                     .log_path = dir_ / "output.log",
                     .exit_path = dir_ / "exit"};
  }

  // Starts `spawn`, waits for its supervisor (our child) and returns the exit file's status.
  std::optional<ExitStatus> run(const TaskSpawn& spawn) const {
    auto started = spawn_supervised(TASK_SUPERVISOR, spawn);
    EXPECT_TRUE(started) << started.error().message;
    if (!started) {
      return std::nullopt;
    }
    int status = 0;
    EXPECT_EQ(::waitpid(started->supervisor, &status, 0), started->supervisor);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    return read_exit_file(spawn.exit_path);
  }

  fs::path dir_;
};

TEST_F(TaskSupervisorTest, ATaskOutlivesTheDaemonThatStartedItUnderAProgramOfItsOwn) {
  const fs::path go = dir_ / "go";
  ASSERT_EQ(::mkfifo(go.c_str(), 0600), 0);
  int pids[2];
  ASSERT_EQ(::pipe(pids), 0);
  // The "daemon": a child that starts the task and exits at once, as a crashing nbs-mcpd would.
  const pid_t daemon = fork_clean();
  ASSERT_GE(daemon, 0);
  if (daemon == 0) {
    auto started = spawn_supervised(TASK_SUPERVISOR,
                                    spawn_of({"/bin/sh", "-c", "read line < \"$0\"; exit 7", go.string()}));
    const pid_t both[2] = {started ? started->supervisor : -1, started ? started->task : -1};
    (void)!::write(pids[1], both, sizeof both);
    ::_exit(started ? 0 : 1);
  }
  ::close(pids[1]);
  pid_t both[2] = {-1, -1};
  ASSERT_EQ(::read(pids[0], both, sizeof both), static_cast<ssize_t>(sizeof both));
  ::close(pids[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(daemon, &status, 0), daemon);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const auto [supervisor, task] = both;

  // The supervisor is nbs-task-supervisor, not a copy of the daemon sharing its pages; it leads a session
  // of its own and the task leads its own process group.
  std::error_code ec;
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(supervisor) + "/exe", ec),
            fs::canonical(TASK_SUPERVISOR));
  EXPECT_EQ(::getsid(supervisor), supervisor);
  EXPECT_EQ(::getpgid(task), task);
  // The daemon is gone; the task still runs.
  EXPECT_NE(process_state(task), 'Z');
  EXPECT_NE(process_state(task), '?');
  EXPECT_FALSE(fs::exists(dir_ / "exit"));

  // Let it end: open the fifo once the task reads it (ENXIO until then).
  int fd = -1;
  test_support::wait_until([&] { return (fd = ::open(go.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) >= 0; });
  ASSERT_GE(fd, 0) << "the task never read its fifo";
  ASSERT_EQ(::write(fd, "\n", 1), 1);
  ::close(fd);
  ASSERT_TRUE(wait_for_file(dir_ / "exit"));
  const auto exit = read_exit_file(dir_ / "exit");
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 7);
  EXPECT_FALSE(fs::exists(dir_ / "exit.tmp"));
}

TEST_F(TaskSupervisorTest, TheTaskGetsItsEnvironmentWorkDirUserAndExitStatus) {
  const fs::path work = dir_ / "work dir";
  fs::create_directories(work);
  // A descriptor the daemon left inheritable must not reach the task.
  const int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  TaskSpawn spawn =
      spawn_of({"/bin/sh", "-c",
                "pwd; echo \"A=$A\"; echo \"HOME=${HOME-unset}\"; id -u; id -g; "
                "if read x; then echo stdin; else echo no stdin; fi; "
                "if [ -e /proc/$$/fd/$0 ]; then echo leaked; else echo not leaked; fi; echo oops >&2; exit 5",
                std::to_string(leaked)});
  spawn.work_dir = work;
  spawn.env.push_back("A=x y\nz");
  std::string user_lines = std::to_string(::geteuid()) + "\n" + std::to_string(::getegid()) + "\n";
  if (::geteuid() == 0) {  // as root, the task runs as the user it is given
    auto nobody = lookup_user("nobody");
    ASSERT_TRUE(nobody) << nobody.error().message;
    spawn.user = *nobody;
    user_lines = std::to_string(nobody->uid) + "\n" + std::to_string(nobody->gid) + "\n";
  }
  const auto exit = run(spawn);
  ::close(leaked);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 5);
  const std::string log = read_text(dir_ / "output.log");
  const std::string expected_head = work.string() + "\nA=x y\nz\nHOME=unset\n" + user_lines;
  EXPECT_EQ(log.substr(0, expected_head.size()), expected_head) << log;
  EXPECT_NE(log.find("no stdin\nnot leaked\noops\n"), std::string::npos) << log;
  if (spawn.user) {
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "output.log").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, spawn.user->uid);  // the task's user owns its log
  }
}

TEST_F(TaskSupervisorTest, ASignalThatEndsTheTaskIsItsExitStatus) {
  const auto exit = run(spawn_of({"/bin/sh", "-c", "kill -TERM $$"}));
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_EQ(read_text(dir_ / "exit"), "signal 15\n");
}

TEST_F(TaskSupervisorTest, AProgramThatCannotRunExits127WithAMessage) {
  const auto exit = run(spawn_of({"/nonexistent/program"}));
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 127);
  EXPECT_NE(read_text(dir_ / "output.log").find("cannot execute the task's program"), std::string::npos);
}

TEST_F(TaskSupervisorTest, AMissingSupervisorOrARelativeProgramIsAnError) {
  auto missing = spawn_supervised(dir_ / "no-supervisor", spawn_of({"/bin/true"}));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no-supervisor"), std::string::npos) << missing.error().message;
  auto relative = spawn_supervised(TASK_SUPERVISOR, spawn_of({"true"}));
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().message.find("absolute path"), std::string::npos);
}

// A fake podman for the report copying: `cp C:PATH -` tars PATH under $FAKE_ROOT (as podman's archive
// names it: the last path element), or fails as podman does for a missing path; every call is logged.
// It takes the storage's global options first, as the executor gives them.
constexpr std::string_view k_fake_podman = R"sh(#!/bin/sh
echo "$*" >> "$FAKE_LOG"
[ "$1" = --root ] && shift 2
case "$1" in
  cp)
    src=${2#*:}
    if [ -e "$FAKE_ROOT$src" ]; then
      cd "$FAKE_ROOT$(dirname "$src")" && exec tar -cf - "$(basename "$src")"
    fi
    echo "Error: \"$src\" could not be found on container c1: no such file or directory" >&2
    exit 125 ;;
esac
)sh";

TEST_F(TaskSupervisorTest, CopiesTheReportsOutOfTheKeptContainerWithCapsThenRemovesIt) {
  const fs::path root = dir_ / "container";
  fs::create_directories(root / "out" / "dir");
  std::ofstream(root / "out" / "junit.xml") << "<testsuite/>";
  std::ofstream(root / "out" / "big.log")
      << std::string(std::size_t{1536} * 1024, 'b');  // over the 1 MiB cap
  std::ofstream(root / "out" / "dir" / "a.txt") << "a";
  const fs::path podman = dir_ / "podman";
  std::ofstream(podman) << k_fake_podman;
  fs::permissions(podman, fs::perms::owner_all);
  TaskSpawn spawn = spawn_of({"/bin/sh", "-c", "exit 3"});
  spawn.env.push_back("FAKE_LOG=" + (dir_ / "podman.log").string());
  spawn.env.push_back("FAKE_ROOT=" + root.string());
  spawn.reports = {"/out/junit.xml", "/out/nope.xml", "/out/big.log", "/out/dir"};
  spawn.container = "c1";
  spawn.reports_dir = dir_ / "reports";
  spawn.podman = {podman.string(), "--root", (dir_ / "storage").string()};

  auto exit = run(spawn);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 3);  // the test's own exit code, whatever the copying found
  EXPECT_EQ(read_text(dir_ / "reports" / "manifest"),
            "file\t0\t12\t12\t/out/junit.xml\n"
            "missing\t/out/nope.xml\n"
            "file\t1\t1572864\t1048576\t/out/big.log\n"
            "file\t2\t1\t1\t/out/dir/a.txt\n");
  EXPECT_EQ(read_text(dir_ / "reports" / "0"), "<testsuite/>");
  EXPECT_EQ(fs::file_size(dir_ / "reports" / "1"), 1048576u);
  EXPECT_EQ(fs::status(dir_ / "reports" / "1").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  const std::string calls = read_text(dir_ / "podman.log");
  const std::string global = "--root " + (dir_ / "storage").string() + " ";
  EXPECT_NE(calls.find(global + "cp c1:/out/junit.xml -"), std::string::npos) << calls;
  EXPECT_TRUE(calls.ends_with(global + "rm --force --time 0 c1\n")) << calls;  // last, after every copy
}

// The daemon shares the cores with its tasks: they run niced, and so does all they start.
TEST_F(TaskSupervisorTest, ATaskRunsAtTheNicenessItWasGiven) {
  TaskSpawn spawn = spawn_of({"/bin/sh", "-c", "nice; sh -c nice"});
  spawn.nice = 7;
  auto exit = run(spawn);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 0);
  const int expected = std::min(19, ::getpriority(PRIO_PROCESS, 0) + 7);
  EXPECT_EQ(read_text(dir_ / "output.log"),
            std::to_string(expected) + "\n" + std::to_string(expected) + "\n");
}

TEST_F(TaskSupervisorTest, ANicenessOutsideZeroToNineteenIsRefused) {
  TaskSpawn spawn = spawn_of({"/bin/true"});
  spawn.nice = 20;
  EXPECT_FALSE(spawn_supervised(TASK_SUPERVISOR, spawn));
}

TEST_F(TaskSupervisorTest, ReportsNeedTheContainerAndAReportsDir) {
  TaskSpawn spawn = spawn_of({"/bin/true"});
  spawn.reports = {"/out/junit.xml"};
  spawn.podman = {"/usr/bin/podman"};
  auto started = spawn_supervised(TASK_SUPERVISOR, spawn);
  EXPECT_FALSE(started);
}

}  // namespace
}  // namespace nbs::jobs
