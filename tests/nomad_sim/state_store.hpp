// The simulator's in-memory cluster state: jobs, allocations, evaluations and variables behind one
// mutex, one Raft-like index that every write advances, and per-table indexes for blocking queries.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/json.hpp>

#include "tests/nomad_sim/model.hpp"
#include "tests/nomad_sim/notifier.hpp"

namespace nbs::nomad_sim {

using NsKey = std::pair<std::string, std::string>;  // (namespace, id or path)

struct JobRecord {
  json::object job;                   // canonical job with the server fields of ref §2.4
  std::map<std::string, int> queued;  // task group → allocations that could not be placed
  bool ever_scheduled = false;
};

struct Tables {
  std::uint64_t index = 1;
  std::uint64_t jobs_index = 1;
  std::uint64_t allocs_index = 1;
  std::uint64_t evals_index = 1;
  std::uint64_t vars_index = 1;
  std::map<NsKey, JobRecord> jobs;
  std::map<std::string, Allocation> allocs;
  std::map<std::string, Evaluation> evals;
  std::map<NsKey, Variable> vars;
  std::set<std::string> namespaces{"default"};

  std::uint64_t bump() { return ++index; }
};

class SimState {
 public:
  template <class F>
  auto read(F&& f) const {
    std::lock_guard lock(mu_);
    return f(static_cast<const Tables&>(tables_));
  }

  // Runs `f` under the lock, then wakes blocking queries.
  template <class F>
  auto write(F&& f) {
    if constexpr (std::is_void_v<decltype(f(tables_))>) {
      {
        std::lock_guard lock(mu_);
        f(tables_);
      }
      notifier_.notify();
    } else {
      auto result = [&] {
        std::lock_guard lock(mu_);
        return f(tables_);
      }();
      notifier_.notify();
      return result;
    }
  }

  ChangeNotifier& notifier() { return notifier_; }

 private:
  mutable std::mutex mu_;
  Tables tables_;
  ChangeNotifier notifier_;
};

// Ref §2.4's job status rule.
std::string compute_job_status(const Tables& t, const NsKey& job);

// Recomputes a job's Status; on a change stamps the job's ModifyIndex and the jobs table with t.index.
void refresh_job_status(Tables& t, const NsKey& job);

// Ref §2.6: ClientStatus and ClientDescription from the task states.
void derive_client_status(Allocation& a);

// JobSummary {JobID, Namespace, Summary{tg:{Queued,Complete,…}}, Children, CreateIndex, ModifyIndex}.
json::object job_summary(const Tables& t, const NsKey& job);

// JobListStub of ref §2.1.
json::object job_list_stub(const Tables& t, const NsKey& job, bool with_meta);

}  // namespace nbs::nomad_sim
