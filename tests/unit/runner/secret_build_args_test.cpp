// A secret build arg's value stays off Buildah's command line (it goes through Buildah's environment)
// and out of every phase-log event and the result file, whatever quotes it.
#include <algorithm>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"
#include "common/process_stop.hpp"
#include "runner/buildah.hpp"
#include "runner/phase_main.hpp"
#include "runner/result_file.hpp"
#include "tests/unit/runner/testutil.hpp"

namespace nbs::runner {
namespace {

constexpr const char* k_secret = "npm_Zx81-secret-value";

BuildahSetup setup() {
  return BuildahSetup{.storage_root = "/cache/storage", .run_root = "/work/run", .home = "/home/build"};
}

TEST(SecretBuildArgsTest, ValueIsInBuildahsEnvironmentNotItsArgv) {
  BudOptions o{.dockerfile = "D",
               .context = "C",
               .build_args = {{"VISIBLE", "plain"}},
               .secret_build_args = {{"NPM_TOKEN", k_secret}},
               .iid_file = "I",
               .tag = "T"};
  const auto argv = bud_argv(setup(), o);
  for (const auto& word : argv) {
    EXPECT_EQ(word.find(k_secret), std::string::npos) << word;
  }
  const auto named = std::find(argv.begin(), argv.end(), "NPM_TOKEN");
  ASSERT_NE(named, argv.end());
  EXPECT_EQ(*(named - 1), "--build-arg");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "VISIBLE=plain"), argv.end());
  const auto env = bud_env(setup(), o);
  EXPECT_NE(std::find(env.begin(), env.end(), std::string("NPM_TOKEN=") + k_secret), env.end());
  EXPECT_EQ(std::find(env.begin(), env.end(), "VISIBLE=plain"), env.end());
  for (const auto& e : buildah_env(setup())) {
    EXPECT_NE(std::find(env.begin(), env.end(), e), env.end()) << e;
  }
}

TEST(SecretBuildArgsTest, PhaseLogAndResultFileMaskTheValue) {
  testing::TempDir dir;
  auto request = parse_job_request_json(std::string(R"({"owner":"a","repo_url":"https://h/r.git",
      "registry_url":"h:5000/app","build_args":{"NPM_TOKEN":")") +
                                        k_secret + R"(","A":"1"},"secret_build_args":["NPM_TOKEN"]})");
  ASSERT_TRUE(request) << request.error().describe();
  RunnerSpec spec;
  spec.job_id = "3f2b9c1e-0000-4000-8000-000000000001";
  spec.phase = Phase::build;
  spec.request = *request;
  spec.result_path = (dir.path() / "result.json").string();
  std::string out;
  PhaseLogWriter log([&](std::string_view line) { out += line; }, spec.job_id, "build", LogFormat::json);
  ProcessStop stop;
  const ExitCode code =
      run_phase(spec, log, RunnerOptions{}, stop, [](const PhaseContext& ctx, PhaseResult&) {
        const std::string secret(k_secret);
        ctx.log().line(LogStream::out, "token is " + secret);
        ctx.log().line(LogStream::err, "$ buildah bud --build-arg NPM_TOKEN=" + secret);
        return ctx.fail(ExitCode::build_failed, FailureClass::build_step_failed,
                        "step failed\nRUN echo " + secret);
      });
  EXPECT_EQ(code, ExitCode::build_failed);
  EXPECT_EQ(out.find(k_secret), std::string::npos) << out;
  EXPECT_NE(out.find("token is ***"), std::string::npos) << out;
  const std::string result = testing::read_file(spec.result_path);
  EXPECT_NE(result.find("RUN echo ***"), std::string::npos) << result;
  EXPECT_EQ(result.find(k_secret), std::string::npos) << result;
}

}  // namespace
}  // namespace nbs::runner
