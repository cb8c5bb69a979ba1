#include "mcpd/orchestrator/job_history.hpp"

#include <algorithm>

#include <boost/multi_index/composite_key.hpp>
#include <boost/multi_index/hashed_index.hpp>
#include <boost/multi_index/member.hpp>
#include <boost/multi_index/ranked_index.hpp>
#include <boost/multi_index/tag.hpp>
#include <boost/multi_index_container.hpp>
#include <boost/tuple/tuple.hpp>

namespace nbs::mcpd {

namespace mi = boost::multi_index;

namespace {

// What a history page shows of a job, and nothing else: a few hundred bytes, where the whole record (the
// request with its tests, env and args, the log excerpt, the images) takes kilobytes.
struct Entry {
  std::string id;
  std::string owner;
  std::string token_id;
  std::string repo_url;
  std::string git_ref;
  std::string registry_url;
  std::string image_name;
  std::string digest;
  std::string error;
  JobStatus status = JobStatus::succeeded;
  bool settled = false;
  std::optional<SystemTime> job_start;
  std::optional<SystemTime> job_end;
  SystemTime end;             // job_end, or the epoch without one: the order
  std::uint64_t version = 0;  // the store's index of the record
  std::uint64_t touched = 0;  // JobHistory::sequence_ when last put

  Entry(const JobRecord& r, std::uint64_t version_, std::uint64_t touched_)
      : id(r.id),
        owner(r.request.owner),
        token_id(r.token_id),
        repo_url(r.request.repo_url),
        git_ref(r.request.git_ref),
        registry_url(r.request.registry_url),
        image_name(r.request.image_name),
        digest(r.digest),
        error(r.error),
        status(r.status),
        settled(r.settled),
        job_start(r.times.job_start),
        job_end(r.times.job_end),
        end(r.times.job_end.value_or(SystemTime{})),
        version(version_),
        touched(touched_) {}

  JobRecord record() const {
    JobRecord r;
    r.id = id;
    r.token_id = token_id;
    r.request.owner = owner;
    r.request.repo_url = repo_url;
    r.request.git_ref = git_ref;
    r.request.registry_url = registry_url;
    r.request.image_name = image_name;
    r.digest = digest;
    r.error = error;
    r.status = status;
    r.times.job_start = job_start;
    r.times.job_end = job_end;
    return r;
  }
};

// Newest first; the id decides between equal ends, so every order is total and pages never overlap.
bool before(const Entry& a, const Entry& b) {
  return a.end != b.end ? a.end > b.end : a.id < b.id;
}

struct by_id {};
struct by_end {};
struct by_token {};
struct by_owner {};

using IdOf = mi::member<Entry, std::string, &Entry::id>;
using OwnerOf = mi::member<Entry, std::string, &Entry::owner>;
using TokenOf = mi::member<Entry, std::string, &Entry::token_id>;
using EndOf = mi::member<Entry, SystemTime, &Entry::end>;
using Newest = std::greater<SystemTime>;
using Container = mi::multi_index_container<
    Entry,
    mi::indexed_by<
        mi::hashed_unique<mi::tag<by_id>, IdOf>,
        mi::ranked_unique<mi::tag<by_end>, mi::composite_key<Entry, EndOf, IdOf>,
                          mi::composite_key_compare<Newest, std::less<std::string>>>,
        mi::ranked_unique<mi::tag<by_token>, mi::composite_key<Entry, TokenOf, EndOf, IdOf>,
                          mi::composite_key_compare<std::less<std::string>, Newest, std::less<std::string>>>,
        mi::ranked_unique<mi::tag<by_owner>, mi::composite_key<Entry, OwnerOf, TokenOf, EndOf, IdOf>,
                          mi::composite_key_compare<std::less<std::string>, std::less<std::string>, Newest,
                                                    std::less<std::string>>>>>;

// The entries of one index under one key prefix: positions [first, first + count) of its order.
template <class Index>
struct Run {
  const Index* index = nullptr;
  std::size_t first = 0;
  std::size_t count = 0;
  typename Index::iterator at(std::size_t i) const { return index->nth(first + i); }
};

template <class Index, class Key>
Run<Index> run_of(const Index& index, const Key& key) {
  auto [from, to] = index.equal_range(key);
  const std::size_t first = index.rank(from);
  return Run<Index>{&index, first, index.rank(to) - first};
}

// Entries [offset, offset + limit) of the merge of two runs, each in newest-first order. How the first
// `offset` split between the runs is found by bisection (O(log² n)), then the page is merged.
template <class Index>
std::vector<JobRecord> merged_page(const Run<Index>& a, const Run<Index>& b, std::size_t limit,
                                   std::size_t offset) {
  std::vector<JobRecord> out;
  if (offset >= a.count + b.count) {
    return out;
  }
  // The smallest i (entries taken from a) such that a's next entry does not precede b's last one taken.
  std::size_t lo = offset > b.count ? offset - b.count : 0;
  std::size_t hi = std::min(offset, a.count);
  while (lo < hi) {
    const std::size_t i = lo + (hi - lo) / 2;
    if (before(*a.at(i), *b.at(offset - i - 1))) {
      lo = i + 1;
    } else {
      hi = i;
    }
  }
  std::size_t ia = lo;
  std::size_t ib = offset - lo;
  auto ita = ia < a.count ? a.at(ia) : a.index->end();
  auto itb = ib < b.count ? b.at(ib) : b.index->end();
  while (out.size() < limit && (ia < a.count || ib < b.count)) {
    if (ib == b.count || (ia < a.count && before(*ita, *itb))) {
      out.push_back(ita->record());
      ++ita;
      ++ia;
    } else {
      out.push_back(itb->record());
      ++itb;
      ++ib;
    }
  }
  return out;
}

}  // namespace

struct JobHistory::Entries {
  Container container;
};

JobHistory::JobHistory() : entries_(std::make_unique<Entries>()) {}
JobHistory::~JobHistory() = default;

void JobHistory::put(const JobRecord& record, std::uint64_t version) {
  std::lock_guard guard(mutex_);
  auto& ids = entries_->container.get<by_id>();
  auto it = ids.find(record.id);
  if (it != ids.end() && version != 0 && version < it->version) {
    return;
  }
  if (!is_terminal(record.status)) {
    if (it != ids.end()) {
      ids.erase(it);
    }
    return;
  }
  Entry entry(record, version, ++sequence_);
  if (it == ids.end()) {
    ids.insert(std::move(entry));
  } else {
    ids.replace(it, std::move(entry));
  }
}

void JobHistory::remove(const std::string& job_id) {
  std::lock_guard guard(mutex_);
  entries_->container.get<by_id>().erase(job_id);
}

JobHistory::Page JobHistory::page(const std::string& owner, const std::string& token_id, std::size_t limit,
                                  std::size_t offset) const {
  std::shared_lock guard(mutex_);
  Page page;
  // What the token may see is two runs of one index, the unbound jobs' and its own (the second one
  // empty without a token).
  auto visible = [&](const auto& index, const auto& unbound, const auto& own) {
    auto a = run_of(index, unbound);
    auto b = token_id.empty() ? decltype(a){&index, 0, 0} : run_of(index, own);
    page.total = a.count + b.count;
    page.jobs = merged_page(a, b, limit, offset);
  };
  if (owner.empty()) {
    visible(entries_->container.get<by_token>(), boost::make_tuple(std::string()),
            boost::make_tuple(token_id));
  } else {
    visible(entries_->container.get<by_owner>(), boost::make_tuple(owner, std::string()),
            boost::make_tuple(owner, token_id));
  }
  return page;
}

std::vector<std::string> JobHistory::beyond(std::size_t keep) const {
  std::shared_lock guard(mutex_);
  const auto& ordered = entries_->container.get<by_end>();
  std::vector<std::string> ids;
  for (auto it = ordered.nth(std::min(keep, ordered.size())); it != ordered.end(); ++it) {
    ids.push_back(it->id);
  }
  return ids;
}

bool JobHistory::contains(const std::string& job_id) const {
  std::shared_lock guard(mutex_);
  return entries_->container.get<by_id>().contains(job_id);
}

bool JobHistory::settled(const std::string& job_id) const {
  std::shared_lock guard(mutex_);
  const auto& ids = entries_->container.get<by_id>();
  auto it = ids.find(job_id);
  return it != ids.end() && it->settled;
}

std::size_t JobHistory::size() const {
  std::shared_lock guard(mutex_);
  return entries_->container.size();
}

std::uint64_t JobHistory::mark() const {
  std::shared_lock guard(mutex_);
  return sequence_;
}

void JobHistory::retain(const std::set<std::string>& job_ids, std::uint64_t mark) {
  std::lock_guard guard(mutex_);
  auto& ids = entries_->container.get<by_id>();
  for (auto it = ids.begin(); it != ids.end();) {
    if (it->touched <= mark && !job_ids.contains(it->id)) {
      it = ids.erase(it);
    } else {
      ++it;
    }
  }
}

void JobHistory::set_loaded() {
  {
    std::lock_guard guard(loaded_mutex_);
    loaded_ = true;
  }
  loaded_changed_.notify_all();
}

bool JobHistory::wait_loaded(std::chrono::milliseconds timeout) const {
  std::unique_lock guard(loaded_mutex_);
  return loaded_changed_.wait_for(guard, timeout, [this] { return loaded_; });
}

Result<HistorySync> sync_history(jobs::RecordStore& store, JobHistory& history,
                                 const std::function<bool(const std::string&)>& skip,
                                 const std::function<bool()>& stop) {
  const std::uint64_t mark = history.mark();
  const std::string prefix = record_key("");
  auto keys = store.list(prefix);
  if (!keys) {
    return keys.error();
  }
  HistorySync report;
  std::set<std::string> listed;
  for (const auto& key : *keys) {
    if (stop()) {
      return report;
    }
    const std::string id = key.substr(prefix.size());
    listed.insert(id);
    // A settled record no longer changes; one this daemon drives is handed in as it is written. A
    // finished one not settled yet is read again: its replica may have died before settling it.
    if (history.settled(id) || skip(id)) {
      continue;
    }
    auto stored = store.get(key);
    if (!stored || !*stored) {
      if (!stored) {
        report.unreadable.push_back(key + ": " + stored.error().message);
      }
      continue;
    }
    ++report.read;
    auto record = parse_job_record((*stored)->value);
    if (!record) {
      report.unreadable.push_back(key + ": " + record.error().message);
      continue;
    }
    history.put(*record, (*stored)->index);
    if (!record->settled) {
      report.unsettled.push_back(id);
    }
  }
  history.retain(listed, mark);
  return report;
}

}  // namespace nbs::mcpd
