// RecordStore over Nomad Variables: key "jobs/<id>" is the variable "<root>jobs/<id>" (root
// "nomad-build/" by default), its value the variable's one item "value", its index the variable's
// ModifyIndex. Check-and-set is Nomad's ?cas= (0: create only), so daemons sharing a cluster share the
// store safely. Limits are Nomad's: keys of [A-Za-z0-9-_~/] (no '.'), paths of at most 128 characters,
// values of at most 64 KiB.
#pragma once

#include <memory>
#include <string>

#include "jobs/nomad/client.hpp"
#include "jobs/nomad/config.hpp"
#include "jobs/record_store.hpp"

namespace nbs::jobs {

class VariablesRecordStore : public RecordStore {
 public:
  static constexpr std::string_view k_default_root = "nomad-build/";
  static constexpr std::string_view k_item = "value";

  // `root` must be a valid variable path ending in '/' (invalid_argument otherwise). The namespace is
  // the client's (NOMAD_NAMESPACE).
  static Result<std::unique_ptr<VariablesRecordStore>> create(nomad::Client client,
                                                              std::string root = std::string(k_default_root));
  // Over a new client to `config` (invalid_argument naming a TLS file that cannot be loaded).
  static Result<std::unique_ptr<VariablesRecordStore>> create(nomad::Config config,
                                                              std::string root = std::string(k_default_root));
  // create() with the NOMAD_* variables of `env` (nomad::config_from_env).
  static Result<std::unique_ptr<VariablesRecordStore>> from_env(
      const nomad::EnvMap& env, std::string root = std::string(k_default_root));

  Result<std::optional<StoredRecord>> get(const std::string& key) override;
  Result<std::uint64_t> put(const std::string& key, const std::string& value,
                            std::uint64_t cas_index) override;
  Status remove(const std::string& key, std::uint64_t cas_index) override;
  Result<std::vector<std::string>> list(const std::string& prefix) override;

 private:
  VariablesRecordStore(nomad::Client client, std::string root)
      : client_(std::move(client)), root_(std::move(root)) {}
  Result<std::string> path_of(const std::string& key) const;

  nomad::Client client_;
  std::string root_;
};

}  // namespace nbs::jobs
