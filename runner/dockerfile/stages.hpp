// The build stages of a Dockerfile as Buildah 1.28 sees them, and which of them it builds. ARGs before
// the first FROM are global; any other instruction there makes a stage of its own (Buildah numbers it,
// never builds it). Buildah keeps the stages up to the target (the last stage when no target is
// given) and builds the target and, transitively, the earlier stages it uses: a FROM naming a stage,
// `COPY --from=` and `RUN --mount=…,from=` naming a stage or its index. Names match exactly (case
// included) and only literally (no ARG expansion), as in Buildah.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runner/dockerfile/parser.hpp"

namespace nbs::runner::dockerfile {

struct Stage {
  std::size_t index = 0;  // Buildah's position, 0-based, the pre-FROM stage included
  std::string name;       // the AS name as written; "" when unnamed
  bool preamble = false;  // the instructions before the first FROM
  std::size_t begin = 0;  // [begin, end) in Dockerfile::instructions; `begin` is the FROM
  std::size_t end = 0;
  bool built = false;

  // The name, or the index for an unnamed stage.
  std::string label() const { return name.empty() ? std::to_string(index) : name; }
};

struct StageGraph {
  std::vector<std::size_t> global_args;  // ARG instructions before the first FROM
  std::vector<Stage> stages;             // every stage, the ones after the target included
  std::optional<std::size_t> target;     // nullopt: no FROM, or `target` names no stage
  // The first stage of each name: every COPY --from= looks its stage up (a linear search made a
  // Dockerfile of 20,000 stages take seconds).
  std::unordered_map<std::string, std::size_t> first_named;
};

StageGraph build_stage_graph(const Dockerfile& file, std::string_view target);

// The stage among stages[0, before) that `ref` names (its exact name or its index).
std::optional<std::size_t> find_stage(const StageGraph& graph, std::string_view ref, std::size_t before);

// The index that `ref` is, if it is all digits.
std::optional<std::size_t> stage_index(std::string_view ref);

// The stages a stage uses, as `--from=`/`from=`/FROM values (unexpanded).
std::vector<std::string> stage_references(const Dockerfile& file, const Stage& stage);

}  // namespace nbs::runner::dockerfile
