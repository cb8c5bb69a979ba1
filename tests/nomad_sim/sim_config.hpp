// The simulator's configuration, fixed at startup and passed by reference (see main.cpp for the flags).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace nbs::nomad_sim {

struct SimConfig {
  std::string listen = "127.0.0.1:4646";
  std::filesystem::path data_dir;
  std::string acl_token;  // empty: ACLs disabled
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;  // set: client certificates signed by it are required (mTLS)
  std::map<std::string, std::filesystem::path> host_volumes;
  std::uint64_t log_max_bytes = std::uint64_t{10} * 1024 * 1024;  // rotation size of task logs
  int log_max_files = 10;
  boost::json::object vault_secrets;  // secret path → its Data, for {{ with secret }}
  std::vector<std::string> namespaces{"default"};
  std::string podman = "podman";
  std::string region = "global";
  std::string datacenter = "dc1";
  std::string node_id = "4f5e7d2a-0a0b-4c1d-9e8f-0123456789ab";
  std::string node_name = "nomad-sim";
  std::string leader = "127.0.0.1:4647";
};

}  // namespace nbs::nomad_sim
