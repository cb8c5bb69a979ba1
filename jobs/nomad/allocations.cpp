#include "jobs/nomad/allocations.hpp"

#include <charconv>

#include "jobs/nomad/json_fields.hpp"

namespace nbs::jobs::nomad {
namespace json = boost::json;

namespace {

std::optional<int> parse_int(const std::string& text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

TaskEvent task_event_from_json(const json::object& o) {
  TaskEvent e;
  e.type = fields::str(o, "Type");
  e.time_ns = fields::i64(o, "Time");
  e.message = fields::str(o, "Message");
  e.display_message = fields::str(o, "DisplayMessage");
  e.details = fields::string_map(o, "Details");
  e.fails_task = fields::boolean(o, "FailsTask") || e.details["fails_task"] == "true";
  e.signal = static_cast<int>(fields::i64(o, "Signal"));
  if (auto it = e.details.find("signal"); it != e.details.end()) {
    e.signal = parse_int(it->second).value_or(e.signal);
  }
  e.oom_killed = e.details["oom_killed"] == "true";
  if (e.type == "Terminated") {
    auto it = e.details.find("exit_code");
    e.exit_code = it != e.details.end() ? parse_int(it->second) : std::nullopt;
    if (!e.exit_code) {
      e.exit_code = static_cast<int>(fields::i64(o, "ExitCode"));
    }
  }
  // Details is the current source; drop the keys our own defaulting may have added.
  std::erase_if(e.details, [](const auto& kv) { return kv.second.empty(); });
  return e;
}

TaskState task_state_from_json(const json::object& o) {
  TaskState s;
  s.state = fields::str(o, "State");
  s.failed = fields::boolean(o, "Failed");
  s.restarts = fields::u64(o, "Restarts");
  s.started_at = fields::str(o, "StartedAt");
  s.finished_at = fields::str(o, "FinishedAt");
  if (const auto* events = fields::array(o, "Events")) {
    for (const auto& e : *events) {
      if (e.is_object()) {
        s.events.push_back(task_event_from_json(e.as_object()));
      }
    }
  }
  return s;
}

Allocation allocation_from_json(const json::object& o) {
  Allocation a;
  a.id = fields::str(o, "ID");
  a.eval_id = fields::str(o, "EvalID");
  a.name = fields::str(o, "Name");
  a.namespace_name = fields::str(o, "Namespace");
  a.node_id = fields::str(o, "NodeID");
  a.node_name = fields::str(o, "NodeName");
  a.job_id = fields::str(o, "JobID");
  a.task_group = fields::str(o, "TaskGroup");
  a.desired_status = fields::str(o, "DesiredStatus");
  a.desired_description = fields::str(o, "DesiredDescription");
  a.client_status = fields::str(o, "ClientStatus");
  a.client_description = fields::str(o, "ClientDescription");
  if (const auto* states = fields::object(o, "TaskStates")) {
    for (const auto& [task, state] : *states) {
      if (state.is_object()) {
        a.task_states.emplace(std::string(task), task_state_from_json(state.as_object()));
      }
    }
  }
  a.next_allocation = fields::str(o, "NextAllocation");
  a.previous_allocation = fields::str(o, "PreviousAllocation");
  a.followup_eval_id = fields::str(o, "FollowupEvalID");
  a.create_index = fields::u64(o, "CreateIndex");
  a.modify_index = fields::u64(o, "ModifyIndex");
  a.create_time_ns = fields::i64(o, "CreateTime");
  a.modify_time_ns = fields::i64(o, "ModifyTime");
  return a;
}

Result<Queried<Allocation>> Allocations::info(std::string_view alloc_id, const QueryOptions& query) {
  auto reply = client_.read("/v1/allocation/" + escape_segment(alloc_id), query);
  if (!reply) {
    return reply.error();
  }
  auto alloc = fields::parse_object<Allocation>(reply->body, "nomad: allocation", allocation_from_json);
  if (!alloc) {
    return alloc.error();
  }
  return Queried<Allocation>{std::move(*alloc), reply->meta};
}

}  // namespace nbs::jobs::nomad
