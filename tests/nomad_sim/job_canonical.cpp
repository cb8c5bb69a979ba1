#include "tests/nomad_sim/job_canonical.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <string_view>

#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

constexpr std::array<std::string_view, 177> k_field_names = {
    "Region",
    "Namespace",
    "ID",
    "Name",
    "Type",
    "Priority",
    "AllAtOnce",
    "Datacenters",
    "NodePool",
    "Constraints",
    "Affinities",
    "Spreads",
    "TaskGroups",
    "Update",
    "Multiregion",
    "Periodic",
    "ParameterizedJob",
    "Reschedule",
    "Migrate",
    "Meta",
    "UI",
    "Stop",
    "ParentID",
    "Dispatched",
    "DispatchIdempotencyToken",
    "Payload",
    "ConsulNamespace",
    "VaultNamespace",
    "NomadTokenID",
    "Status",
    "StatusDescription",
    "Stable",
    "Version",
    "SubmitTime",
    "CreateIndex",
    "ModifyIndex",
    "JobModifyIndex",
    "VersionTag",
    "Job",
    "Submission",
    "EnforceIndex",
    "PolicyOverride",
    "PreserveCounts",
    "EvalPriority",
    "SecretID",
    "Source",
    "Format",
    "VariableFlags",
    "Variables",
    "LTarget",
    "RTarget",
    "Operand",
    "Weight",
    "Attribute",
    "SpreadTarget",
    "Target",
    "Percent",
    "Count",
    "Tasks",
    "Volumes",
    "RestartPolicy",
    "ReschedulePolicy",
    "EphemeralDisk",
    "Networks",
    "Services",
    "ShutdownDelay",
    "Disconnect",
    "Scaling",
    "Consul",
    "StopAfterClientDisconnect",
    "MaxClientDisconnect",
    "PreventRescheduleOnLost",
    "Attempts",
    "Interval",
    "Delay",
    "Mode",
    "RenderTemplates",
    "DelayFunction",
    "MaxDelay",
    "Unlimited",
    "Sticky",
    "SizeMB",
    "ReadOnly",
    "PerAlloc",
    "AccessMode",
    "AttachmentMode",
    "MountOptions",
    "FSType",
    "MountFlags",
    "Driver",
    "User",
    "Config",
    "Env",
    "Resources",
    "KillTimeout",
    "KillSignal",
    "LogConfig",
    "Artifacts",
    "Vault",
    "Templates",
    "DispatchPayload",
    "VolumeMounts",
    "Lifecycle",
    "Leader",
    "Kind",
    "Identity",
    "Identities",
    "Actions",
    "Schedule",
    "CSIPluginConfig",
    "CPU",
    "Cores",
    "MemoryMB",
    "MemoryMaxMB",
    "DiskMB",
    "SecretsMB",
    "Devices",
    "NUMA",
    "MaxFiles",
    "MaxFileSizeMB",
    "Disabled",
    "Enabled",
    "Hook",
    "Sidecar",
    "GetterSource",
    "GetterOptions",
    "GetterHeaders",
    "GetterMode",
    "GetterInsecure",
    "RelativeDest",
    "Chown",
    "SourcePath",
    "DestPath",
    "EmbeddedTmpl",
    "ChangeMode",
    "ChangeSignal",
    "ChangeScript",
    "Once",
    "Splay",
    "Perms",
    "Uid",
    "Gid",
    "LeftDelim",
    "RightDelim",
    "Envvars",
    "Wait",
    "ErrMissingKey",
    "Min",
    "Max",
    "Command",
    "Args",
    "Timeout",
    "FailOnError",
    "Role",
    "Cluster",
    "DisableFile",
    "AllowTokenExpiration",
    "Policies",
    "Audience",
    "File",
    "Filepath",
    "ServiceName",
    "TTL",
    "Volume",
    "Destination",
    "PropagationMode",
    "SELinuxLabel",
    "Path",
    "Items",
    "Lock",
    "LockDelay",
    "Spec",
    "SpecType",
    "ProhibitOverlap",
    "TimeZone",
    "MetaRequired",
    "MetaOptional",
};

// Maps whose keys are data, not field names.
constexpr std::array<std::string_view, 10> k_free_maps = {
    "Meta",          "Env",           "Config",  "Items",   "VariableFlags",
    "GetterOptions", "GetterHeaders", "Details", "Summary", "Payload",
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

const std::map<std::string, std::string_view>& canonical_names() {
  static const std::map<std::string, std::string_view> names = [] {
    std::map<std::string, std::string_view> m;
    for (std::string_view n : k_field_names) {
      m.emplace(lower(n), n);
    }
    return m;
  }();
  return names;
}

bool is_free_map(std::string_view key) {
  return std::find(k_free_maps.begin(), k_free_maps.end(), key) != k_free_maps.end();
}

void normalize_object(json::object& obj) {
  json::object renamed;
  for (auto& [key, value] : obj) {
    const auto it = canonical_names().find(lower(key));
    const std::string name = it == canonical_names().end() ? std::string(key) : std::string(it->second);
    if (name == "Volumes" && value.is_object()) {
      for (auto& [vol_name, vol] : value.get_object()) {
        normalize_keys(vol);
      }
    } else if (!is_free_map(name)) {
      normalize_keys(value);
    }
    renamed[name] = std::move(value);
  }
  obj = std::move(renamed);
}

void set_default(json::object& obj, std::string_view key, json::value v) {
  if (find_field(obj, key) == nullptr) {
    obj[key] = std::move(v);
  }
}

// Fills missing fields of the policy object at `key` from `defaults` (Nomad merges field by field).
void merge_policy(json::object& obj, std::string_view key, const json::object& defaults) {
  json::value* existing = obj.if_contains(key);
  if (existing == nullptr || !existing->is_object()) {
    obj[key] = defaults;
    return;
  }
  for (const auto& [k, v] : defaults) {
    set_default(existing->get_object(), k, v);
  }
}

constexpr std::int64_t k_second = 1'000'000'000;
constexpr std::int64_t k_hour = 3600 * k_second;

void canonicalize_task(json::object& task) {
  json::value* res = task.if_contains("Resources");
  if (res == nullptr || !res->is_object()) {
    task["Resources"] = json::object{};
    res = task.if_contains("Resources");
  }
  json::object& r = res->get_object();
  set_default(r, "Cores", 0);
  set_default(r, "CPU", int_field(r, "Cores") > 0 ? 0 : 100);
  set_default(r, "MemoryMB", 300);
  set_default(task, "KillTimeout", 5 * k_second);
  set_default(task, "KillSignal", "");
  set_default(task, "User", "");
  set_default(task, "Env", nullptr);
  set_default(task, "Templates", nullptr);
  merge_policy(task, "LogConfig", json::object{{"MaxFiles", 10}, {"MaxFileSizeMB", 10}, {"Disabled", false}});
}

void canonicalize_group(json::object& group, const std::string& type) {
  set_default(group, "Count", 1);
  const bool batch = type == "batch" || type == "sysbatch";
  merge_policy(group, "RestartPolicy",
               batch ? json::object{{"Attempts", 3},
                                    {"Interval", 24 * k_hour},
                                    {"Delay", 15 * k_second},
                                    {"Mode", "fail"},
                                    {"RenderTemplates", false}}
                     : json::object{{"Attempts", 2},
                                    {"Interval", k_hour / 2},
                                    {"Delay", 15 * k_second},
                                    {"Mode", "fail"},
                                    {"RenderTemplates", false}});
  if (type == "batch") {
    merge_policy(group, "ReschedulePolicy",
                 json::object{{"Attempts", 1},
                              {"Interval", 24 * k_hour},
                              {"Delay", 5 * k_second},
                              {"DelayFunction", "constant"},
                              {"MaxDelay", 0},
                              {"Unlimited", false}});
  } else if (type == "service") {
    merge_policy(group, "ReschedulePolicy",
                 json::object{{"Attempts", 0},
                              {"Interval", 0},
                              {"Delay", 30 * k_second},
                              {"DelayFunction", "exponential"},
                              {"MaxDelay", k_hour},
                              {"Unlimited", true}});
  }
  merge_policy(group, "EphemeralDisk", json::object{{"Sticky", false}, {"Migrate", false}, {"SizeMB", 300}});
  set_default(group, "Volumes", nullptr);
  set_default(group, "Meta", nullptr);
  if (json::value* tasks = group.if_contains("Tasks"); tasks != nullptr && tasks->is_array()) {
    for (auto& t : tasks->get_array()) {
      if (t.is_object()) {
        canonicalize_task(t.get_object());
      }
    }
  }
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::vector<std::string> validate_task(const json::object& task) {
  std::vector<std::string> errors;
  if (string_field(task, "Driver").empty()) {
    errors.emplace_back("Missing task driver");
  }
  if (int_field(task, "KillTimeout") < 0) {
    errors.emplace_back("KillTimeout must be a positive value");
  }
  return errors;
}

std::vector<std::string> validate_group(const json::object& group) {
  std::vector<std::string> errors;
  if (int_field(group, "Count") < 0) {
    errors.emplace_back("Task group count can't be negative");
  }
  const json::array* tasks = array_field(group, "Tasks");
  if (tasks == nullptr || tasks->empty()) {
    errors.emplace_back("Missing tasks for task group");
    return errors;
  }
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < tasks->size(); ++i) {
    const std::string name = (*tasks)[i].is_object() ? string_field((*tasks)[i].get_object(), "Name") : "";
    if (name.empty()) {
      errors.push_back("Task " + std::to_string(i + 1) + " missing name");
    } else if (const auto it = seen.find(name); it != seen.end()) {
      errors.push_back("Task " + std::to_string(i + 1) + " redefines '" + name + "' from task " +
                       std::to_string(it->second + 1));
    } else {
      seen.emplace(name, i);
    }
  }
  for (const auto& t : *tasks) {
    if (!t.is_object()) {
      continue;
    }
    const auto task_errors = validate_task(t.get_object());
    if (!task_errors.empty()) {
      errors.push_back("Task " + string_field(t.get_object(), "Name") +
                       " validation failed: " + multierror_text(task_errors));
    }
  }
  return errors;
}

}  // namespace

void normalize_keys(json::value& v) {
  if (v.is_object()) {
    normalize_object(v.get_object());
  } else if (v.is_array()) {
    for (auto& e : v.get_array()) {
      normalize_keys(e);
    }
  }
}

void canonicalize_job(json::object& job, const std::string& region) {
  if (string_field(job, "Type").empty()) {
    job["Type"] = "service";
  }
  if (int_field(job, "Priority") == 0) {
    job["Priority"] = 50;
  }
  if (string_field(job, "Region").empty()) {
    job["Region"] = region;
  }
  if (string_field(job, "Namespace").empty()) {
    job["Namespace"] = "default";
  }
  const json::array* dcs = array_field(job, "Datacenters");
  if (dcs == nullptr || dcs->empty()) {
    job["Datacenters"] = json::array{"*"};
  }
  if (string_field(job, "NodePool").empty()) {
    job["NodePool"] = "default";
  }
  if (string_field(job, "Name").empty()) {
    job["Name"] = string_field(job, "ID");
  }
  set_default(job, "AllAtOnce", false);
  set_default(job, "Meta", nullptr);
  set_default(job, "Constraints", nullptr);
  set_default(job, "Affinities", nullptr);
  const std::string type = string_field(job, "Type");
  if (json::value* groups = job.if_contains("TaskGroups"); groups != nullptr && groups->is_array()) {
    for (auto& g : groups->get_array()) {
      if (g.is_object()) {
        canonicalize_group(g.get_object(), type);
      }
    }
  }
}

std::vector<std::string> validate_job(const json::object& job) {
  std::vector<std::string> errors;
  const std::string id = string_field(job, "ID");
  if (id.empty()) {
    errors.emplace_back("Missing job ID");
  } else if (id.find(' ') != std::string::npos) {
    errors.emplace_back("Job ID contains a space");
  } else if (id.find('\0') != std::string::npos) {
    errors.emplace_back("Job ID contains a null character");
  }
  const std::string type = string_field(job, "Type");
  if (type != "service" && type != "batch" && type != "system" && type != "sysbatch") {
    errors.push_back("Invalid job type: " + quoted(type));
  }
  const std::int64_t priority = int_field(job, "Priority");
  if (priority < 1 || priority > 100) {
    errors.emplace_back("Job priority must be between [1, 100]");
  }
  const json::array* groups = array_field(job, "TaskGroups");
  if (groups == nullptr || groups->empty()) {
    errors.emplace_back("Missing job task groups");
    return errors;
  }
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < groups->size(); ++i) {
    const std::string name = (*groups)[i].is_object() ? string_field((*groups)[i].get_object(), "Name") : "";
    if (name.empty()) {
      errors.push_back("Job task group " + std::to_string(i + 1) + " missing name");
    } else if (const auto it = seen.find(name); it != seen.end()) {
      errors.push_back("Job task group " + std::to_string(i + 1) + " redefines '" + name + "' from group " +
                       std::to_string(it->second + 1));
    } else {
      seen.emplace(name, i);
    }
  }
  for (const auto& g : *groups) {
    if (!g.is_object()) {
      continue;
    }
    const auto group_errors = validate_group(g.get_object());
    if (!group_errors.empty()) {
      errors.push_back("Task group " + string_field(g.get_object(), "Name") +
                       " validation failed: " + multierror_text(group_errors));
    }
  }
  return errors;
}

json::object job_spec_only(const json::object& job) {
  json::object spec = job;
  for (std::string_view k :
       {"Stop", "Status", "StatusDescription", "Stable", "Version", "SubmitTime", "CreateIndex",
        "ModifyIndex", "JobModifyIndex", "VersionTag", "ParentID", "Dispatched", "DispatchIdempotencyToken",
        "Payload", "ConsulNamespace", "VaultNamespace", "NomadTokenID"}) {
    spec.erase(k);
  }
  return spec;
}

}  // namespace nbs::nomad_sim
