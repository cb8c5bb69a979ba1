// A task's environment as Nomad builds it (NOMAD_* variables, NOMAD_META_*, the task's Env) and
// Nomad's ${…} interpolation of Env values and driver arguments.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace nbs::nomad_sim {

using EnvMap = std::map<std::string, std::string>;

struct TaskIdentity {
  std::string alloc_id;
  std::string alloc_name;
  std::uint64_t alloc_index = 0;
  std::string job_id;
  std::string job_name;
  std::string parent_job_id;
  std::string group;
  std::string task;
  std::string ns;
  std::string region;
  std::string datacenter;
  std::string node_id;
  std::string node_name;
  std::map<std::string, std::string> meta;  // job ← group ← task, later wins
  std::int64_t cpu = 100;
  std::int64_t memory_mb = 300;
};

// Where the task sees its directories: host paths for raw_exec/exec, /alloc, /local, /secrets in a
// container.
struct TaskDirs {
  std::string alloc_dir;
  std::string task_dir;
  std::string secrets_dir;
};

// NOMAD_* variables, then the task's Env (interpolated) on top.
EnvMap build_task_env(const TaskIdentity& id, const TaskDirs& dirs, const boost::json::object* task_env);

// Replaces ${NAME} (an env entry), ${meta.k}, ${node.unique.id}, ${node.unique.name},
// ${node.datacenter}, ${node.region}; unknown references stay as written, as in Nomad.
std::string interpolate(std::string_view text, const EnvMap& env, const TaskIdentity& id);

// Merged Meta of job, group and task.
std::map<std::string, std::string> merged_meta(const boost::json::object& job,
                                               const boost::json::object& group,
                                               const boost::json::object& task);

}  // namespace nbs::nomad_sim
