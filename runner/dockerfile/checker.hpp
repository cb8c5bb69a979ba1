// The checks of the preflight over one parsed Dockerfile and its stages (see preflight.hpp for what
// they look for). Only stages Buildah builds are checked for what fails when a step runs; an index
// `--from=` out of range is checked everywhere, because Buildah crashes on it before any step.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "runner/dockerfile/build_context.hpp"
#include "runner/dockerfile/preflight.hpp"
#include "runner/dockerfile/stages.hpp"
#include "runner/dockerfile/words.hpp"

namespace nbs::runner::dockerfile {

class Checker {
 public:
  Checker(const Dockerfile& file, const StageGraph& graph, const PreflightOptions& options,
          const BuildContext& context);

  std::vector<Finding> run();

 private:
  void check_without_from();
  void check_target();
  void check_from_indexes();
  void check_stage(const Stage& stage);
  void check_from_line(const Instruction& from);
  void check_unknown(const Instruction& ins);
  void check_copy_from(const Stage& stage, const Instruction& ins, const std::string& from);
  void check_sources(const Instruction& ins, const Variables& vars);
  bool check_classic_heredoc(const Stage& stage, std::size_t at, const Variables& vars);

  // The names of the named stages before stage `before`.
  std::span<const std::string> stage_names(std::size_t before) const;
  std::size_t stage_count() const;
  Variables stage_variables_at_start(const Stage& stage);
  void apply(const Instruction& ins, Variables& vars) const;
  void add(FindingClass kind, int line, std::string message);

  const Dockerfile& file_;
  const StageGraph& graph_;
  const PreflightOptions& options_;
  const BuildContext& context_;
  std::vector<std::string> names_;        // the named stages' names, in order
  std::vector<std::size_t> named_index_;  // and their indexes
  static constexpr std::size_t k_max_comparisons = 100'000;
  std::size_t comparisons_left_ = k_max_comparisons;  // of a `--from=` with stage names, for near misses
  Variables globals_;
  std::vector<std::shared_ptr<const Variables>> stage_env_;  // each stage's ENV values at its end
  std::vector<Finding> findings_;
};

}  // namespace nbs::runner::dockerfile
