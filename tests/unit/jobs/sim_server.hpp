// Starts tests/nomad_sim (path from the NOMAD_SIM compile definition) on a free loopback port with a
// fresh data directory, and stops it. Our own small launcher: the client's tests share no code with
// the simulator, as Nomad's api/ tests fork a real agent.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace nbs::jobs::nomad::testing {

class SimServer {
 public:
  // Null with `why` set when the simulator did not come up within 15 s.
  static std::unique_ptr<SimServer> start(const std::vector<std::string>& extra_args, std::string& why);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  std::string address() const { return scheme_ + "://" + host_port_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  SimServer() = default;
  pid_t pid_ = -1;
  std::filesystem::path dir_;
  std::string host_port_;
  std::string scheme_ = "http";
};

}  // namespace nbs::jobs::nomad::testing
