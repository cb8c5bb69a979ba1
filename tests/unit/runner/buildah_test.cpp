#include "runner/buildah.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "runner/buildah_output.hpp"
#include "runner/push.hpp"

namespace nbs::runner {
namespace {

BuildahSetup setup() {
  return BuildahSetup{.storage_root = "/cache/storage",
                      .run_root = "/work/run",
                      .driver = StorageDriver::overlay,
                      .registries_conf = "/etc/nbs/registries.conf",
                      .home = "/home/build",
                      .tmp_dir = "/work/tmp"};
}

TEST(BuildahArgvTest, BudIsAnArgvWithEveryOption) {
  BudOptions o{.dockerfile = "/w/src/docker/Dockerfile",
               .context = "/w/src/.",
               .build_args = {{"B", "two words; $(rm -rf /)"}, {"A", "1"}},
               .target = "test",
               .platforms = {"linux/arm64"},
               .iid_file = "/w/iid",
               .tag = "localhost/nbs/j:build"};
  std::vector<std::string> expected{"buildah",
                                    "--root",
                                    "/cache/storage",
                                    "--runroot",
                                    "/work/run",
                                    "--storage-driver",
                                    "overlay",
                                    "bud",
                                    "--layers",
                                    "--isolation",
                                    "chroot",
                                    "--file",
                                    "/w/src/docker/Dockerfile",
                                    "--build-arg",
                                    "A=1",
                                    "--build-arg",
                                    "B=two words; $(rm -rf /)",
                                    "--target",
                                    "test",
                                    "--platform",
                                    "linux/arm64",
                                    "--iidfile",
                                    "/w/iid",
                                    "-t",
                                    "localhost/nbs/j:build",
                                    "/w/src/."};
  EXPECT_EQ(bud_argv(setup(), o), expected);
}

// Several platforms go into a manifest list, every step run: Buildah's layer cache would hand the second
// platform the first one's steps, and the shared cache needs --layers, so neither is asked for.
TEST(BuildahArgvTest, SeveralPlatformsBuildAManifestListWithoutTheLayerCache) {
  auto argv = bud_argv(setup(), {.dockerfile = "D",
                                 .context = "C",
                                 .platforms = {"linux/amd64", "linux/arm64"},
                                 .manifest = "localhost/nbs/j:list",
                                 .iid_file = "I",
                                 .tag = "T",
                                 .no_cache = true,
                                 .cache_repository = "h/app/cache"});
  std::vector<std::string> expected{"buildah",
                                    "--root",
                                    "/cache/storage",
                                    "--runroot",
                                    "/work/run",
                                    "--storage-driver",
                                    "overlay",
                                    "bud",
                                    "--isolation",
                                    "chroot",
                                    "--file",
                                    "D",
                                    "--platform",
                                    "linux/amd64,linux/arm64",
                                    "--manifest",
                                    "localhost/nbs/j:list",
                                    "C"};
  EXPECT_EQ(argv, expected);
  auto s = setup();
  s.auth_file = "/secrets/auth.json";
  std::vector<std::string> push{"buildah",
                                "--root",
                                "/cache/storage",
                                "--runroot",
                                "/work/run",
                                "--storage-driver",
                                "overlay",
                                "manifest",
                                "push",
                                "--all",
                                "--tls-verify=false",
                                "--authfile",
                                "/secrets/auth.json",
                                "--digestfile",
                                "/w/d",
                                "localhost/nbs/j:list",
                                "docker://h:5000/app:tmp-j"};
  EXPECT_EQ(manifest_push_argv(s, "localhost/nbs/j:list", "h:5000/app:tmp-j", "/w/d", true), push);
  push.erase(std::find(push.begin(), push.end(), "--tls-verify=false"));
  EXPECT_EQ(manifest_push_argv(s, "localhost/nbs/j:list", "h:5000/app:tmp-j", "/w/d", false), push);
  auto rm = manifest_rm_argv(s, "localhost/nbs/j:list");
  EXPECT_EQ(std::vector<std::string>(rm.end() - 3, rm.end()),
            (std::vector<std::string>{"manifest", "rm", "localhost/nbs/j:list"}));
}

TEST(BuildahArgvTest, OptionalFlagsAreLeftOut) {
  auto s = setup();
  s.driver = StorageDriver::vfs;
  auto argv = bud_argv(s, {.dockerfile = "D", .context = "C", .iid_file = "I", .tag = "T"});
  std::vector<std::string> expected{"buildah",     "--root",    "/cache/storage",
                                    "--runroot",   "/work/run", "--storage-driver",
                                    "vfs",         "bud",       "--layers",
                                    "--isolation", "chroot",    "--file",
                                    "D",           "--iidfile", "I",
                                    "-t",          "T",         "C"};
  EXPECT_EQ(argv, expected);
}

// Each label twice: in the image's config (what `podman inspect` shows) and in the manifest's annotations
// (what registries and OCI tools read), the value as one argument whatever it holds.
TEST(BuildahArgvTest, LabelsAreLabelsAndAnnotations) {
  auto argv = bud_argv(
      setup(), {.dockerfile = "D",
                .context = "C",
                .labels = {{"org.opencontainers.image.source", "https://h/r.git"}, {"team", "a b; $(x)"}},
                .iid_file = "I",
                .tag = "T"});
  const std::vector<std::string> tail{"--label",
                                      "org.opencontainers.image.source=https://h/r.git",
                                      "--annotation",
                                      "org.opencontainers.image.source=https://h/r.git",
                                      "--label",
                                      "team=a b; $(x)",
                                      "--annotation",
                                      "team=a b; $(x)",
                                      "--iidfile",
                                      "I",
                                      "-t",
                                      "T",
                                      "C"};
  ASSERT_GE(argv.size(), tail.size());
  EXPECT_EQ(std::vector<std::string>(argv.end() - static_cast<std::ptrdiff_t>(tail.size()), argv.end()),
            tail);
}

// A secret and an SSH key are files Buildah reads; their values are never on the command line.
TEST(BuildahArgvTest, SecretsAndSshKeysAreFilesBuildahReads) {
  auto argv = bud_argv(setup(), {.dockerfile = "D",
                                 .context = "C",
                                 .secrets = {{"npmrc", "/w/build-secrets/secret-npmrc"}},
                                 .ssh = {{"default", "/w/build-secrets/ssh-default"}},
                                 .iid_file = "I",
                                 .tag = "T"});
  const std::vector<std::string> tail{"--secret",  "id=npmrc,src=/w/build-secrets/secret-npmrc",
                                      "--ssh",     "default=/w/build-secrets/ssh-default",
                                      "--iidfile", "I",
                                      "-t",        "T",
                                      "C"};
  ASSERT_GE(argv.size(), tail.size());
  EXPECT_EQ(std::vector<std::string>(argv.end() - static_cast<std::ptrdiff_t>(tail.size()), argv.end()),
            tail);
}

TEST(BuildahArgvTest, ClearCacheRunsEveryStepAgain) {
  auto argv =
      bud_argv(setup(), {.dockerfile = "D", .context = "C", .iid_file = "I", .tag = "T", .no_cache = true});
  const auto bud = std::find(argv.begin(), argv.end(), "bud");
  ASSERT_NE(bud, argv.end());
  EXPECT_EQ(*(bud + 1), "--layers");
  EXPECT_EQ(*(bud + 2), "--no-cache");
}

TEST(BuildahArgvTest, RegistryCacheReadsAndWritesOneRepositoryWithThePushCredentials) {
  auto s = setup();
  auto argv = bud_argv(
      s,
      {.dockerfile = "D", .context = "C", .iid_file = "I", .tag = "T", .cache_repository = "r:5000/a/cache"});
  const auto bud = std::find(argv.begin(), argv.end(), "bud");
  ASSERT_NE(bud, argv.end());
  const std::vector<std::string> flags(bud + 2, bud + 6);
  EXPECT_EQ(flags,
            (std::vector<std::string>{"--cache-from", "r:5000/a/cache", "--cache-to", "r:5000/a/cache"}));
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--authfile"), argv.end());
  s.auth_file = "/work/auth.json";
  argv = bud_argv(s, {.dockerfile = "D",
                      .context = "C",
                      .iid_file = "I",
                      .tag = "T",
                      .no_cache = true,
                      .cache_repository = "r:5000/a/cache"});
  const auto auth = std::find(argv.begin(), argv.end(), "--authfile");
  ASSERT_NE(auth, argv.end());
  EXPECT_EQ(*(auth + 1), "/work/auth.json");
  // clear_cache still writes the cache (what it builds replaces the entries), it only reads none.
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--no-cache"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--cache-to"), argv.end());
  // Without a cache repository the push's auth file is not handed to bud.
  argv = bud_argv(s, {.dockerfile = "D", .context = "C", .iid_file = "I", .tag = "T"});
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--authfile"), argv.end());
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--cache-from"), argv.end());
}

TEST(BuildahArgvTest, PushUsesDigestFileAndAuthFile) {
  auto s = setup();
  s.auth_file = "/work/auth.json";
  std::vector<std::string> expected{"buildah",
                                    "--root",
                                    "/cache/storage",
                                    "--runroot",
                                    "/work/run",
                                    "--storage-driver",
                                    "overlay",
                                    "push",
                                    "--authfile",
                                    "/work/auth.json",
                                    "--digestfile",
                                    "/w/d",
                                    "img",
                                    "docker://127.0.0.1:5000/a/b:t"};
  EXPECT_EQ(push_argv(s, "img", "127.0.0.1:5000/a/b:t", "/w/d"), expected);
}

TEST(BuildahArgvTest, EnvironmentIsExplicit) {
  std::vector<std::string> expected{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                    "HOME=/home/build", "LANG=C.UTF-8", "TMPDIR=/work/tmp",
                                    "CONTAINERS_REGISTRIES_CONF=/etc/nbs/registries.conf"};
  EXPECT_EQ(buildah_env(setup()), expected);
}

TEST(StepParsingTest, SingleAndMultiStageHeaders) {
  auto s = parse_step_line("STEP 2/5: RUN make -j2");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->step, 2);
  EXPECT_EQ(s->steps, 5);
  EXPECT_EQ(s->stage, 0);
  EXPECT_EQ(s->instruction, "RUN make -j2");
  auto m = parse_step_line("[1/2] STEP 3/4: COPY --from=builder /out /app");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->stage, 1);
  EXPECT_EQ(m->stages, 2);
  EXPECT_EQ(m->step, 3);
  EXPECT_EQ(m->steps, 4);
  EXPECT_EQ(m->instruction, "COPY --from=builder /out /app");
  for (const char* not_step : {"STEP", "STEP x/5: RUN", "STEP 6/5: RUN", "STEP 1/: X", " STEP 1/2: RUN",
                               "[1/2 STEP 1/2: RUN", "[2/1] STEP 1/2: RUN", "echo STEP 1/2: no"}) {
    EXPECT_FALSE(parse_step_line(not_step)) << not_step;
  }
}

TEST(StepParsingTest, TrackerCountsCacheHitsAndQuotesTheFailingStep) {
  BuildOutputTracker t;
  EXPECT_TRUE(t.feed(LogStream::out, "STEP 1/3: FROM base"));
  t.feed(LogStream::out, "STEP 2/3: RUN echo hi");
  t.feed(LogStream::out, "--> Using cache 0123abcd");
  t.feed(LogStream::out, "STEP 3/3: RUN false");
  t.feed(LogStream::err, "about to fail");
  t.feed(LogStream::err, "subprocess exited with status 3");
  t.feed(LogStream::err, "Error: building at STEP \"RUN false\": exit status 3");
  EXPECT_EQ(t.steps_seen(), 3);
  EXPECT_EQ(t.cached_steps(), 1);
  EXPECT_EQ(t.failed_exit_status(), 3);
  EXPECT_EQ(t.failure_excerpt(),
            "STEP 3/3: RUN false\nabout to fail\nsubprocess exited with status 3\n"
            "Error: building at STEP \"RUN false\": exit status 3");
}

TEST(StepParsingTest, ExcerptKeepsOnlyTheLastLines) {
  BuildOutputTracker t;
  t.feed(LogStream::out, "STEP 1/1: RUN noisy");
  for (int i = 0; i < 100; ++i) {
    t.feed(LogStream::out, "line " + std::to_string(i));
  }
  auto excerpt = t.failure_excerpt();
  EXPECT_EQ(excerpt.rfind("STEP 1/1: RUN noisy\nline 70\n", 0), 0u) << excerpt;
  EXPECT_TRUE(excerpt.ends_with("line 99"));
  EXPECT_FALSE(parse_failed_exit_status("Error: unknown instruction: FROB"));
  EXPECT_EQ(parse_failed_exit_status("Error: building at STEP \"RUN x\": exit status 125"), 125);
}

TEST(PushRetryTest, TransientErrorsAreRecognised) {
  EXPECT_TRUE(is_transient_registry_error(
      "pinging container registry r: dial tcp 127.0.0.1:5000: connect: connection refused"));
  EXPECT_TRUE(is_transient_registry_error("received unexpected HTTP status: 503 Service Unavailable"));
  EXPECT_TRUE(is_transient_registry_error("writing blob: Patch \"http://r/v2/...\": EOF"));
  EXPECT_TRUE(is_transient_registry_error("toomanyrequests: 429 Too Many Requests"));
  EXPECT_FALSE(is_transient_registry_error("unauthorized: authentication required"));
  EXPECT_FALSE(is_transient_registry_error("denied: requested access to the resource is denied"));
  EXPECT_FALSE(is_transient_registry_error("Error: invalid reference format"));
}

}  // namespace
}  // namespace nbs::runner
