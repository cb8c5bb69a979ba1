// The checks of the preflight over one parsed Dockerfile and its stages (see preflight.hpp for what
// they look for). Only stages Buildah builds are checked for what fails when a step runs; an index
// `--from=` out of range is checked everywhere, because Buildah crashes on it before any step.
#pragma once

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

  std::vector<std::string> stage_names(std::size_t before) const;
  std::size_t stage_count() const;
  Variables stage_variables_at_start(const Stage& stage);
  void apply(const Instruction& ins, Variables& vars) const;
  void add(FindingClass kind, int line, std::string message);

  const Dockerfile& file_;
  const StageGraph& graph_;
  const PreflightOptions& options_;
  const BuildContext& context_;
  Variables globals_;
  std::vector<Variables> stage_end_;  // each stage's variables after its last instruction
  std::vector<Finding> findings_;
};

}  // namespace nbs::runner::dockerfile
