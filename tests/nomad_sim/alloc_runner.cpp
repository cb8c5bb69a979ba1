#include "tests/nomad_sim/alloc_runner.hpp"

#include "tests/nomad_sim/task_events.hpp"

namespace nbs::nomad_sim {

AllocRunner::AllocRunner(SimState& state, const SimConfig& config, std::vector<TaskPlan> plans) {
  if (!plans.empty()) {
    alloc_root_ = plans.front().alloc_root;
  }
  for (auto& p : plans) {
    tasks_.push_back(std::make_unique<TaskRunner>(state, config, std::move(p)));
  }
  remaining_ = tasks_.size();
}

AllocRunner::~AllocRunner() {
  lose();
  join();
}

void AllocRunner::start() {
  // Nomad makes the shared alloc dir and its data, logs and tmp world-writable (drwxrwxrwx): tasks of
  // one allocation may run as different users and all write there (hashicorp/nomad#12310).
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(alloc_root_ / "alloc", ec);
  fs::permissions(alloc_root_ / "alloc", fs::perms::all, ec);
  for (const char* sub : {"data", "logs", "tmp"}) {
    fs::create_directories(alloc_root_ / "alloc" / sub, ec);
    fs::permissions(alloc_root_ / "alloc" / sub, fs::perms::all, ec);
  }
  for (std::size_t i = 0; i < tasks_.size(); ++i) {
    threads_.emplace_back([this, i] {
      tasks_[i]->run();
      on_task_done(i);
    });
  }
}

void AllocRunner::on_task_done(std::size_t index) {
  if (tasks_[index]->failed()) {
    for (std::size_t j = 0; j < tasks_.size(); ++j) {
      if (j != index) {
        tasks_[j]->kill(event_sibling_failed(tasks_[index]->name()));
      }
    }
  }
  --remaining_;
}

void AllocRunner::stop() {
  for (auto& t : tasks_) {
    t->kill(std::nullopt);
  }
}

void AllocRunner::lose() {
  for (auto& t : tasks_) {
    t->lose();
  }
}

void AllocRunner::join() {
  for (auto& t : threads_) {
    if (t.joinable()) {
      t.join();
    }
  }
}

}  // namespace nbs::nomad_sim
