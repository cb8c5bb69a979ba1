// The result file a phase leaves behind (in Nomad: ${NOMAD_ALLOC_DIR}/nbs/result-<phase>.json), read by
// the daemon: outcome, image digest and size, tags, commit, timings and cache use. Written atomically.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "runner/exit_code.hpp"

namespace nbs::runner {

struct PhaseResult {
  std::string job_id;
  std::string phase;
  ExitCode code = ExitCode::ok;
  std::string error;   // the failure message, with the failing lines when there are any
  std::string digest;  // manifest digest of the pushed or published image (or index)
  // Several platforms: platform ("linux/arm64") → the digest of its manifest in the index.
  std::map<std::string, std::string> platform_digests;
  std::string image_id;                  // buildah's image id (build)
  std::optional<std::int64_t> size;      // bytes in the registry: config plus (compressed) layers
  std::vector<std::string> tags;         // full references that now point at `digest`
  std::vector<std::string> signed_tags;  // publish with sign: the tags whose signatures were stored
  std::string commit;                    // the Git commit built
  std::string git_ref;
  std::string ref_kind;  // branch, tag, commit
  int steps = 0;
  int cached_steps = 0;
  unsigned git_received_objects = 0;
  std::uint64_t git_received_bytes = 0;
  std::map<std::string, std::int64_t> timings_ms;  // git, build, push, publish, total
  // The commit's time, for the image's created label; not in the result file.
  std::optional<SystemTime> committed;

  friend bool operator==(const PhaseResult&, const PhaseResult&) = default;
};

boost::json::object to_json(const PhaseResult& result);
Result<PhaseResult> parse_phase_result(std::string_view json);

// Writes `path` through a temporary file in the same directory, fsync and rename, so a reader sees the
// old file or the whole new one. Creates the directory.
Status write_result_file(const std::string& path, const PhaseResult& result);

}  // namespace nbs::runner
