// The labels and annotations every published image carries: where it came from (the OCI keys
// org.opencontainers.image.source, .revision and .created, from the job) and the job's own `labels`.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/job_request.hpp"

namespace nbs {

// The keys the service sets itself; a job's `labels` may not name them.
bool is_provenance_label(std::string_view key);

// Key and value of each label, the provenance first: the repository URL, the commit built and `created`,
// the commit's time (as SOURCE_DATE_EPOCH would be): the same commit builds the same image, digest and
// all, where a build's own time would make every rebuild a new image.
std::vector<std::pair<std::string, std::string>> image_labels(const JobRequest& request,
                                                              std::string_view commit, SystemTime created);

}  // namespace nbs
