// The Nomad job specification we submit (PUT /v1/jobs), as our own wire types: only the fields the
// phase specs use, each emitted only when set, with durations in nanoseconds as Nomad expects.
// Driver Config stays free-form JSON because its keys belong to the driver.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace nbs::jobs::nomad {

using Nanoseconds = std::chrono::nanoseconds;
using StringMap = std::map<std::string, std::string>;

struct Constraint {
  std::string l_target;  // "${attr.kernel.name}"
  std::string r_target;
  std::string operand = "=";
};

struct Affinity {
  std::string l_target;
  std::string r_target;
  std::string operand = "=";
  int weight = 50;  // -100..100; negative: prefer other nodes
};

struct RestartPolicy {
  int attempts = 0;
  Nanoseconds interval{0};
  Nanoseconds delay{0};
  std::string mode = "fail";
};

struct ReschedulePolicy {
  int attempts = 0;
  Nanoseconds interval{0};
  Nanoseconds delay{0};
  std::string delay_function = "constant";
  Nanoseconds max_delay{0};
  bool unlimited = false;
};

struct EphemeralDisk {
  int size_mb = 300;
  bool sticky = false;
  bool migrate = false;
};

struct VolumeRequest {
  std::string name;
  std::string type = "host";
  std::string source;  // the host volume's name on the client
  bool read_only = false;
};

struct VolumeMount {
  std::string volume;  // key of TaskGroup::volumes
  std::string destination;
  bool read_only = false;
};

struct RequestedDevice {
  std::string name;  // "nvidia/gpu"
  std::uint64_t count = 1;
  std::vector<Constraint> constraints;
};

struct Resources {
  int cpu = 100;  // MHz
  int memory_mb = 300;
  std::optional<int> memory_max_mb;
  std::vector<RequestedDevice> devices;
};

struct Template {
  std::string embedded_tmpl;  // the text (HCL `data`)
  std::string dest_path;      // relative to the task dir: "local/spec.json", "secrets/git-token"
  std::string change_mode = "noop";
  std::string perms;     // "0600"; empty: Nomad's 0644
  bool envvars = false;  // parse KEY=VALUE lines into the task environment
  bool err_missing_key = false;
  std::optional<std::string> left_delim;
  std::optional<std::string> right_delim;
};

// Nomad 1.10 Vault integration: a token obtained with the task's workload identity for `role`.
struct Vault {
  std::string role;
  std::string cluster;  // empty: "default"
  std::string change_mode = "noop";
  bool env = false;          // VAULT_TOKEN in the environment
  bool disable_file = true;  // no secrets/vault_token: templates need the token, the task does not
};

struct WorkloadIdentity {
  std::string name;  // "vault_default" for the Vault token of the default cluster
  std::vector<std::string> audience;
  Nanoseconds ttl{0};
  std::string change_mode;
};

struct LogConfig {
  int max_files = 10;
  int max_file_size_mb = 10;
};

struct Task {
  std::string name;
  std::string driver;
  std::string user;
  boost::json::object config;
  StringMap env;
  Resources resources;
  std::vector<Template> templates;
  std::optional<Vault> vault;
  std::vector<WorkloadIdentity> identities;
  std::vector<VolumeMount> volume_mounts;
  std::vector<Constraint> constraints;
  std::vector<Affinity> affinities;
  std::optional<Nanoseconds> kill_timeout;
  std::string kill_signal;
  std::optional<LogConfig> log_config;
  StringMap meta;
};

struct TaskGroup {
  std::string name;
  int count = 1;
  std::vector<Constraint> constraints;
  std::vector<Affinity> affinities;
  std::map<std::string, VolumeRequest> volumes;
  std::optional<RestartPolicy> restart_policy;
  std::optional<ReschedulePolicy> reschedule_policy;
  std::optional<EphemeralDisk> ephemeral_disk;
  std::vector<Task> tasks;
  StringMap meta;
};

struct Job {
  std::string id;
  std::string name;  // empty: the id
  std::string type = "batch";
  std::string namespace_name;
  std::string region;
  std::string node_pool;
  std::optional<int> priority;
  std::vector<std::string> datacenters;
  std::vector<Constraint> constraints;
  std::vector<Affinity> affinities;
  std::vector<TaskGroup> task_groups;
  StringMap meta;
};

// The Job object (not the register wrapper), with Nomad's field names.
boost::json::object to_json(const Job& job);

}  // namespace nbs::jobs::nomad
