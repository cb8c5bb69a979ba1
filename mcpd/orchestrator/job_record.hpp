// The job record: everything the service remembers about a job, stored as JSON under `jobs/<id>` in
// the record store (Nomad Variables `nomad-build/jobs/<id>`, or the local state directory). It holds the
// validated request, the status, the phase timestamps and, on failure, the failing phase with an
// excerpt of its log, so the reason survives Nomad's garbage collection.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/failure.hpp"
#include "common/job_request.hpp"

namespace nbs::mcpd {

enum class JobStatus { pending, building, testing, publishing, succeeded, failed, killed };
std::string_view to_string(JobStatus status);  // "PENDING", "BUILDING", …
std::optional<JobStatus> parse_job_status(std::string_view text);
bool is_terminal(JobStatus status);

struct PhaseTimes {
  std::optional<SystemTime> job_start;
  std::optional<SystemTime> build_start;
  std::optional<SystemTime> build_end;
  std::optional<SystemTime> test_start;
  std::optional<SystemTime> test_end;
  std::optional<SystemTime> publish_start;
  std::optional<SystemTime> publish_end;
  std::optional<SystemTime> job_end;

  std::optional<SystemTime>& start_of(Phase phase);
  std::optional<SystemTime>& end_of(Phase phase);
  friend bool operator==(const PhaseTimes&, const PhaseTimes&) = default;
};

struct JobRecord {
  std::string id;
  JobRequest request;
  JobStatus status = JobStatus::pending;
  std::optional<Phase> active_phase;  // the last phase started (build, test or publish)
  int attempt = 1;                    // of the active phase
  PhaseTimes times;
  std::string waiting_reason;  // PENDING: what the job waits for
  std::optional<Phase> failed_phase;
  std::string error;                 // FAILED or KILLED: one line saying why
  std::vector<std::string> excerpt;  // FAILED: the failure's evidence (kept for older clients)
  std::optional<Failure> failure;    // FAILED: why, as an agent acts on it
  std::string digest;                // of the built image (an index, with several platforms)
  std::map<std::string, std::string> platform_digests;  // several platforms: platform → its manifest
  std::uint64_t image_size = 0;
  std::string commit;               // the commit that was built
  std::vector<std::string> images;  // SUCCEEDED: every published reference
  // SUCCEEDED with `sign`: the references whose signatures are in the daemon's signature_store (all of
  // images: publish fails unless every tag got one)
  std::vector<std::string> signed_images;
  bool kill_requested = false;
  std::optional<Phase> cleanup_for;  // the temp image of this job needs removing (tests ran or were due)
  bool temp_cleaned = false;
  std::string cleanup_error;
  bool settled = false;  // terminal, nothing running, lock released, temp image gone
  std::string token_id;  // which bearer token submitted it (jobs are bound to it), or ""

  friend bool operator==(const JobRecord&, const JobRecord&) = default;
};

boost::json::object to_json(const JobRecord& record);
Result<JobRecord> parse_job_record(std::string_view text);

// {"linux/amd64": "sha256:…", …}: a multi-platform build's digests, in the record, a build result and
// getStatus alike; parsing skips what is not a string.
boost::json::object platform_digests_json(const std::map<std::string, std::string>& digests);
std::map<std::string, std::string> parse_platform_digests(const boost::json::value* value);

// A new job's waiting reason until its first decision: it has not yet seen its lock held by another
// (such a job tries to take the lock at once, reconcile.cpp).
inline constexpr std::string_view k_queued_reason = "queued";

// The store key of a job's record, and of the lock that serialises builds of one image and branch.
std::string record_key(std::string_view job_id);
std::string lock_key(const JobRequest& request);

}  // namespace nbs::mcpd
