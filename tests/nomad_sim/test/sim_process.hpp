// Starts the nomad-sim binary for a test: a temp data dir, port 0, waits for the address file, and
// SIGTERM + reap on destruction. The binary path comes from the NOMAD_SIM_BINARY compile definition.
#pragma once

#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace nbs::nomad_sim::test {

class SimProcess {
 public:
  // Extra flags are appended to `--listen 127.0.0.1:0 --data-dir <tmp>`. Throws when the simulator
  // does not come up within 10 s (so a broken simulator fails the test loudly).
  explicit SimProcess(std::vector<std::string> extra_args = {});
  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  const std::string& address() const { return address_; }  // "127.0.0.1:<port>"
  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::filesystem::path& work_dir() const { return work_dir_; }  // scratch space for the test

 private:
  pid_t pid_ = -1;
  std::filesystem::path work_dir_;
  std::filesystem::path data_dir_;
  std::string address_;
};

// Runs argv to completion (no shell); returns the exit code, or -1 when it cannot start.
int run_command(const std::vector<std::string>& argv);

// Runs argv to completion (no shell); returns what it printed on stdout.
std::string command_output(const std::vector<std::string>& argv);

}  // namespace nbs::nomad_sim::test
