// RecordStore on the local file system: one file per key under <dir>/, written atomically (temporary
// file, fsync, rename) so a crash never leaves a half-written record; check-and-set under a lock file.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "jobs/record_store.hpp"

namespace nbs::jobs {

class FileRecordStore : public RecordStore {
 public:
  // Creates `dir` if needed. Keys are relative paths of [A-Za-z0-9._-] segments.
  static Result<std::unique_ptr<FileRecordStore>> open(const std::filesystem::path& dir);

  Result<std::optional<StoredRecord>> get(const std::string& key) override;
  Result<std::uint64_t> put(const std::string& key, const std::string& value,
                            std::uint64_t cas_index) override;
  Status remove(const std::string& key, std::uint64_t cas_index) override;
  Result<std::vector<std::string>> list(const std::string& prefix) override;

 private:
  explicit FileRecordStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<std::filesystem::path> path_of(const std::string& key) const;
  Result<std::optional<StoredRecord>> read(const std::filesystem::path& path) const;

  std::filesystem::path dir_;
  std::mutex mutex_;  // the file lock orders writing processes; this orders writing threads
};

}  // namespace nbs::jobs
