// Why a job failed, in the terms an agent acts on: a class decided from exit codes and structured
// events (the runner tags its error event; the orchestrator knows deadlines, placement and kills), one
// line of summary, where in the repository if known, and the few log lines that show the cause.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace nbs {

enum class FailureClass {
  git_auth,              // the repository wants credentials, or refused the ones given
  git_ref_not_found,     // git_ref names no branch, tag or commit
  git_unreachable,       // the repository URL does not answer, or answers "not found"
  dockerfile_syntax,     // the Dockerfile cannot be parsed, or names a stage or target that is not there
  copy_source_missing,   // COPY/ADD of a path the build context does not hold
  base_image_not_found,  // FROM names an image the registry does not have
  base_image_auth,       // FROM names an image the registry will not give without credentials
  build_step_failed,     // a RUN step exited non-zero
  test_failed,           // a test command exited non-zero
  test_no_shell,         // test.commands need /bin/sh and the image has none
  registry_auth,         // the registry refused the push credentials (or there were none)
  registry_tls,          // TLS trouble: a plain-HTTP registry not marked insecure, an unknown CA
  registry_unreachable,  // the registry did not answer (refused, reset, timed out, 5xx)
  deadline,              // a phase ran past its timeout
  placement,             // the cluster could not place a phase in time
  killed,                // stopped by request
  internal,              // the service's own trouble (a lost node, a killed runner): not the repository's
};

std::string_view to_string(FailureClass c);  // "git_auth", …
std::optional<FailureClass> parse_failure_class(std::string_view text);

struct Failure {
  FailureClass failure_class = FailureClass::internal;
  std::string phase;     // build, test, publish
  std::string task;      // "runner", or the test task ("cmd-0", "entry-point")
  std::string summary;   // one line
  std::string location;  // "Dockerfile:3" when known
  std::vector<std::string> evidence;

  friend bool operator==(const Failure&, const Failure&) = default;
};

// {"class", "phase", "task", "summary", "location"?, "evidence"}: getStatus's `failure`, and the record's.
boost::json::object to_json(const Failure& failure);
// Fields that are missing or of the wrong type read as empty; an unknown class reads as internal.
Failure parse_failure(const boost::json::object& object);

// What the agent should do about a failure of this class, in one or two sentences.
std::string next_step_for(const Failure& failure);

// Lines of Buildah's and podman's own output an agent need not read to find a cause: echoed command
// lines, STEP echoes, cache and commit notes, image pull and push progress, blank lines. The patterns
// are exact enough that a line a build step or a test printed is not taken for one. (The runner's own
// narration, git and retry chatter, is told apart by its stream, not here.)
bool is_tool_noise(std::string_view line);

inline constexpr std::size_t k_max_evidence_lines = 20;
inline constexpr std::size_t k_max_evidence_bytes = 1536;

// The last lines of `lines` that are not noise, at most k_max_evidence_lines and k_max_evidence_bytes
// (a longer line is cut), in their order; Buildah's "subprocess exited with status N" only once.
std::vector<std::string> pick_evidence(const std::vector<std::string>& lines);
// The same without a tool's final "Error: <text>" line when `summary` already quotes <text>: the summary
// says it once (a long push error twice made a failing getStatus pass 2 KiB). Other lines stay, even if
// the summary shares their words.
std::vector<std::string> pick_evidence(const std::vector<std::string>& lines, std::string_view summary);

}  // namespace nbs
