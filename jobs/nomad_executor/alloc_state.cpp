#include "jobs/nomad_executor/alloc_state.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <set>

namespace nbs::jobs::nomad {
namespace {

constexpr std::array<std::string_view, 8> k_failure_events = {
    "Terminated",       "Driver Failure",           "Setup Failure",           "Failed Validation",
    "Task hook failed", "Failed Artifact Download", "Disk Resources Exceeded", "Sibling Task Failed"};

bool is_one_of(std::string_view type, const auto& list) {
  return std::find(list.begin(), list.end(), type) != list.end();
}

// Killing/Killed after the last start: the task was stopped, not finished.
const TaskEvent* kill_event(const TaskState& state) {
  for (auto it = state.events.rbegin(); it != state.events.rend(); ++it) {
    if (it->type == "Started") {
      return nullptr;
    }
    if (it->type == "Killing" || it->type == "Killed") {
      return &*it;
    }
  }
  return nullptr;
}

const TaskEvent* last_of_type(const TaskState& state, std::string_view type) {
  for (auto it = state.events.rbegin(); it != state.events.rend(); ++it) {
    if (it->type == type) {
      return &*it;
    }
  }
  return nullptr;
}

// The event that best explains how the task ended.
const TaskEvent* telling_event(const TaskState& state) {
  for (auto it = state.events.rbegin(); it != state.events.rend(); ++it) {
    if (is_one_of(it->type, k_failure_events)) {
      return &*it;
    }
  }
  return state.events.empty() ? nullptr : &state.events.back();
}

int rank(PhaseState s) {
  switch (s) {
    case PhaseState::failed:
      return 6;
    case PhaseState::lost:
      return 5;
    case PhaseState::unplaceable:
      return 4;
    case PhaseState::running:
      return 3;
    case PhaseState::pending:
      return 2;
    case PhaseState::succeeded:
      return 1;
    case PhaseState::absent:
      return 0;
  }
  return 0;
}

bool is_terminal(PhaseState s) {
  return s == PhaseState::succeeded || s == PhaseState::failed || s == PhaseState::lost;
}

struct GroupVerdict {
  PhaseState state = PhaseState::pending;
  std::string message;
};

// Rule 5: the newest evaluation that names the group in FailedTGAllocs.
std::optional<std::string> placement_failure(const std::vector<Evaluation>& evals, const std::string& group) {
  const Evaluation* newest = nullptr;
  for (const auto& e : evals) {
    if (e.failed_tg_allocs.contains(group) && (newest == nullptr || e.create_index > newest->create_index)) {
      newest = &e;
    }
  }
  if (newest == nullptr) {
    return std::nullopt;
  }
  return describe_placement_failure(newest->failed_tg_allocs.at(group));
}

GroupVerdict judge_allocation(const Allocation& alloc, std::vector<TaskObservation>& tasks) {
  GroupVerdict verdict;
  const bool lost = alloc.client_status == "lost";
  PhaseState worst = PhaseState::absent;
  std::string worst_message;
  for (const auto& [name, state] : alloc.task_states) {
    TaskObservation t = observe_task(name, state);
    if (lost && !is_terminal(t.state)) {
      t.state = PhaseState::lost;
      t.message =
          "allocation lost" + (alloc.client_description.empty() ? "" : ": " + alloc.client_description);
    }
    if (rank(t.state) > rank(worst)) {
      worst = t.state;
      worst_message = t.message.empty() ? "" : "task " + t.name + ": " + t.message;
    }
    tasks.push_back(std::move(t));
  }
  if (alloc.task_states.empty()) {
    // Placed but no task has reported yet.
    worst = lost ? PhaseState::lost : PhaseState::pending;
    if (alloc.client_status == "failed") {
      worst = PhaseState::failed;
      worst_message = alloc.client_description;
    }
  }
  if (alloc.client_status == "failed" && worst != PhaseState::failed) {
    worst = PhaseState::failed;
    worst_message = alloc.client_description;
  }
  if (alloc.client_status == "unknown" && !is_terminal(worst)) {
    worst = PhaseState::running;
    worst_message = "node disconnected";
  }
  verdict.state = worst;
  verdict.message = std::move(worst_message);
  return verdict;
}

void add_times(const Allocation& alloc, PhaseObservation& out) {
  for (const auto& [name, state] : alloc.task_states) {
    if (auto started = parse_rfc3339(state.started_at)) {
      if (!out.started_at || *started < *out.started_at) {
        out.started_at = started;
      }
    }
    if (auto finished = parse_rfc3339(state.finished_at)) {
      if (!out.finished_at || *finished > *out.finished_at) {
        out.finished_at = finished;
      }
    }
  }
}

}  // namespace

std::string describe_event(const TaskEvent& e) {
  if (e.type == "Terminated") {
    std::string out = "exit code " + std::to_string(e.exit_code.value_or(0));
    if (e.signal != 0) {
      out += ", signal " + std::to_string(e.signal);
    }
    if (e.oom_killed) {
      out += ", OOM killed";
    }
    if (auto it = e.details.find("exit_message"); it != e.details.end()) {
      out += ": " + it->second;
    }
    return out;
  }
  std::string text = !e.display_message.empty() ? e.display_message : e.message;
  if (text.empty()) {
    for (const char* key : {"driver_error", "setup_error", "validation_error", "download_error",
                            "kill_reason", "failed_sibling", "message"}) {
      if (auto it = e.details.find(key); it != e.details.end()) {
        text = it->second;
        break;
      }
    }
  }
  return text.empty() ? e.type : e.type + ": " + text;
}

TaskObservation observe_task(const std::string& name, const TaskState& state) {
  TaskObservation t;
  t.name = name;
  if (const TaskEvent* term = last_of_type(state, "Terminated")) {
    t.exit_code = term->exit_code;
  }
  if (state.state == "running") {
    t.state = PhaseState::running;
  } else if (state.state != "dead") {
    t.state = PhaseState::pending;
  } else {
    const TaskEvent* term = last_of_type(state, "Terminated");
    const TaskEvent* killed = kill_event(state);
    const bool clean_exit = term != nullptr && term->exit_code.value_or(-1) == 0 && term->signal == 0;
    t.state = !state.failed && killed == nullptr && clean_exit ? PhaseState::succeeded : PhaseState::failed;
    if (t.state == PhaseState::failed) {
      const TaskEvent* why = killed != nullptr ? killed : telling_event(state);
      t.message = why == nullptr ? "task failed" : describe_event(*why);
      if (name.starts_with("cmd-") && reports_missing_shell(t.message)) {
        t.message = std::string(k_missing_shell_message) + " (" + t.message + ")";
      }
    }
    return t;
  }
  if (const TaskEvent* last = state.events.empty() ? nullptr : &state.events.back()) {
    t.message = describe_event(*last);
  }
  return t;
}

PhaseObservation observe_phase(const PhaseSnapshot& snap) {
  PhaseObservation out;
  if (!snap.job && snap.allocations.empty()) {
    out.state = PhaseState::absent;
    return out;
  }
  // Rule 2: the newest allocation of each group.
  std::map<std::string, const Allocation*> newest;
  for (const auto& a : snap.allocations) {
    auto& slot = newest[a.task_group];
    if (slot == nullptr || a.create_index > slot->create_index) {
      slot = &a;
    }
  }
  std::set<std::string> groups;
  if (snap.job) {
    groups.insert(snap.job->task_groups.begin(), snap.job->task_groups.end());
  }
  for (const auto& [g, a] : newest) {
    groups.insert(g);
  }
  PhaseState worst = PhaseState::absent;
  for (const auto& group : groups) {
    GroupVerdict v;
    if (auto it = newest.find(group); it != newest.end()) {
      v = judge_allocation(*it->second, out.tasks);
      add_times(*it->second, out);
    } else if (auto why = placement_failure(snap.evaluations, group)) {
      v = {PhaseState::unplaceable, "group " + group + ": " + *why};
    }
    if (rank(v.state) > rank(worst)) {
      worst = v.state;
      out.message = v.message;
    }
  }
  // Rule 6.
  if (snap.allocations.empty() && snap.job && worst != PhaseState::unplaceable &&
      (snap.job->stop || snap.job->status == "dead")) {
    worst = PhaseState::failed;
    out.message = snap.job->stop ? "stopped before it was placed" : "the job is dead with no allocations";
  }
  out.state = worst == PhaseState::absent ? PhaseState::pending : worst;
  if (!is_terminal(out.state)) {
    out.finished_at.reset();
  }
  return out;
}

std::optional<SystemTime> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    int v = 0;
    if (pos + len > text.size()) {
      return std::nullopt;
    }
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, v);
    if (ec != std::errc() || end != text.data() + pos + len) {
      return std::nullopt;
    }
    return v;
  };
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !s || text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  if (*y <= 1) {
    return std::nullopt;  // Go's zero time: never set
  }
  std::size_t pos = 19;
  std::chrono::milliseconds frac{0};
  if (text[pos] == '.') {
    ++pos;
    int digits = 0;
    int ms = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) {
        ms = ms * 10 + (text[pos] - '0');
      }
      ++digits;
      ++pos;
    }
    for (int i = digits; i < 3; ++i) {
      ms *= 10;
    }
    frac = std::chrono::milliseconds(ms);
  }
  std::chrono::minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    auto oh = num(pos + 1, 2), om = num(pos + 4, 2);
    if (!oh || !om) {
      return std::nullopt;
    }
    offset = std::chrono::hours(*oh) + std::chrono::minutes(*om);
    if (text[pos] == '-') {
      offset = -offset;
    }
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(*y), std::chrono::month(static_cast<unsigned>(*mo)),
                                        std::chrono::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  const auto tp = std::chrono::sys_days(ymd) + std::chrono::hours(*h) + std::chrono::minutes(*mi) +
                  std::chrono::seconds(*s) + frac - offset;
  return std::chrono::time_point_cast<std::chrono::milliseconds>(tp);
}

const Allocation* newest_with_task(const std::vector<Allocation>& allocs, std::string_view task) {
  const Allocation* newest = nullptr;
  for (const auto& a : allocs) {
    if (a.task_states.contains(std::string(task)) &&
        (newest == nullptr || a.create_index > newest->create_index)) {
      newest = &a;
    }
  }
  return newest;
}

}  // namespace nbs::jobs::nomad
