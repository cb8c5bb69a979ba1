#include "tests/nomad_sim/test/sim_process.hpp"

#include <chrono>
#include <fstream>
#include <signal.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace nbs::nomad_sim::test {

namespace {

std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> out;
  out.reserve(args.size() + 1);
  for (auto& a : args) {
    out.push_back(a.data());
  }
  out.push_back(nullptr);
  return out;
}

}  // namespace

SimProcess::SimProcess(std::vector<std::string> extra_args) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "nomad-sim-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  work_dir_ = tmpl;
  // Tasks that run as another user must be able to reach their alloc dir below it.
  std::filesystem::permissions(work_dir_, std::filesystem::perms(0755));
  data_dir_ = work_dir_ / "data";
  std::vector<std::string> args = {NOMAD_SIM_BINARY, "--listen", "127.0.0.1:0", "--data-dir",
                                   data_dir_.string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const std::string log = (work_dir_ / "sim.log").string();
  auto argv = c_argv(args);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a test killed by a ctest timeout takes its simulator along
    std::FILE* out = std::freopen(log.c_str(), "w", stdout);
    (void)out;
    ::dup2(::fileno(stdout), 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto addr_file = data_dir_ / "nomad-sim.addr";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(addr_file);
    if (in >> address_ && !address_.empty()) {
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream l(log);
      std::string text((std::istreambuf_iterator<char>(l)), std::istreambuf_iterator<char>());
      throw std::runtime_error("nomad-sim exited at startup: " + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("nomad-sim did not write " + addr_file.string() + " within 10 s");
}

SimProcess::~SimProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 500 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(work_dir_, ec);
}

int run_command(const std::vector<std::string>& argv_in) {
  std::vector<std::string> args = argv_in;
  auto argv = c_argv(args);
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* out = std::freopen("/dev/null", "w", stdout);
    (void)out;
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) {
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string command_output(const std::vector<std::string>& argv_in) {
  std::vector<std::string> args = argv_in;
  auto argv = c_argv(args);
  int fds[2];
  if (::pipe(fds) != 0) {
    return "";
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

}  // namespace nbs::nomad_sim::test
