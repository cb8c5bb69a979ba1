// The index behind getHistory: every finished job this daemon knows of, newest first (by job_end, then
// id) per token and per owner and token. Ranked indices (Boost.MultiIndex: a position in O(log n)) make a
// page cost O(log² n) plus its length, whatever the number of records, the owner filter, the token or
// the offset. It is a view of the record store, which stays the truth: the orchestrator hands it every
// record it writes or reads, removes what history trimming removes, and sync_history() builds it at
// start and then brings in what other replicas wrote or trimmed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "jobs/record_store.hpp"
#include "mcpd/orchestrator/job_record.hpp"

namespace nbs::mcpd {

class JobHistory {
 public:
  struct Page {
    // Each with what a page shows of it, the rest left empty (getStatus has it): id, status, token_id,
    // times.job_start and job_end, digest, error, and of the request owner, repo_url, git_ref,
    // registry_url and image_name. Kept so, an entry costs a few hundred bytes.
    std::vector<JobRecord> jobs;
    std::size_t total = 0;
  };

  JobHistory();
  ~JobHistory();
  JobHistory(const JobHistory&) = delete;
  JobHistory& operator=(const JobHistory&) = delete;

  // Takes in a job's record as the store holds it at `version` (its index there; 0: unknown, taken as
  // the latest). A finished job's entry is added or replaced (owner, end and all); a job not finished has
  // none. A version older than the entry's is ignored: one job's writes may be handed in out of order.
  void put(const JobRecord& record, std::uint64_t version);
  void remove(const std::string& job_id);

  // The finished jobs `token_id` may see (those bound to no token, or to it), only `owner`'s unless it is
  // empty: at most `limit` of them from `offset`, newest first, and how many there are in all.
  Page page(const std::string& owner, const std::string& token_id, std::size_t limit,
            std::size_t offset) const;
  // The ids of the finished jobs past the newest `keep` of all owners and tokens, newest first: what
  // history trimming removes.
  std::vector<std::string> beyond(std::size_t keep) const;
  bool contains(const std::string& job_id) const;
  // Whether the job's entry is of a settled record, which no longer changes.
  bool settled(const std::string& job_id) const;
  std::size_t size() const;

  // Converging with the store: take mark() before listing its keys; retain() then drops the entries of
  // jobs the listing lacks, except those put after the mark (written since the listing).
  std::uint64_t mark() const;
  void retain(const std::set<std::string>& job_ids, std::uint64_t mark);

  // Whether the first complete read of the store is done. wait_loaded() waits up to `timeout` for it.
  void set_loaded();
  bool wait_loaded(std::chrono::milliseconds timeout) const;

 private:
  struct Entries;  // the Boost.MultiIndex container, kept out of this header
  mutable std::shared_mutex mutex_;
  std::unique_ptr<Entries> entries_;
  std::uint64_t sequence_ = 0;  // counts puts; an entry remembers the one that last wrote it

  mutable std::mutex loaded_mutex_;
  mutable std::condition_variable loaded_changed_;
  bool loaded_ = false;
};

struct HistorySync {
  std::size_t read = 0;                 // records read from the store
  std::vector<std::string> unreadable;  // keys whose records did not parse (or could not be read)
  // Jobs read that are not settled: accepted by another replica (maybe one that died since), for this
  // daemon to drive as well.
  std::vector<std::string> unsettled;
};

// Brings `history` in line with `store`: reads the job records it lacks (all of them the first time;
// after that, those another replica wrote and jobs not settled when last read), except those `skip`
// says this daemon keeps current itself, then drops the entries of records gone from the store. Returns
// early once `stop` says so. Errors: the store could not list its keys.
Result<HistorySync> sync_history(jobs::RecordStore& store, JobHistory& history,
                                 const std::function<bool(const std::string&)>& skip,
                                 const std::function<bool()>& stop);

}  // namespace nbs::mcpd
