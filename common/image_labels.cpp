#include "common/image_labels.hpp"

#include <algorithm>
#include <array>

namespace nbs {

namespace {

constexpr std::string_view k_source = "org.opencontainers.image.source";
constexpr std::string_view k_revision = "org.opencontainers.image.revision";
constexpr std::string_view k_created = "org.opencontainers.image.created";

}  // namespace

bool is_provenance_label(std::string_view key) {
  constexpr std::array<std::string_view, 3> k_keys{k_source, k_revision, k_created};
  return std::find(k_keys.begin(), k_keys.end(), key) != k_keys.end();
}

std::vector<std::pair<std::string, std::string>> image_labels(const JobRequest& request,
                                                              std::string_view commit, SystemTime created) {
  std::vector<std::pair<std::string, std::string>> out{{std::string(k_source), request.repo_url},
                                                       {std::string(k_revision), std::string(commit)},
                                                       {std::string(k_created), format_utc(created)}};
  out.insert(out.end(), request.labels.begin(), request.labels.end());
  return out;
}

}  // namespace nbs
