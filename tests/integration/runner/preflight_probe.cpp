// nbs-preflight-probe: runs the runner's Dockerfile preflight on one Dockerfile and prints its report
// as one JSON object, so that the corpus test can hold it against what Buildah does with the same file.
//   nbs-preflight-probe --repository DIR --dockerfile REL --context REL [--target T]
//                       [--build-arg K=V]... [--dialect classic|heredoc]
// {"findings":[{"class","line","text"}],"plan":{"stage_count","total_steps","stages":[{"number",
// "label","steps"}]},"skipped":"<why, when the preflight did not look>","ms":…}; exit 0 when the report was
// made (findings or not), 2 on bad usage.
#include <chrono>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "runner/dockerfile/preflight.hpp"

namespace {

using namespace nbs::runner::dockerfile;

boost::json::object to_json(const PreflightReport& report, const std::string& dockerfile, double ms) {
  boost::json::array findings;
  for (const auto& f : report.findings) {
    findings.push_back({{"class", to_string(f.kind)}, {"line", f.line}, {"text", describe(f, dockerfile)}});
  }
  boost::json::array stages;
  for (const auto& s : report.plan.stages) {
    stages.push_back({{"number", s.number}, {"label", s.label}, {"steps", s.steps}});
  }
  return {{"findings", findings},
          {"plan",
           {{"stage_count", report.plan.stage_count},
            {"total_steps", report.plan.total_steps},
            {"stages", stages}}},
          {"skipped", report.skipped},
          {"ms", ms}};
}

}  // namespace

// A test tool: an exception it does not expect ends it in std::terminate, which prints the exception and
// aborts, and the test that runs it fails on that.
// NOLINTNEXTLINE(bugprone-exception-escape): terminate is the right end for a test tool, see above
int main(int argc, char** argv) {
  CLI::App app{"nbs-preflight-probe: the runner's Dockerfile preflight on one Dockerfile, as JSON"};
  PreflightInput input;
  std::string repository;
  std::vector<std::string> build_args;
  std::string dialect = "classic";
  app.add_option("--repository", repository)->required();
  app.add_option("--dockerfile", input.dockerfile_path)->required();
  app.add_option("--context", input.context_path)->required();
  app.add_option("--target", input.target);
  app.add_option("--build-arg", build_args);
  app.add_option("--dialect", dialect)->check(CLI::IsMember({"classic", "heredoc"}));
  CLI11_PARSE(app, argc, argv);
  input.repository = repository;
  for (const auto& arg : build_args) {
    auto eq = arg.find('=');
    input.build_args[arg.substr(0, eq)] = eq == std::string::npos ? "" : arg.substr(eq + 1);
  }
  input.dialect = [&] { return dialect == "heredoc" ? Dialect::heredoc : Dialect::classic; };
  const auto start = std::chrono::steady_clock::now();
  auto report = run_preflight(input);
  const std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start;
  if (!report) {
    std::cerr << report.error().message << "\n";
    return 1;
  }
  std::cout << boost::json::serialize(to_json(*report, input.dockerfile_path, ms.count())) << "\n";
  return 0;
}
