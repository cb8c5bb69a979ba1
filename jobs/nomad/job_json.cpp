// Job → JSON with Nomad's field names. Empty optional parts are left out, so Nomad's defaults apply
// only where we mean them to (every policy the phases depend on is set explicitly by the builders).
#include <boost/json/array.hpp>

#include "jobs/nomad/job.hpp"

namespace nbs::jobs::nomad {
namespace json = boost::json;

namespace {

std::int64_t ns(Nanoseconds d) {
  return static_cast<std::int64_t>(d.count());
}

void put_string(json::object& o, std::string_view key, const std::string& value) {
  if (!value.empty()) {
    o[key] = value;
  }
}

void put_map(json::object& o, std::string_view key, const StringMap& map) {
  if (map.empty()) {
    return;
  }
  json::object m;
  for (const auto& [k, v] : map) {
    m[k] = v;
  }
  o[key] = std::move(m);
}

template <class T, class Fn>
void put_list(json::object& o, std::string_view key, const std::vector<T>& items, Fn fn) {
  if (items.empty()) {
    return;
  }
  json::array a;
  for (const auto& item : items) {
    a.push_back(fn(item));
  }
  o[key] = std::move(a);
}

json::object constraint_json(const Constraint& c) {
  return {{"LTarget", c.l_target}, {"RTarget", c.r_target}, {"Operand", c.operand}};
}

json::object affinity_json(const Affinity& a) {
  return {{"LTarget", a.l_target}, {"RTarget", a.r_target}, {"Operand", a.operand}, {"Weight", a.weight}};
}

json::object device_json(const RequestedDevice& d) {
  json::object o{{"Name", d.name}, {"Count", d.count}};
  put_list(o, "Constraints", d.constraints, constraint_json);
  return o;
}

json::object resources_json(const Resources& r) {
  json::object o{{"CPU", r.cpu}, {"MemoryMB", r.memory_mb}};
  if (r.memory_max_mb) {
    o["MemoryMaxMB"] = *r.memory_max_mb;
  }
  put_list(o, "Devices", r.devices, device_json);
  return o;
}

json::object template_json(const Template& t) {
  json::object o{{"EmbeddedTmpl", t.embedded_tmpl},
                 {"DestPath", t.dest_path},
                 {"ChangeMode", t.change_mode},
                 {"Envvars", t.envvars},
                 {"ErrMissingKey", t.err_missing_key}};
  put_string(o, "Perms", t.perms);
  if (t.left_delim) {
    o["LeftDelim"] = *t.left_delim;
  }
  if (t.right_delim) {
    o["RightDelim"] = *t.right_delim;
  }
  return o;
}

json::object vault_json(const Vault& v) {
  json::object o{{"ChangeMode", v.change_mode}, {"Env", v.env}, {"DisableFile", v.disable_file}};
  put_string(o, "Role", v.role);
  put_string(o, "Cluster", v.cluster);
  return o;
}

json::object identity_json(const WorkloadIdentity& w) {
  json::object o{{"Name", w.name}};
  if (!w.audience.empty()) {
    o["Audience"] = json::array(w.audience.begin(), w.audience.end());
  }
  if (w.ttl.count() > 0) {
    o["TTL"] = ns(w.ttl);
  }
  put_string(o, "ChangeMode", w.change_mode);
  return o;
}

json::object mount_json(const VolumeMount& m) {
  return {{"Volume", m.volume}, {"Destination", m.destination}, {"ReadOnly", m.read_only}};
}

json::object task_json(const Task& t) {
  json::object o{{"Name", t.name},
                 {"Driver", t.driver},
                 {"Config", t.config},
                 {"Resources", resources_json(t.resources)}};
  put_string(o, "User", t.user);
  put_map(o, "Env", t.env);
  put_list(o, "Templates", t.templates, template_json);
  if (t.vault) {
    o["Vault"] = vault_json(*t.vault);
  }
  put_list(o, "Identities", t.identities, identity_json);
  put_list(o, "VolumeMounts", t.volume_mounts, mount_json);
  put_list(o, "Constraints", t.constraints, constraint_json);
  put_list(o, "Affinities", t.affinities, affinity_json);
  if (t.kill_timeout) {
    o["KillTimeout"] = ns(*t.kill_timeout);
  }
  put_string(o, "KillSignal", t.kill_signal);
  if (t.log_config) {
    o["LogConfig"] = {{"MaxFiles", t.log_config->max_files},
                      {"MaxFileSizeMB", t.log_config->max_file_size_mb}};
  }
  put_map(o, "Meta", t.meta);
  return o;
}

json::object group_json(const TaskGroup& g) {
  json::object o{{"Name", g.name}, {"Count", g.count}};
  put_list(o, "Constraints", g.constraints, constraint_json);
  put_list(o, "Affinities", g.affinities, affinity_json);
  if (!g.volumes.empty()) {
    json::object volumes;
    for (const auto& [key, v] : g.volumes) {
      volumes[key] = {{"Name", v.name}, {"Type", v.type}, {"Source", v.source}, {"ReadOnly", v.read_only}};
    }
    o["Volumes"] = std::move(volumes);
  }
  if (const auto& r = g.restart_policy) {
    o["RestartPolicy"] = {
        {"Attempts", r->attempts}, {"Interval", ns(r->interval)}, {"Delay", ns(r->delay)}, {"Mode", r->mode}};
  }
  if (const auto& r = g.reschedule_policy) {
    o["ReschedulePolicy"] = {{"Attempts", r->attempts},      {"Interval", ns(r->interval)},
                             {"Delay", ns(r->delay)},        {"DelayFunction", r->delay_function},
                             {"MaxDelay", ns(r->max_delay)}, {"Unlimited", r->unlimited}};
  }
  if (const auto& d = g.ephemeral_disk) {
    o["EphemeralDisk"] = {{"SizeMB", d->size_mb}, {"Sticky", d->sticky}, {"Migrate", d->migrate}};
  }
  put_list(o, "Tasks", g.tasks, task_json);
  put_map(o, "Meta", g.meta);
  return o;
}

}  // namespace

json::object to_json(const Job& job) {
  json::object o{{"ID", job.id}, {"Name", job.name.empty() ? job.id : job.name}, {"Type", job.type}};
  put_string(o, "Namespace", job.namespace_name);
  put_string(o, "Region", job.region);
  put_string(o, "NodePool", job.node_pool);
  if (job.priority) {
    o["Priority"] = *job.priority;
  }
  if (!job.datacenters.empty()) {
    o["Datacenters"] = json::array(job.datacenters.begin(), job.datacenters.end());
  }
  put_list(o, "Constraints", job.constraints, constraint_json);
  put_list(o, "Affinities", job.affinities, affinity_json);
  put_list(o, "TaskGroups", job.task_groups, group_json);
  put_map(o, "Meta", job.meta);
  return o;
}

}  // namespace nbs::jobs::nomad
