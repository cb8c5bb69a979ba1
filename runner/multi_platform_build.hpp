// The parts of a build for several platforms (request.platforms with two or more): Buildah builds one
// image per platform into a local manifest list, pushed as an OCI image index. Before: whether this node
// can run the RUN steps of each platform. During: which output lines tell the build's progress. After:
// each platform's digest, read back from the registry (the pushed manifests are not the local ones:
// push compresses the layers), and the local list and images removed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "runner/buildah.hpp"
#include "runner/dockerfile/step_plan.hpp"
#include "runner/phase_context.hpp"
#include "runner/platforms.hpp"

namespace nbs::runner {

// True when the request builds a manifest list rather than one image.
bool builds_manifest_list(const JobRequest& request);

// The local manifest list a job's build fills: "localhost/nbs/<job id>:list".
std::string manifest_list_name(std::string_view job_id);

// Fails the phase (class placement) when a platform needs emulation this node lacks for a RUN of the
// built stages; a Dockerfile without RUN builds for any platform.
PhaseOutcome check_platforms(const PhaseContext& ctx, const dockerfile::StepPlan& plan,
                             const std::vector<std::string>& platforms, const NodePlatforms& node);

// Buildah's message when a RUN executed a binary of another architecture while building `platforms`, as
// one line for the agent; empty when `excerpt` shows no such failure or no platforms were asked for.
std::string foreign_binary_message(std::string_view excerpt, const std::vector<std::string>& platforms,
                                   const NodePlatforms& node);

// Sorts a multi-platform build's output: the lines of the first platform (without their "[platform] "
// prefix) and the unprefixed ones tell the progress; the others only go to the log. Collects the image
// id each platform's build prints as a line of its own.
class PlatformOutput {
 public:
  explicit PlatformOutput(std::string first_platform) : first_(std::move(first_platform)) {}

  // The line the step tracker should see, or nullopt for a line of another platform.
  std::optional<std::string_view> for_tracker(std::string_view line);
  const std::vector<std::string>& image_ids() const { return image_ids_; }

 private:
  std::string first_;
  std::vector<std::string> image_ids_;
};

// platform ("linux/arm64") → manifest digest, from the index at `reference` in the registry.
Result<std::map<std::string, std::string>> read_platform_digests(const PhaseContext& ctx,
                                                                 const std::string& reference);

// Removes the local list and the images in it (they were built without the layer cache, so nothing
// reuses them), however the build ended; a failure is logged, never the build's.
void remove_manifest_list(const PhaseContext& ctx, const BuildahSetup& setup,
                          const std::optional<UserIdentity>& run_as, const std::string& list,
                          const std::vector<std::string>& image_ids);

}  // namespace nbs::runner
