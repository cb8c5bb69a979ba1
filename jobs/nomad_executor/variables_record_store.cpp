#include "jobs/nomad_executor/variables_record_store.hpp"

#include <algorithm>

#include "jobs/nomad/variables.hpp"

namespace nbs::jobs {
namespace {

constexpr std::size_t k_max_path = 128;  // Nomad's variable path limit
// Nomad's limit on the items' keys and values together.
constexpr std::size_t k_max_items = std::size_t{64} * 1024;

// Nomad's path rule ^[a-zA-Z0-9-_~/]{1,128}$, and no empty segment (a key "a//b" or "/a" would name a
// variable its list could not give back as the same key).
bool valid_path(std::string_view path) {
  if (path.empty() || path.size() > k_max_path || path.front() == '/' || path.back() == '/' ||
      path.find("//") != std::string_view::npos) {
    return false;
  }
  return std::all_of(path.begin(), path.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '~' || c == '/';
  });
}

}  // namespace

Result<std::unique_ptr<VariablesRecordStore>> VariablesRecordStore::create(nomad::Client client,
                                                                           std::string root) {
  if (root.empty() || root.back() != '/' || !valid_path(std::string_view(root).substr(0, root.size() - 1))) {
    return make_error(
        ErrorKind::invalid_argument,
        "state store: root '" + root + "' must be a Nomad variable path of [A-Za-z0-9-_~/] ending in '/'");
  }
  return std::unique_ptr<VariablesRecordStore>(new VariablesRecordStore(std::move(client), std::move(root)));
}

Result<std::unique_ptr<VariablesRecordStore>> VariablesRecordStore::create(nomad::Config config,
                                                                           std::string root) {
  auto client = nomad::Client::connect(std::move(config));
  if (!client) {
    return client.error();
  }
  return create(std::move(*client), std::move(root));
}

Result<std::unique_ptr<VariablesRecordStore>> VariablesRecordStore::from_env(const nomad::EnvMap& env,
                                                                             std::string root) {
  auto config = nomad::config_from_env(env);
  if (!config) {
    return config.error();
  }
  return create(std::move(*config), std::move(root));
}

Result<std::string> VariablesRecordStore::path_of(const std::string& key) const {
  std::string path = root_ + key;
  if (!valid_path(key) || !valid_path(path)) {
    return make_error(ErrorKind::invalid_argument,
                      "state store: invalid key '" + key +
                          "' (Nomad variable paths take [A-Za-z0-9-_~/], at most " +
                          std::to_string(k_max_path) + " characters with the root)");
  }
  return path;
}

Result<std::optional<StoredRecord>> VariablesRecordStore::get(const std::string& key) {
  auto path = path_of(key);
  if (!path) {
    return path.error();
  }
  nomad::Variables vars(client_);
  auto read = vars.read(*path);
  if (!read) {
    if (read.error().kind == ErrorKind::not_found) {
      return std::optional<StoredRecord>{};
    }
    return read.error();
  }
  auto item = read->value.items.find(std::string(k_item));
  if (item == read->value.items.end()) {
    return make_error(ErrorKind::internal, "state store: variable " + *path + " has no item '" +
                                               std::string(k_item) + "' (not written by this store)");
  }
  return std::optional(StoredRecord{std::move(item->second), read->value.modify_index});
}

Result<std::uint64_t> VariablesRecordStore::put(const std::string& key, const std::string& value,
                                                std::uint64_t cas_index) {
  auto path = path_of(key);
  if (!path) {
    return path.error();
  }
  if (k_item.size() + value.size() > k_max_items) {
    return make_error(ErrorKind::invalid_argument, "state store: " + key + ": a record of " +
                                                       std::to_string(value.size()) +
                                                       " bytes is over Nomad's 64 KiB variable limit");
  }
  nomad::Variables vars(client_);
  std::optional<nomad::Variable> current;
  auto written = vars.write(nomad::Variable{.path = *path, .items = {{std::string(k_item), value}}},
                            cas_index, {}, &current);
  if (!written) {
    if (written.error().kind == ErrorKind::conflict) {
      const std::uint64_t stored = current ? current->modify_index : 0;
      return make_error(ErrorKind::conflict, "state store: " + key + " changed (index " +
                                                 std::to_string(stored) + ", expected " +
                                                 std::to_string(cas_index) + ")");
    }
    return written.error();
  }
  return written->modify_index;
}

Status VariablesRecordStore::remove(const std::string& key, std::uint64_t cas_index) {
  auto path = path_of(key);
  if (!path) {
    return path.error();
  }
  nomad::Variables vars(client_);
  std::optional<nomad::Variable> current;
  auto removed = vars.remove(*path, cas_index, {}, &current);
  if (!removed && removed.error().kind == ErrorKind::conflict) {
    // Nomad answers a check-and-set delete of an absent variable with a conflict holding an empty
    // variable (ModifyIndex 0); for this store removing an absent key is fine.
    if (current && current->modify_index == 0) {
      return {};
    }
    const std::uint64_t stored = current ? current->modify_index : 0;
    return make_error(ErrorKind::conflict, "state store: " + key + " changed before removal (index " +
                                               std::to_string(stored) + ", expected " +
                                               std::to_string(cas_index) + ")");
  }
  return removed;
}

Result<std::vector<std::string>> VariablesRecordStore::list(const std::string& prefix) {
  nomad::Variables vars(client_);
  auto listed = vars.list(nomad::QueryOptions{.prefix = root_ + prefix});
  if (!listed) {
    return listed.error();
  }
  std::vector<std::string> keys;
  for (const auto& v : listed->value) {
    if (v.path.starts_with(root_) && v.path.compare(root_.size(), prefix.size(), prefix) == 0) {
      keys.push_back(v.path.substr(root_.size()));
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace nbs::jobs
