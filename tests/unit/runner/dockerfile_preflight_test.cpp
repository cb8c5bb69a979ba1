// The preflight's checks with their exact messages and lines. What it must not report is as important
// as what it reports: every "passes" case below is a shape Buildah 1.28 accepts (checked with a real
// `buildah bud`), every finding one it rejects.
#include <gtest/gtest.h>

#include "runner/dockerfile/preflight.hpp"
#include "runner/dockerfile/suggest.hpp"
#include "tests/unit/runner/testutil.hpp"

namespace nbs::runner::dockerfile {
namespace {

using Lines = std::vector<std::string>;

class PreflightTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto f : {"a.txt", "app/main.go", "sub/f", "web/index.html"}) {
      dir_.write(f, "x");
    }
  }

  // "class: Dockerfile:line: message" for each finding.
  Lines check(std::string_view text, PreflightOptions options = {}, const std::string& ignore = "") const {
    if (options.ignore_file_label.empty()) {
      options.ignore_file_label = ".dockerignore";
    }
    auto report = check_dockerfile(text, options, BuildContext(dir_.path(), IgnoreRules::parse(ignore)));
    Lines out;
    for (const auto& f : report.findings) {
      out.push_back(std::string(to_string(f.kind)) + ": " + describe(f, "Dockerfile"));
    }
    return out;
  }

  nbs::testing::TempDir dir_;
};

TEST_F(PreflightTest, AValidMultiStageDockerfilePasses) {
  EXPECT_EQ(check("# syntax=docker/dockerfile:1\n"
                  "ARG BASE=scratch\n"
                  "FROM $BASE AS build\n"
                  "COPY app/ /src/\n"
                  "COPY [\"a.txt\", \"/a\"]\n"
                  "FROM build AS test\n"
                  "copy --chown=1:1 sub/f /f\n"
                  "FROM scratch\n"
                  "COPY --from=build /src /src\n"
                  "COPY --from=0 /a /a\n"
                  "ADD https://example.com/x.tgz /x\n"
                  "ONBUILD FOOO bar\n"),
            Lines{});
}

TEST_F(PreflightTest, UnknownInstructionWithDidYouMean) {
  EXPECT_EQ(check("FROMM scratch\n"),
            Lines{"dockerfile_syntax: Dockerfile:1: unknown instruction FROMM (did you mean FROM?)"});
  EXPECT_EQ(
      check("FROM scratch\nCOPPY a.txt /a\nECHO hi\nENTRYPIONT [\"x\"]\n"),
      (Lines{"dockerfile_syntax: Dockerfile:2: unknown instruction COPPY (did you mean COPY?)",
             "dockerfile_syntax: Dockerfile:3: unknown instruction ECHO",
             "dockerfile_syntax: Dockerfile:4: unknown instruction ENTRYPIONT (did you mean ENTRYPOINT?)"}));
}

TEST_F(PreflightTest, StagesBuildahSkipsAreNotChecked) {
  // Buildah builds only what the target uses; the rest may hold anything, as may the lines before FROM.
  EXPECT_EQ(check("RUN echo before\nFOOO bar\n"
                  "FROM scratch AS unused\nCOPPY a b\nCOPY nothere /x\nFROM\n"
                  "FROM scratch\nCOPY a.txt /a\n"),
            Lines{});
}

TEST_F(PreflightTest, MissingFrom) {
  EXPECT_EQ(
      check(""),
      Lines{"dockerfile_syntax: Dockerfile:1: the Dockerfile has no instructions (it needs FROM <image>)"});
  EXPECT_EQ(
      check("# just a comment\n\nRUN echo hi\n"),
      Lines{"dockerfile_syntax: Dockerfile:3: no FROM instruction: a build stage starts with FROM <image>"});
}

TEST_F(PreflightTest, FromNeedsAnImage) {
  EXPECT_EQ(check("FROM\n"),
            Lines{"dockerfile_syntax: Dockerfile:1: FROM takes an image and an optional stage "
                  "name: FROM <image> [AS <name>]"});
  EXPECT_EQ(check("FROM a b\n"),
            Lines{"dockerfile_syntax: Dockerfile:1: FROM takes an image and an optional stage "
                  "name: FROM <image> [AS <name>]"});
  EXPECT_EQ(check("FROM --platform=linux/amd64 scratch as x\n"), Lines{});
}

TEST_F(PreflightTest, CopySourceNotInTheContext) {
  EXPECT_EQ(
      check("FROM scratch\nCOPY a.txt /a\n\nCOPY app.txt nothere/ /dst/\nADD missing.tgz /x\n"),
      (Lines{
          "copy_source_missing: Dockerfile:4: COPY source app.txt is not in the build context (context: "
          "the repository root)",
          "copy_source_missing: Dockerfile:4: COPY source nothere/ is not in the build context (context: "
          "the repository root)",
          "copy_source_missing: Dockerfile:5: ADD source missing.tgz is not in the build context (context: "
          "the repository root)"}));
  EXPECT_EQ(
      check("FROM scratch\nCOPY *.nomatch /x/\nCOPY /a.txt /sub/../a.txt /y/\n"),
      Lines{"copy_source_missing: Dockerfile:2: COPY source *.nomatch matches nothing in the build context "
            "(context: the repository root)"});
}

TEST_F(PreflightTest, CopySourceExcludedByTheIgnoreFile) {
  EXPECT_EQ(
      check("FROM scratch\nCOPY a.txt /a\nCOPY *.txt /t/\nCOPY sub /sub\n", {}, "*.txt\nsub\n!sub/f\n"),
      (Lines{"copy_source_missing: Dockerfile:2: COPY source a.txt is not in the build context (context: "
             "the repository root; .dockerignore excludes it)",
             "copy_source_missing: Dockerfile:3: COPY source *.txt matches nothing in the build context "
             "(context: the repository root; .dockerignore excludes every match)"}));
}

TEST_F(PreflightTest, SourcesFromStagesImagesUrlsAndHeredocsAreNotInTheContext) {
  PreflightOptions heredocs{.dialect = Dialect::heredoc};
  EXPECT_EQ(
      check("FROM scratch AS b\nFROM scratch\nCOPY --from=b /nothere /x\nCOPY --from=busybox /bin/sh /sh\n"
            "ADD git@github.com:o/r.git /r\nCOPY <<EOF /dst\nhello\nEOF\n",
            heredocs),
      Lines{});
}

TEST_F(PreflightTest, VariablesInSourcesAreExpandedWhenTheDockerfileDefinesThem) {
  constexpr std::string_view k_text =
      "ARG DIR=app\n"
      "FROM scratch\n"
      "ARG DIR\n"
      "ARG F=a.txt\n"
      "ENV G=nothere\n"
      "COPY ${F} $DIR/main.go /x/\n"
      "COPY $G /y\n"
      "COPY ${UNSET:-a.txt} ${FROM_BASE_IMAGE}/x \"$F\" /z/\n";
  EXPECT_EQ(check(k_text),
            Lines{"copy_source_missing: Dockerfile:7: COPY source $G (= nothere) is not in the build context "
                  "(context: the repository root)"});
  // A build argument wins over the default, ENV over ARG.
  PreflightOptions args{.build_args = {{"F", "gone.txt"}, {"G", "a.txt"}}};
  EXPECT_EQ(
      check(k_text, args),
      (Lines{"copy_source_missing: Dockerfile:6: COPY source ${F} (= gone.txt) is not in the build context "
             "(context: the repository root)",
             "copy_source_missing: Dockerfile:7: COPY source $G (= nothere) is not in the build context "
             "(context: the repository root)",
             "copy_source_missing: Dockerfile:8: COPY source \"$F\" (= gone.txt) is not in the build context "
             "(context: the repository root)"}));
}

TEST_F(PreflightTest, EnvIsInheritedFromABaseStageButArgIsNot) {
  EXPECT_EQ(check("FROM scratch AS base\nENV E=a.txt\nARG A=a.txt\nFROM base\nCOPY $E /e\nCOPY $A /a\n"),
            Lines{});
  EXPECT_EQ(
      check("FROM scratch AS base\nENV E=gone\nFROM base\nCOPY $E /e\n"),
      Lines{
          "copy_source_missing: Dockerfile:4: COPY source $E (= gone) is not in the build context (context: "
          "the repository root)"});
}

TEST_F(PreflightTest, EnvIsInheritedAlongAChainOfStages) {
  std::string chain = "FROM scratch AS s0\nENV E=gone\n";
  for (int i = 1; i < 64; ++i) {
    chain += "FROM s" + std::to_string(i - 1) + " AS s" + std::to_string(i) + "\n";
  }
  // s0 is 64 stages up; the inherited ENV wins over the stage's ARG.
  const std::string copy = "ARG E=a.txt\nENV F=$E\nCOPY $F /f\n";
  EXPECT_EQ(check(chain + "FROM s63\n" + copy),
            Lines{"copy_source_missing: Dockerfile:69: COPY source $F (= gone) is not in the build context "
                  "(context: the repository root)"});
  // Further up, the inherited values are unknown: each stage's ENV is shared with the stages built
  // FROM it, not copied (a chain of 5,000 stages took 2.7 GB), and the chain is bounded.
  EXPECT_EQ(check(chain + "FROM s63 AS s64\nFROM s64\n" + copy), Lines{});
}

TEST_F(PreflightTest, CopyNeedsASourceAndADestination) {
  EXPECT_EQ(check("FROM scratch\nCOPY a.txt\n"),
            Lines{"dockerfile_syntax: Dockerfile:2: COPY needs a source and a destination: COPY <source>... "
                  "<destination>"});
}

TEST_F(PreflightTest, FromStagesThatDoNotExistYet) {
  EXPECT_EQ(
      check("FROM scratch AS first\nCOPY --from=second /a /b\nCOPY --from=first /a /b\nCOPY --from=1 /a /b\n"
            "COPY --from=0 /a /b\n"
            "FROM scratch AS second\nCOPY a.txt /a\n"
            "FROM scratch\nCOPY --from=first /b /c\n"),
      (Lines{
          "dockerfile_syntax: Dockerfile:2: COPY --from=second: stage 'second' is defined later, on line 6 "
          "(a stage can only copy from an earlier one)",
          "dockerfile_syntax: Dockerfile:3: COPY --from=first: 'first' is this stage itself (a stage can "
          "only copy from an earlier one)",
          "dockerfile_syntax: Dockerfile:4: COPY --from=1: stage 1 is defined later, on line 6 (a stage can "
          "only copy from an earlier one)",
          "dockerfile_syntax: Dockerfile:5: COPY --from=0: stage 0 is this stage itself (a stage can only "
          "copy from an earlier one)"}));
}

TEST_F(PreflightTest, FromIndexOutOfRangeIsReportedInEveryStage) {
  // Buildah 1.28 crashes on it ("index out of range") even in a stage it would skip.
  EXPECT_EQ(check("FROM scratch AS unused\nCOPY --from=5 /a /b\nFROM scratch\nCOPY a.txt /a\n"),
            Lines{"dockerfile_syntax: Dockerfile:2: COPY --from=5: there is no stage 5 (stages are numbered "
                  "0 to 1)"});
}

TEST_F(PreflightTest, FromNearAStageNameButNotAnImage) {
  EXPECT_EQ(
      check("FROM scratch AS builder\nFROM scratch AS Build\n"
            "FROM scratch\nCOPY --from=buidler /a /b\nCOPY --from=build /a /b\nCOPY --from=busybox /bin/sh "
            "/sh\n"
            "COPY --from=registry.example/builder:1 /a /b\nCOPY --from=$STAGE /a /b\n"),
      (Lines{
          "dockerfile_syntax: Dockerfile:4: COPY --from=buidler: no stage 'buidler' (did you mean stage "
          "'builder'?)",
          "dockerfile_syntax: Dockerfile:5: COPY --from=build: no stage 'build' (did you mean stage 'Build'? "
          "stage names are case-sensitive)"}));
}

TEST_F(PreflightTest, NearMissesOfStageNamesWithinABudget) {
  // 400 stage names to compare each misspelt `--from=` with: 250 searches fit in 100,000 comparisons.
  std::string text;
  for (int i = 0; i < 400; ++i) {
    text += "FROM scratch AS s" + std::to_string(i) + "\n";
  }
  text += "FROM scratch\n";
  for (int i = 0; i < 300; ++i) {
    text += "COPY --from=s0x /a /b\n";
  }
  auto lines = check(text);
  ASSERT_EQ(lines.size(), 250u);
  EXPECT_EQ(lines.back(),
            "dockerfile_syntax: Dockerfile:651: COPY --from=s0x: no stage 's0x' (did you mean stage "
            "'s0'?)");
}

TEST_F(PreflightTest, TargetNotDefined) {
  constexpr std::string_view k_text = "FROM scratch AS build\nFROM scratch AS app\n";
  EXPECT_EQ(check(k_text, {.target = "prod"}),
            Lines{"dockerfile_syntax: target: stage 'prod' is not defined (stages: build, app)"});
  EXPECT_EQ(
      check(k_text, {.target = "ap"}),
      Lines{
          "dockerfile_syntax: target: stage 'ap' is not defined (stages: build, app; did you mean 'app'?)"});
  EXPECT_EQ(check(k_text, {.target = "build"}), Lines{});
  EXPECT_EQ(check(k_text, {.target = "1"}), Lines{});
}

// A message quotes at most 80 bytes of any one thing the Dockerfile says (cut at a character) and
// names at most 10 stages: a finding is one line an agent reads, not a copy of the Dockerfile.
TEST_F(PreflightTest, MessagesQuoteShortParts) {
  const std::string long_word = std::string(76, 'X') + "\xC3\xA9" + std::string(1000, 'Y');
  EXPECT_EQ(check(long_word + " scratch\n"),
            (Lines{"dockerfile_syntax: Dockerfile:1: unknown instruction " + std::string(76, 'X') + "...",
                   "dockerfile_syntax: Dockerfile:1: no FROM instruction: a build stage starts with FROM "
                   "<image>"}));
  EXPECT_EQ(check("FROM scratch\nCOPY " + std::string(200, 'a') + " /a\n"),
            Lines{"copy_source_missing: Dockerfile:2: COPY source " + std::string(77, 'a') +
                  "... is not in the build context (context: the repository root)"});
  std::string stages;
  for (int i = 0; i < 12; ++i) {
    stages += "FROM scratch AS s" + std::to_string(i) + "\n";
  }
  EXPECT_EQ(check(stages, {.target = std::string(100, 't')}),
            Lines{"dockerfile_syntax: target: stage '" + std::string(77, 't') +
                  "...' is not defined (stages: s0, s1, s2, s3, s4, s5, s6, s7, s8, s9 and 2 more)"});
}

TEST_F(PreflightTest, TheTargetDecidesWhichStagesAreChecked) {
  constexpr std::string_view k_text =
      "FROM scratch AS build\nCOPY a.txt /a\nFROM scratch AS app\nCOPY gone /g\n";
  EXPECT_EQ(check(k_text, {.target = "build"}), Lines{});
  EXPECT_EQ(check(k_text).size(), 1u);
}

TEST_F(PreflightTest, StagesUsedThroughRunMountAreChecked) {
  EXPECT_EQ(
      check("FROM scratch AS files\nCOPY gone /g\nFROM scratch\nRUN --mount=type=bind,from=files,target=/m "
            "true\n"),
      Lines{"copy_source_missing: Dockerfile:2: COPY source gone is not in the build context (context: the "
            "repository root)"});
}

TEST_F(PreflightTest, HeredocsOnABuildahWithoutThem) {
  constexpr std::string_view k_text =
      "FROM scratch\nRUN <<EOF\necho hi > /x\nEOF\nCOPY <<EOF /dst\nhello\nEOF\n";
  EXPECT_EQ(check(k_text, {.dialect = Dialect::heredoc}), Lines{});
  EXPECT_EQ(
      check(k_text),
      (Lines{
          "dockerfile_syntax: Dockerfile:2: RUN <<EOF: the node's Buildah reads no heredocs (Buildah 1.33 "
          "and later do) and would take lines 3-4 as instructions; put the text in a file of the build "
          "context and COPY it",
          "dockerfile_syntax: Dockerfile:5: COPY <<EOF: the node's Buildah reads no heredocs (Buildah 1.33 "
          "and later do) and would take lines 6-7 as instructions; put the text in a file of the build "
          "context and COPY it"}));
}

TEST_F(PreflightTest, UnterminatedHeredoc) {
  EXPECT_EQ(
      check("FROM scratch\nRUN <<EOF\necho\n", {.dialect = Dialect::heredoc}),
      Lines{"dockerfile_syntax: Dockerfile:2: unterminated heredoc: no line 'EOF' ends the heredoc <<EOF"});
}

TEST_F(PreflightTest, ContextInASubdirectory) {
  dir_.write("docker/Dockerfile", "FROM scratch\nCOPY index.html /i\nCOPY a.txt /a\nCOPY secret.txt /s\n");
  dir_.write("docker/Dockerfile.dockerignore", "index.html\n");
  dir_.write("web/secret.txt", "x");
  dir_.write("web/.dockerignore", "secret.txt\n");  // not used: the file beside the Dockerfile wins
  PreflightInput input{
      .repository = dir_.path(), .dockerfile_path = "docker/Dockerfile", .context_path = "web/"};
  auto report = run_preflight(input);
  ASSERT_TRUE(report);
  Lines out;
  for (const auto& f : report->findings) {
    out.push_back(describe(f, input.dockerfile_path));
  }
  EXPECT_EQ(out,
            (Lines{"docker/Dockerfile:2: COPY source index.html is not in the build context (context: web/; "
                   "docker/Dockerfile.dockerignore excludes it)",
                   "docker/Dockerfile:3: COPY source a.txt is not in the build context (context: web/)"}));
}

TEST_F(PreflightTest, TheIgnoreFileOfTheRepositoryRootIsNamedPlainly) {
  dir_.write("Dockerfile", "FROM scratch\nCOPY a.txt /a\n");
  dir_.write(".dockerignore", "a.txt\n");
  auto report =
      run_preflight({.repository = dir_.path(), .dockerfile_path = "Dockerfile", .context_path = "."});
  ASSERT_TRUE(report);
  ASSERT_EQ(report->findings.size(), 1u);
  EXPECT_EQ(report->findings[0].message,
            "COPY source a.txt is not in the build context (context: the repository root; .dockerignore "
            "excludes it)");
}

// The runner may run as root while Buildah runs as the build user: a file the repository links to
// outside itself is Buildah's to read (or not), never the preflight's, whose messages quote the text.
TEST_F(PreflightTest, FilesLinkingOutOfTheRepositoryAreNotRead) {
  nbs::testing::TempDir outside;
  const auto secret = outside.write("secret", "root:SECRET-HASH:19000\n");
  const auto repo = dir_.path() / "repo";
  std::filesystem::create_directories(repo / "web");
  std::filesystem::create_symlink(secret, repo / "Dockerfile");
  auto report = run_preflight({.repository = repo, .dockerfile_path = "Dockerfile", .context_path = "."});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->findings.size(), 0u);
  EXPECT_EQ(report->skipped, "Dockerfile links out of the repository");
  EXPECT_EQ(report->plan.total_steps, 0);

  dir_.write("repo/Dockerfile.real", "FROM scratch\nCOPY a.txt /a\n");
  std::filesystem::remove(repo / "Dockerfile");
  std::filesystem::create_symlink("Dockerfile.real", repo / "Dockerfile");  // inside: read
  std::filesystem::create_symlink(secret, repo / ".dockerignore");
  report = run_preflight({.repository = repo, .dockerfile_path = "Dockerfile", .context_path = "."});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->skipped, ".dockerignore links out of the repository");

  std::filesystem::remove(repo / ".dockerignore");
  std::filesystem::create_symlink(outside.path(), repo / "ctx");
  report = run_preflight({.repository = repo, .dockerfile_path = "Dockerfile", .context_path = "ctx"});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->skipped, "the context ctx links out of the repository");

  report = run_preflight({.repository = repo, .dockerfile_path = "Dockerfile", .context_path = "."});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->skipped, "");
  ASSERT_EQ(report->findings.size(), 1u);  // a.txt is not in repo/
  EXPECT_EQ(report->plan.total_steps, 2);
}

TEST_F(PreflightTest, RunPreflightAsksForTheDialectOnlyWhenItMatters) {
  dir_.write("Dockerfile", "FROM scratch\nCOPY a.txt /a\n");
  int asked = 0;
  PreflightInput input{
      .repository = dir_.path(), .dockerfile_path = "Dockerfile", .context_path = ".", .dialect = [&] {
        ++asked;
        return Dialect::classic;
      }};
  ASSERT_TRUE(run_preflight(input));
  EXPECT_EQ(asked, 0);
  dir_.write("Dockerfile", "FROM scratch\nRUN <<EOF\necho\nEOF\n");
  auto report = run_preflight(input);
  ASSERT_TRUE(report);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(report->findings.size(), 1u);
  input.dockerfile_path = "missing/Dockerfile";
  auto missing = run_preflight(input);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "dockerfile_path: cannot read missing/Dockerfile in the repository");
}

TEST(BuildahDialectTest, FromTheVersionOutput) {
  EXPECT_EQ(dialect_of_buildah("buildah version 1.28.2 (image-spec 1.1.0-rc2, runtime-spec 1.0.2-dev)\n"),
            Dialect::classic);
  EXPECT_EQ(dialect_of_buildah("buildah version 1.33.0 (image-spec 1.1.0)"), Dialect::heredoc);
  EXPECT_EQ(dialect_of_buildah("buildah version 2.0.1"), Dialect::heredoc);
  EXPECT_EQ(dialect_of_buildah("command not found"), std::nullopt);
  EXPECT_TRUE(dialect_matters("FROM x\nRUN cat <<EOF\n"));
  EXPECT_TRUE(dialect_matters("# Escape=`\nFROM x\n"));
  EXPECT_FALSE(dialect_matters("FROM x\nRUN make\n"));
}

TEST(SuggestTest, NearMissesOfShortWordsOnly) {
  EXPECT_EQ(closest("FROMM", known_instructions()), "FROM");
  EXPECT_EQ(closest("buidler", Lines{"build", "builder"}), "builder");
  EXPECT_EQ(closest("RUNN", Lines{"RUN", "COPY"}), "RUN");
  EXPECT_EQ(closest("xyz", Lines{"RUN", "COPY"}), std::nullopt);
  // The table is quadratic in the lengths: a Dockerfile of a few hundred long stage names took the
  // preflight 13 s. Names that long get no suggestion (nor does a candidate of a length too far off).
  const std::string name(100, 's');
  EXPECT_EQ(closest(name + "x", Lines{name + "y"}), std::nullopt);
  EXPECT_EQ(closest("builder", Lines{"builder" + name}), std::nullopt);
}

TEST(StepPlanTest, StepsOfTheStagesBuildahBuilds) {
  // A pre-FROM stage and a target: Buildah prints "[i/3]" (stages up to the target) for the 2 it builds.
  auto report = check_dockerfile(
      "ENV A=1\nFROM scratch AS a\nRUN x\nFROM scratch AS b\nCOPY --from=a /x /y\n"
      "RUN y\nFROM scratch AS c\n",
      {.target = "b"}, BuildContext{});
  EXPECT_EQ(report.plan.stage_count, 3);
  EXPECT_EQ(report.plan.total_steps, 5);
  ASSERT_EQ(report.plan.stages.size(), 2u);
  EXPECT_EQ(report.plan.stages[0].number, 2);
  EXPECT_EQ(report.plan.stages[0].label, "a");
  EXPECT_EQ(report.plan.stages[1].steps, 3);
  // Each step's line, so that a failing step has a place (failure.location).
  EXPECT_EQ(report.plan.stages[0].lines, (std::vector<int>{2, 3}));
  EXPECT_EQ(report.plan.stages[1].lines, (std::vector<int>{4, 5, 6}));
  ASSERT_NE(report.plan.find(3), nullptr);
  EXPECT_EQ(report.plan.find(3)->label, "b");
  EXPECT_EQ(report.plan.find(0), nullptr);  // no "[i/k]" in a multi-stage plan
  // The RUN of a stage that is not built does not count: the platform check needs only the built ones.
  EXPECT_EQ(report.plan.stages[0].first_run_line, 3);
  EXPECT_EQ(report.plan.stages[1].first_run_line, 6);
  EXPECT_EQ(report.plan.first_run_line(), 3);
  auto without_run = check_dockerfile("FROM scratch AS a\nRUN x\nFROM scratch AS b\nCOPY y /y\n",
                                      {.target = "b"}, BuildContext{});
  EXPECT_EQ(without_run.plan.first_run_line(), 0) << "stage a is not built for target b";
}

}  // namespace
}  // namespace nbs::runner::dockerfile
