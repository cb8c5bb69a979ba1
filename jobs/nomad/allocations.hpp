// Allocations as Nomad reports them (the fields we use of Allocation and AllocListStub, with their
// TaskStates and TaskEvents), and the allocation resource: read one by id.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "jobs/nomad/client.hpp"

namespace nbs::jobs::nomad {

struct TaskEvent {
  std::string type;  // "Received", "Started", "Terminated", "Not Restarting", "Driver Failure", …
  std::int64_t time_ns = 0;
  std::string message;
  std::string display_message;
  std::map<std::string, std::string> details;
  std::optional<int> exit_code;  // Terminated only: Details["exit_code"], else the flat ExitCode
  int signal = 0;
  bool fails_task = false;
  bool oom_killed = false;
};

struct TaskState {
  std::string state;  // "pending" | "running" | "dead"
  bool failed = false;
  std::uint64_t restarts = 0;
  std::string started_at;  // RFC 3339; Go's zero time when unset
  std::string finished_at;
  std::vector<TaskEvent> events;
};

struct Allocation {
  std::string id;
  std::string eval_id;
  std::string name;  // "<job>.<group>[<n>]"
  std::string namespace_name;
  std::string node_id;
  std::string node_name;
  std::string job_id;
  std::string task_group;
  std::string desired_status;  // "run" | "stop" | "evict"
  std::string desired_description;
  std::string client_status;  // "pending" | "running" | "complete" | "failed" | "lost" | "unknown"
  std::string client_description;
  std::map<std::string, TaskState> task_states;
  std::string next_allocation;
  std::string previous_allocation;
  std::string followup_eval_id;
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
  std::int64_t create_time_ns = 0;
  std::int64_t modify_time_ns = 0;
};

TaskEvent task_event_from_json(const boost::json::object& o);
TaskState task_state_from_json(const boost::json::object& o);
// Reads an Allocation or an AllocListStub (the stub lacks only fields we do not need).
Allocation allocation_from_json(const boost::json::object& o);

class Allocations {
 public:
  explicit Allocations(Client& client) : client_(client) {}

  // GET /v1/allocation/:id (blocking with query.index); not_found for an unknown id.
  Result<Queried<Allocation>> info(std::string_view alloc_id, const QueryOptions& query = {});

 private:
  Client& client_;
};

}  // namespace nbs::jobs::nomad
