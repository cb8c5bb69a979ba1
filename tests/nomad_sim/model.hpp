// The simulator's state records (allocations, task states and events, evaluations, variables) and
// their JSON as Nomad 1.10 encodes them (ref §2.5–2.9): every field present, nil slices as null.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <boost/json.hpp>

namespace nbs::nomad_sim {

namespace json = boost::json;

struct TaskEvent {
  std::string type;
  std::int64_t time = 0;  // unix ns
  std::string message;
  std::string display_message;
  std::map<std::string, std::string> details;
  bool fails_task = false;
  std::string restart_reason;
  std::string setup_error;
  std::string driver_error;
  int exit_code = 0;
  int signal = 0;
  std::int64_t kill_timeout = 0;  // ns
  std::string kill_reason;
  std::int64_t start_delay = 0;  // ns
  std::string failed_sibling;
  std::string validation_error;
};

struct TaskState {
  std::string state = "pending";  // pending | running | dead
  bool failed = false;
  std::uint64_t restarts = 0;
  std::int64_t last_restart = 0;  // unix ns, 0 = zero time
  std::int64_t started_at = 0;
  std::int64_t finished_at = 0;
  std::vector<TaskEvent> events;
};

struct Allocation {
  std::string id;
  std::string eval_id;
  std::string name;
  std::string ns;
  std::string node_id;
  std::string node_name;
  std::string job_id;
  json::object job;  // the job at this alloc's version
  std::string task_group;
  std::uint64_t alloc_index = 0;  // the [n] of the name
  std::string desired_status = "run";
  std::string desired_description;
  std::string client_status = "pending";
  std::string client_description;
  std::map<std::string, TaskState> task_states;
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
  std::uint64_t alloc_modify_index = 0;
  std::int64_t create_time = 0;
  std::int64_t modify_time = 0;

  // Terminal per ref §2.6: desired stop/evict or client complete/failed/lost.
  bool terminal() const;
};

struct Evaluation {
  std::string id;
  std::string ns;
  int priority = 50;
  std::string type;
  std::string triggered_by;
  std::string job_id;
  std::uint64_t job_modify_index = 0;
  std::string node_id;
  std::string status;
  std::string status_description;
  std::string previous_eval;
  std::string blocked_eval;
  json::value failed_tg_allocs;  // null or {tg: AllocMetric}
  json::value queued_allocations;
  std::uint64_t snapshot_index = 0;
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
  std::int64_t create_time = 0;
  std::int64_t modify_time = 0;

  bool terminal() const { return status == "complete" || status == "failed" || status == "canceled"; }
};

struct VariableLock {
  std::string id;
  std::string ttl;         // Go duration string as given back to clients
  std::string lock_delay;  // idem
  std::int64_t ttl_ns = 0;
  std::int64_t delay_ns = 0;
  std::int64_t expires_at = 0;  // unix ns
};

struct Variable {
  std::string ns;
  std::string path;
  json::object items;
  std::optional<VariableLock> lock;
  std::int64_t lock_delay_until = 0;  // after a TTL expiry, re-acquire is refused until then
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
  std::int64_t create_time = 0;
  std::int64_t modify_time = 0;
};

json::object to_json(const TaskEvent& e);
json::object to_json(const TaskState& s);
json::object to_json(const Evaluation& e);
// Full Allocation (GET /v1/allocation/:id).
json::object alloc_to_json(const Allocation& a);
// AllocListStub (GET /v1/job/:id/allocations).
json::object alloc_stub_to_json(const Allocation& a);
// With Items unless `with_items` is false (metadata listings, lock renew).
json::object variable_to_json(const Variable& v, bool with_items);

}  // namespace nbs::nomad_sim
