// The Dockerfile preflight: before Buildah starts, in milliseconds, finds what would make Buildah stop
// (unknown instructions, a missing FROM, COPY/ADD sources absent from the context, `--from=` stages
// that do not exist, an undefined target), each with its line, and counts the steps Buildah will run.
// It is conservative: whatever Buildah 1.28 accepts passes; when it cannot be sure (a variable from the
// base image, a `--from=` that may be an image) it says nothing.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "runner/dockerfile/build_context.hpp"
#include "runner/dockerfile/finding.hpp"
#include "runner/dockerfile/parser.hpp"
#include "runner/dockerfile/step_plan.hpp"

namespace nbs::runner::dockerfile {

struct PreflightOptions {
  std::map<std::string, std::string> build_args;
  std::string target;  // "" builds the last stage
  Dialect dialect = Dialect::classic;
  std::string context_label = "the repository root";  // how messages name the context directory
  std::string ignore_file_label;                      // how messages name the ignore file
};

struct PreflightReport {
  std::vector<Finding> findings;  // by line; empty when Buildah may start
  StepPlan plan;                  // empty when there is no stage to build
  // Why the preflight did not look, when it did not ("Dockerfile links out of the repository"): no
  // findings, no plan, and Buildah decides.
  std::string skipped;
};

// Checks a Dockerfile's text against a build context.
PreflightReport check_dockerfile(std::string_view text, const PreflightOptions& options,
                                 const BuildContext& context);

// True when the text may read differently in the two dialects (a `<<` or an escape directive), so
// that the runner asks Buildah for its version only then.
bool dialect_matters(std::string_view text);

// The dialect of the Buildah whose `buildah --version` printed `output` ("buildah version 1.28.2 (…)").
std::optional<Dialect> dialect_of_buildah(std::string_view output);

struct PreflightInput {
  std::filesystem::path repository;  // the checkout
  std::string dockerfile_path;       // relative to the repository, as the job names it
  std::string context_path;          // relative to the repository ("." for its root)
  std::map<std::string, std::string> build_args;
  std::string target;
  std::function<Dialect()> dialect;  // asked only when dialect_matters()
};

// Reads the Dockerfile, the ignore file and the context and checks them. Fails only when the
// Dockerfile cannot be read.
Result<PreflightReport> run_preflight(const PreflightInput& input);

}  // namespace nbs::runner::dockerfile
