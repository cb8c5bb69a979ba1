// `nbs-runner publish`: copies the temp image to every final tag inside the registry (manifest GET,
// cross-repository blob mounts when repositories differ, streamed blob copies between registries,
// one manifest PUT per tag), then deletes the temp manifest by digest.
// `nbs-runner cleanup`: deletes the job's temp image by digest.
// Every registry call of both is retried while the registry does not answer (a restart, a brief outage).
#pragma once

#include <string_view>

#include "runner/failure_classes.hpp"
#include "runner/phase_context.hpp"
#include "runner/registry/registry_client.hpp"
#include "runner/result_file.hpp"

namespace nbs::runner {

// Before another try of a registry call that failed with `error`: false when the error is not transient
// (the registry answered), `attempt` was the policy's last, or a stop or the deadline came during the
// wait; else logs the retry, waits `delay` and doubles it (capped).
bool wait_to_retry(const PhaseContext& ctx, std::string_view what, const Error& error, int attempt,
                   std::chrono::milliseconds& delay);

// Runs `call` (one registry operation that may be repeated: GET, HEAD, mount, copy, manifest PUT) until
// it succeeds or wait_to_retry() says stop; returns its last result.
template <class Call>
auto retry_registry_call(const PhaseContext& ctx, std::string_view what, Call&& call) -> decltype(call()) {
  auto delay = ctx.options().retry.initial;
  for (int attempt = 1;; ++attempt) {
    auto r = call();
    if (r || !wait_to_retry(ctx, what, r.error(), attempt, delay)) {
      return r;
    }
  }
}

PhaseOutcome run_publish_phase(const PhaseContext& ctx, PhaseResult& result);
PhaseOutcome run_cleanup_phase(const PhaseContext& ctx, PhaseResult& result);

// Config plus layers of `manifest` (and of every platform manifest of an index), in bytes.
Result<std::int64_t> image_size(registry::RegistryClient& client, const registry::ImageRef& ref,
                                const registry::Manifest& manifest);

}  // namespace nbs::runner
