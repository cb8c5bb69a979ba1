// What Nomad does to a submitted job before storing it: decode keys case-insensitively (Go's
// encoding/json), fill the register-time defaults of ref §2.2/§3.1–3.3, and validate with Nomad's
// error texts (joined as go-multierror text by the caller, answered as 500).
#pragma once

#include <string>
#include <vector>

#include <boost/json.hpp>

namespace nbs::nomad_sim {

namespace json = boost::json;

// Renames object keys that match a known Nomad field name case-insensitively to its canonical
// spelling, in place. Free-form maps (Meta, Env, Config, Items, …) keep their keys.
void normalize_keys(json::value& v);

// Fills defaults: Type service, Priority 50, Region, Namespace, Datacenters ["*"], NodePool, Name = ID,
// group Count/RestartPolicy/ReschedulePolicy/EphemeralDisk, task Resources/KillTimeout/LogConfig.
void canonicalize_job(json::object& job, const std::string& region);

// Nomad's Job.Validate messages (nested groups/tasks wrapped as Nomad wraps them); empty when valid.
std::vector<std::string> validate_job(const json::object& job);

// The job without server-set fields, to tell whether a re-registration changes anything.
json::object job_spec_only(const json::object& job);

}  // namespace nbs::nomad_sim
