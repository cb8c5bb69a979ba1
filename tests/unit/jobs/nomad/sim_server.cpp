#include "tests/unit/jobs/nomad/sim_server.hpp"

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "tests/unit/testutil/wait.hpp"

extern char** environ;  // NOLINT: the simulator inherits the test's environment

namespace nbs::jobs::nomad::testing {
namespace fs = std::filesystem;

std::unique_ptr<SimServer> SimServer::start(const std::vector<std::string>& extra_args, std::string& why) {
  std::unique_ptr<SimServer> s(new SimServer());
  std::string tmpl = (fs::temp_directory_path() / "nbs-jobs-sim-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    why = "mkdtemp failed";
    return nullptr;
  }
  s->dir_ = tmpl;
  std::vector<std::string> args = {NOMAD_SIM, "--listen", "127.0.0.1:0", "--data-dir",
                                   (s->dir_ / "data").string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  for (const auto& a : extra_args) {
    if (a == "--tls-cert") {
      s->scheme_ = "https";
    }
  }
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log = (s->dir_ / "sim.log").string();
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = ::posix_spawn(&s->pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    why = std::string("cannot start ") + NOMAD_SIM;
    s->pid_ = -1;
    return nullptr;
  }
  const auto addr_file = s->dir_ / "data" / "nomad-sim.addr";
  bool exited = false;
  const bool listening = test_support::wait_until(
      [&] {
        std::ifstream in(addr_file);
        if (in && std::getline(in, s->host_port_) && !s->host_port_.empty()) {
          return true;
        }
        int status = 0;
        exited = ::waitpid(s->pid_, &status, WNOHANG) == s->pid_;
        return exited;
      },
      std::chrono::seconds(15), std::chrono::milliseconds(20));
  if (exited) {
    s->pid_ = -1;
    why = "nomad-sim exited at start; see " + log;
    return nullptr;
  }
  if (!listening) {
    why = "nomad-sim did not write " + addr_file.string() + " within 15 s";
    return nullptr;
  }
  return s;
}

SimServer::~SimServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    const bool ended = test_support::wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) != 0; },
                                                std::chrono::seconds(5), std::chrono::milliseconds(20));
    if (!ended) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
  std::error_code ec;
  if (std::getenv("NBS_KEEP_SIM_DIR") == nullptr) {
    fs::remove_all(dir_, ec);
  }
}

}  // namespace nbs::jobs::nomad::testing
