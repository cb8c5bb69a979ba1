// Record stores for the orchestrator's tests: one in memory (thousands of records without a disk write
// each) and one that counts what is asked of another, per calling thread, since on a cluster each call
// is a Nomad Variables request.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "jobs/record_store.hpp"

namespace nbs::test_support {

// A RecordStore in a map, with the check-and-set of the real ones; safe from any thread.
class MemoryStore : public jobs::RecordStore {
 public:
  Result<std::optional<jobs::StoredRecord>> get(const std::string& key) override {
    std::lock_guard guard(mutex_);
    auto it = records_.find(key);
    return it == records_.end() ? std::optional<jobs::StoredRecord>{} : std::optional(it->second);
  }
  Result<std::uint64_t> put(const std::string& key, const std::string& value, std::uint64_t cas) override {
    std::lock_guard guard(mutex_);
    auto it = records_.find(key);
    if ((it == records_.end() ? 0 : it->second.index) != cas) {
      return make_error(ErrorKind::conflict, "memory store: " + key + " changed");
    }
    records_[key] = jobs::StoredRecord{value, ++last_index_};
    return last_index_;
  }
  Status remove(const std::string& key, std::uint64_t cas) override {
    std::lock_guard guard(mutex_);
    auto it = records_.find(key);
    if (it == records_.end()) {
      return {};
    }
    if (it->second.index != cas) {
      return make_error(ErrorKind::conflict, "memory store: " + key + " changed before removal");
    }
    records_.erase(it);
    return {};
  }
  Result<std::vector<std::string>> list(const std::string& prefix) override {
    std::lock_guard guard(mutex_);
    std::vector<std::string> keys;
    for (auto it = records_.lower_bound(prefix); it != records_.end() && it->first.starts_with(prefix);
         ++it) {
      keys.push_back(it->first);
    }
    return keys;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, jobs::StoredRecord> records_;
  std::uint64_t last_index_ = 0;  // one counter for every key, as Nomad's ModifyIndex
};

// Passes every call to `inner` and counts it by kind and by calling thread: a test asks what one call of
// its own cost while the orchestrator's threads use the same store.
class CountingStore : public jobs::RecordStore {
 public:
  explicit CountingStore(jobs::RecordStore& inner) : inner_(inner) {}
  Result<std::optional<jobs::StoredRecord>> get(const std::string& key) override {
    count(&Counts::gets);
    return inner_.get(key);
  }
  Result<std::uint64_t> put(const std::string& key, const std::string& value, std::uint64_t cas) override {
    count(&Counts::puts);
    return inner_.put(key, value, cas);
  }
  Status remove(const std::string& key, std::uint64_t cas) override {
    count(&Counts::removes);
    return inner_.remove(key, cas);
  }
  Result<std::vector<std::string>> list(const std::string& prefix) override {
    count(&Counts::lists);
    return inner_.list(prefix);
  }

  struct Counts {
    int gets = 0, puts = 0, removes = 0, lists = 0;
    int calls() const { return gets + puts + removes + lists; }
  };
  // What the calling thread has asked for so far.
  Counts mine() {
    std::lock_guard guard(mutex_);
    return by_thread_[std::this_thread::get_id()];
  }

 private:
  void count(int Counts::*field) {
    std::lock_guard guard(mutex_);
    ++(by_thread_[std::this_thread::get_id()].*field);
  }

  jobs::RecordStore& inner_;
  std::mutex mutex_;
  std::map<std::thread::id, Counts> by_thread_;
};

}  // namespace nbs::test_support
