#include "mcpd/orchestrator/phase_actions.hpp"

#include <algorithm>
#include <charconv>

#include <boost/json.hpp>

#include "common/phase_log_reader.hpp"
#include "mcpd/orchestrator/build_arg_secrets.hpp"

namespace nbs::mcpd {

namespace json = boost::json;

LockTerms lock_terms(const JobRecord& record, const OrchestratorConfig& config) {
  // The lease outlives the longest the job may take.
  const ReconcileConfig& limits = config.reconcile;
  return LockTerms{.key = lock_key(record.request),
                   .ttl = record.request.build_timeout + phase_timeout(record, Phase::test, limits) +
                          limits.publish_timeout + limits.placement_timeout + config.lock_margin};
}

Status PhaseActions::act(const JobRecord& record, const Action& action, const LockTerms& lock) {
  const jobs::PhaseId id{record.id, action.phase, action.attempt};
  switch (action.kind) {
    case ActionKind::acquire_lock: {
      auto taken = lock_.acquire(lock.key, record.id, now_utc(), lock.ttl);
      return taken || taken.error().kind == ErrorKind::conflict ? Status{} : Status(taken.error());
    }
    case ActionKind::release_lock:
      return lock_.release(lock.key, record.id);
    case ActionKind::stop_phase:
      return executor_.stop(id, config_.stop_grace);
    case ActionKind::start_phase: {
      jobs::PhaseLaunch launch{.id = id, .request = record.request};
      // Only the build gets the secret build args' values; other phases see *** as the record does.
      if (action.phase == Phase::build) {
        if (auto loaded = load_build_arg_secrets(store_, record.id, launch.request); !loaded) {
          return loaded.error();
        }
      }
      // The layer cache's repository is resolved here, at each start of a build (the only phase that uses
      // it), so that neither the runner nor the Nomad spec (its auth.json) needs build_cache_repository.
      auto cache = action.phase == Phase::build
                       ? cache_repository(launch.request, config_.build_cache_repository)
                       : std::string();
      if (!cache.empty()) {
        launch.request.cache = CacheConfig{std::move(cache)};
      }
      launch.deadline = phase_timeout(record, action.phase, config_.reconcile);
      if (action.phase == Phase::test) {
        launch.test_image = temp_image_reference(record.request, record.id);
      } else {
        launch.runner_spec_json = runner_spec(launch);
      }
      return executor_.start(launch);
    }
  }
  return {};
}

std::string PhaseActions::runner_spec(const jobs::PhaseLaunch& launch) const {
  RunnerSpec spec;
  spec.job_id = launch.id.job_id;
  spec.phase = launch.id.phase;
  spec.request = launch.request;
  // The runner sends no webhooks: their secret and headers (an Authorization, say) stay off its disk.
  spec.request.webhook_secret.clear();
  spec.request.webhook_headers.clear();
  spec.temp_image = temp_image_reference(launch.request, launch.id.job_id);
  spec.final_images = final_image_references(launch.request, launch.id.job_id);
  spec.cache_dir = config_.cache_dir;
  spec.credentials.registry_auth_file = config_.registry_auth_file;
  spec.deadline = now_utc() + launch.deadline;
  spec.storage_driver = config_.storage_driver;
  spec.build_user = config_.build_user;
  spec.registries_conf = config_.registries_conf;
  if (launch.request.sign) {
    spec.signature_store = config_.signature_store;
  }
  return json::serialize(to_json(spec));
}

namespace {

// The command a test task ran ("cmd-2" runs test.commands[2]); empty for the entry-point task.
std::string test_command_of(const JobRequest& request, std::string_view task) {
  std::size_t index = 0;
  if (!request.test || !task.starts_with("cmd-") ||
      std::from_chars(task.data() + 4, task.data() + task.size(), index).ec != std::errc() ||
      index >= request.test->commands.size()) {
    return {};
  }
  return request.test->commands[index];
}

}  // namespace

void PhaseActions::explain_failure(JobRecord& record, Phase phase) {
  Failure failure =
      record.failure.value_or(Failure{.phase = std::string(to_string(phase)), .summary = record.error});
  const jobs::PhaseId id{record.id, phase, record.attempt};
  auto seen = executor_.observe(id);
  if (!seen || seen->tasks.empty()) {
    record.failure = std::move(failure);
    return;
  }
  // The first task that failed (tests run in parallel; one is enough to act on).
  auto task = std::find_if(seen->tasks.begin(), seen->tasks.end(), [](const jobs::TaskObservation& t) {
    return t.state == jobs::PhaseState::failed || t.state == jobs::PhaseState::lost;
  });
  if (task == seen->tasks.end()) {
    task = seen->tasks.begin();
  }
  failure.task = task->name;
  const bool runner = task->name == "runner";
  if (!runner && failure.failure_class == FailureClass::test_failed) {
    const std::string command = test_command_of(record.request, task->name);
    failure.summary = "test task " + task->name + (command.empty() ? "" : " (`" + command + "`)") +
                      " failed" + (task->message.empty() ? "" : ": " + task->message);
  }
  auto chunk = executor_.read_log(id, task->name, jobs::LogOrigin::end, 0, std::size_t{64} * 1024);
  if (!chunk) {
    record.failure = std::move(failure);
    return;
  }
  PhaseLogReader reader(
      PhaseEvent{.job = record.id, .phase = std::string(to_string(phase)), .stream = LogStream::out});
  std::string_view bytes = chunk->bytes;
  if (chunk->offset > 0) {
    bytes.remove_prefix(std::min(bytes.size(), bytes.find('\n') + 1));  // a partial first line
  }
  auto events = reader.feed(bytes);
  auto last = reader.finish();
  events.insert(events.end(), last.begin(), last.end());
  std::vector<std::string> lines;
  std::vector<std::string> error_lines;  // of the error that ended the phase, after its first line
  for (const auto& e : events) {
    if (e.kind == EventKind::line && e.stream != LogStream::none) {  // none: the runner's narration
      lines.push_back(e.text);
    } else if (e.kind == EventKind::error && runner) {
      // The runner tags the error that ends its phase with the class (common/failure.hpp).
      const std::string first = e.text.substr(0, e.text.find('\n'));
      if (auto parsed = parse_failure_class(e.failure_class)) {
        failure.failure_class = *parsed;
        failure.summary = first;
        failure.location = e.location;
      } else if (failure.summary.empty()) {
        failure.summary = first;
      }
      error_lines.clear();
      for (std::size_t at = e.text.find('\n'); at != std::string::npos;) {
        const auto next = e.text.find('\n', at + 1);
        error_lines.push_back(e.text.substr(at + 1, next == std::string::npos ? next : next - at - 1));
        at = next;
      }
    }
  }
  failure.evidence = pick_evidence(lines, failure.summary);
  if (failure.evidence.empty()) {
    failure.evidence =
        pick_evidence(error_lines, failure.summary);  // the step's lines, when the log lost them
  }
  record.excerpt = failure.evidence;
  record.failure = std::move(failure);
}

}  // namespace nbs::mcpd
