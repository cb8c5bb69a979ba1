// `nbs-runner build`: Git mirror fetch and checkout, rootless `buildah bud`, push to the temp tag (or
// to every final tag when no tests follow). Emits its events through the context's log and fills
// `result` for the result file.
#pragma once

#include "runner/phase_context.hpp"
#include "runner/result_file.hpp"

namespace nbs::runner {

PhaseOutcome run_build_phase(const PhaseContext& ctx, PhaseResult& result);

// Where a build keeps its files, all under spec.work_dir.
struct BuildPaths {
  std::string source;    // <work>/src: the checkout
  std::string buildah;   // <work>/buildah: owned by the build user
  std::string run_root;  // <work>/buildah/run
  std::string tmp;       // <work>/buildah/tmp
  std::string iid_file;  // <work>/buildah/iid
  std::string storage;   // <cache>/storage
};
BuildPaths build_paths(const RunnerSpec& spec);

}  // namespace nbs::runner
