// `nbs-runner publish`: copies the temp image to every final tag inside the registry (manifest GET,
// cross-repository blob mounts when repositories differ, streamed blob copies between registries,
// one manifest PUT per tag), then deletes the temp manifest by digest.
// `nbs-runner cleanup`: deletes the job's temp image by digest.
#pragma once

#include "runner/phase_context.hpp"
#include "runner/registry/registry_client.hpp"
#include "runner/result_file.hpp"

namespace nbs::runner {

PhaseOutcome run_publish_phase(const PhaseContext& ctx, PhaseResult& result);
PhaseOutcome run_cleanup_phase(const PhaseContext& ctx, PhaseResult& result);

// Config plus layers of `manifest` (and of every platform manifest of an index), in bytes.
Result<std::int64_t> image_size(registry::RegistryClient& client, const registry::ImageRef& ref,
                                const registry::Manifest& manifest);

}  // namespace nbs::runner
