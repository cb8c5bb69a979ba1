#include "tests/nomad_sim/task_env.hpp"

#include <algorithm>
#include <cctype>

#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

void add_meta(std::map<std::string, std::string>& out, const json::object& owner) {
  if (const json::object* meta = object_field(owner, "Meta")) {
    for (const auto& [k, v] : *meta) {
      out[std::string(k)] = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
    }
  }
}

}  // namespace

std::map<std::string, std::string> merged_meta(const json::object& job, const json::object& group,
                                               const json::object& task) {
  std::map<std::string, std::string> meta;
  add_meta(meta, job);
  add_meta(meta, group);
  add_meta(meta, task);
  return meta;
}

EnvMap build_task_env(const TaskIdentity& id, const TaskDirs& dirs, const json::object* task_env) {
  EnvMap env{
      {"NOMAD_ALLOC_DIR", dirs.alloc_dir},
      {"NOMAD_TASK_DIR", dirs.task_dir},
      {"NOMAD_SECRETS_DIR", dirs.secrets_dir},
      {"NOMAD_ALLOC_ID", id.alloc_id},
      {"NOMAD_SHORT_ALLOC_ID", id.alloc_id.substr(0, 8)},
      {"NOMAD_ALLOC_NAME", id.alloc_name},
      {"NOMAD_ALLOC_INDEX", std::to_string(id.alloc_index)},
      {"NOMAD_JOB_ID", id.job_id},
      {"NOMAD_JOB_NAME", id.job_name},
      {"NOMAD_JOB_PARENT_ID", id.parent_job_id},
      {"NOMAD_GROUP_NAME", id.group},
      {"NOMAD_TASK_NAME", id.task},
      {"NOMAD_NAMESPACE", id.ns},
      {"NOMAD_REGION", id.region},
      {"NOMAD_DC", id.datacenter},
      {"NOMAD_CPU_LIMIT", std::to_string(id.cpu)},
      {"NOMAD_MEMORY_LIMIT", std::to_string(id.memory_mb)},
  };
  for (const auto& [k, v] : id.meta) {
    env["NOMAD_META_" + k] = v;
    env["NOMAD_META_" + upper(k)] = v;
  }
  if (task_env != nullptr) {
    EnvMap base = env;
    for (const auto& [k, v] : *task_env) {
      env[std::string(k)] = interpolate(v.is_string() ? std::string_view(v.get_string()) : "", base, id);
    }
  }
  return env;
}

std::string interpolate(std::string_view text, const EnvMap& env, const TaskIdentity& id) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find("${", pos);
    const std::size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) {
      out += text.substr(pos);
      break;
    }
    out += text.substr(pos, open - pos);
    const std::string name{text.substr(open + 2, close - open - 2)};
    std::string value;
    bool found = true;
    if (const auto it = env.find(name); it != env.end()) {
      value = it->second;
    } else if (name.rfind("meta.", 0) == 0 && id.meta.count(name.substr(5)) != 0) {
      value = id.meta.at(name.substr(5));
    } else if (name == "node.unique.id") {
      value = id.node_id;
    } else if (name == "node.unique.name") {
      value = id.node_name;
    } else if (name == "node.datacenter") {
      value = id.datacenter;
    } else if (name == "node.region") {
      value = id.region;
    } else {
      found = false;
    }
    out += found ? value : std::string(text.substr(open, close - open + 1));
    pos = close + 1;
  }
  return out;
}

}  // namespace nbs::nomad_sim
