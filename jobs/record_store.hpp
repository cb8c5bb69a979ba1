// A small key → JSON-text store with check-and-set, holding job records, history and locks: Nomad
// Variables on a cluster (`nomad-build/...`), files under the state directory locally. Check-and-set is
// what lets two daemons share one store without either overwriting the other.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace nbs::jobs {

struct StoredRecord {
  std::string value;
  std::uint64_t index = 0;  // changes on every write; pass it back to put/remove
};

class RecordStore {
 public:
  virtual ~RecordStore() = default;

  virtual Result<std::optional<StoredRecord>> get(const std::string& key) = 0;

  // cas_index 0 creates the key only if it is absent; otherwise the write happens only if the stored
  // index still equals cas_index. A lost race is ErrorKind::conflict. Returns the new index.
  virtual Result<std::uint64_t> put(const std::string& key, const std::string& value,
                                    std::uint64_t cas_index) = 0;

  // Removes the key if its index equals cas_index (conflict otherwise); removing an absent key is fine.
  virtual Status remove(const std::string& key, std::uint64_t cas_index) = 0;

  // Keys under `prefix` ("jobs/"), sorted.
  virtual Result<std::vector<std::string>> list(const std::string& prefix) = 0;
};

}  // namespace nbs::jobs
