#include "runner/failure_classes.hpp"

#include <gtest/gtest.h>

#include "runner/push.hpp"

namespace nbs::runner {
namespace {

// Buildah 1.28's own words (Debian 12), as the e2e failure corpus sees them.
constexpr std::string_view k_manifest_unknown =
    "Error: creating build container: initializing source docker://127.0.0.1:5000/nope:1: reading manifest 1 "
    "in 127.0.0.1:5000/nope: manifest unknown: manifest unknown";
constexpr std::string_view k_pull_unauthorized =
    "Error: creating build container: initializing source docker://127.0.0.1:5000/private/base:1: reading "
    "manifest 1 in 127.0.0.1:5000/private/base: unauthorized: authentication required";
constexpr std::string_view k_plain_http =
    "pinging container registry 127.0.0.1:42911: Get \"https://127.0.0.1:42911/v2/\": http: server gave HTTP "
    "response to HTTPS client";

TEST(BudFailureClass, TheBaseImagesTroubleBySymptom) {
  EXPECT_EQ(bud_failure_class("STEP 1/2: FROM 127.0.0.1:5000/nope:1", k_manifest_unknown),
            FailureClass::base_image_not_found);
  EXPECT_EQ(
      bud_failure_class("[1/2] STEP 1/3: FROM 127.0.0.1:5000/private/base:1 AS base", k_pull_unauthorized),
      FailureClass::base_image_auth);
  EXPECT_EQ(bud_failure_class("STEP 1/2: FROM 127.0.0.1:42911/x:1",
                              "Error: creating build container: initializing source docker://x: " +
                                  std::string(k_plain_http)),
            FailureClass::registry_tls);
}

TEST(BudFailureClass, CopySourcesSyntaxAndSteps) {
  EXPECT_EQ(bud_failure_class("STEP 2/3: COPY app.txt /app/",
                              "Error: building at STEP \"COPY app.txt /app/\": checking on sources under "
                              "\"/w/src\": copier: stat: \"/app.txt\": no such file or directory"),
            FailureClass::copy_source_missing);
  EXPECT_EQ(bud_failure_class("", "Error: no FROM statement found"), FailureClass::dockerfile_syntax);
  // An undefined `target`, in Buildah 1.28's words (the e2e failure corpus).
  EXPECT_EQ(
      bud_failure_class("", "Error: The target \"no-such-stage\" was not found in the provided Dockerfile"),
      FailureClass::dockerfile_syntax);
  EXPECT_EQ(bud_failure_class("STEP 3/3: RUN exit 3",
                              "Error: building at STEP \"RUN exit 3\": while running runtime: exit status 3"),
            FailureClass::build_step_failed);
  // A RUN whose own output mentions a missing file is still the step's failure, not a COPY source.
  EXPECT_EQ(bud_failure_class("STEP 2/2: RUN cat /nope",
                              "cat: /nope: No such file or directory\nError: "
                              "building at STEP \"RUN cat /nope\": exit status 1"),
            FailureClass::build_step_failed);
}

// Seen in e2e runs on this machine: the RUN's command never started. Buildah's output, verbatim.
TEST(BudFailureClass, TheNodesTransientTroubleIsNotTheDockerfiles) {
  EXPECT_TRUE(
      is_transient_buildah_failure("Close_Fd sealing memfd copy: Device or resource busy\n"
                                   "subprocess exited with status 1\n"
                                   "Error: building at STEP \"RUN cat /app.txt\": exit status 1"));
  EXPECT_FALSE(
      is_transient_buildah_failure("cat: /app.txt: No such file or directory\n"
                                   "Error: building at STEP \"RUN cat /app.txt\": exit status 1"));
}

TEST(RegistryFailureClass, TlsAuthAndUnreachable) {
  EXPECT_EQ(registry_failure_class(k_plain_http), FailureClass::registry_tls);
  EXPECT_EQ(registry_failure_class("x509: certificate signed by unknown authority"),
            FailureClass::registry_tls);
  EXPECT_EQ(registry_failure_class("denied: requested access to the resource is denied"),
            FailureClass::registry_auth);
  EXPECT_EQ(registry_failure_class("dial tcp 127.0.0.1:5000: connect: connection refused"),
            FailureClass::registry_unreachable);
  EXPECT_EQ(registry_failure_class("Error: invalid reference format"), FailureClass::internal);
  EXPECT_EQ(registry_failure_class(make_error(ErrorKind::unauthorized, "HTTP 401")),
            FailureClass::registry_auth);
  EXPECT_EQ(registry_failure_class(make_error(ErrorKind::unavailable, "HTTP 503")),
            FailureClass::registry_unreachable);
}

// The defect issue 15 reports: a plain-HTTP registry not marked insecure was "transient" (a port or a
// digest holding "429" matched) and pushed three times.
TEST(PushRetryTest, APlainHttpRegistryIsNotRetried) {
  EXPECT_FALSE(is_transient_registry_error(k_plain_http));
  EXPECT_FALSE(is_transient_registry_error("manifest sha256:4291aa… unknown to 127.0.0.1:5000"));
}

// A registry error is one chain of "context: context: cause"; the summary names the image and the
// cause at the chain's end, not the blob digests and URLs of its middle.
TEST(RegistryErrorSummary, TheImageAndTheCauseInOneShortLine) {
  EXPECT_EQ(registry_error_summary("FROM", std::string(k_manifest_unknown).substr(7)),
            "FROM 127.0.0.1:5000/nope:1: manifest unknown");
  EXPECT_EQ(registry_error_summary("FROM", std::string(k_pull_unauthorized).substr(7)),
            "FROM 127.0.0.1:5000/private/base:1: unauthorized: authentication required");
  const std::string refused_push =
      "pushing image \"localhost/nbs/j:build\" to \"docker://127.0.0.1:5000/corpus/a:j\": trying to reuse "
      "blob sha256:5e91 at destination: checking whether a blob sha256:5e91 exists in "
      "127.0.0.1:5000/corpus/a: unauthorized: authentication required";
  EXPECT_EQ(registry_error_summary("push of", refused_push),
            "push of 127.0.0.1:5000/corpus/a:j: unauthorized: authentication required");
  // No docker:// reference: the cause alone after `what`.
  EXPECT_EQ(registry_error_summary("push to 127.0.0.1:42911", std::string(k_plain_http)),
            "push to 127.0.0.1:42911: http: server gave HTTP response to HTTPS client");
  EXPECT_EQ(registry_error_summary("FROM", "dial tcp 127.0.0.1:1: connect: connection refused"),
            "FROM: connect: connection refused");
  EXPECT_EQ(registry_error_summary("FROM", "just one part"), "FROM: just one part");
}

TEST(GitFailureClass, FromTheErrorKind) {
  EXPECT_EQ(git_failure_class(make_error(ErrorKind::unauthorized, "fetch: authentication failed")),
            FailureClass::git_auth);
  EXPECT_EQ(git_failure_class(make_error(ErrorKind::not_found, "git_ref: nope is no branch, tag or commit")),
            FailureClass::git_ref_not_found);
  EXPECT_EQ(git_failure_class(make_error(ErrorKind::unavailable, "fetch: unexpected http status code: 404")),
            FailureClass::git_unreachable);
  EXPECT_EQ(
      git_failure_class(make_error(ErrorKind::unavailable, "fetch: failed to connect: Connection refused")),
      FailureClass::git_unreachable);
}

// The repository URL is part of the message; a port like 45403 in it is no HTTP 403 (the e2e failure
// corpus met this: a missing repository came out git_auth on some ports).
TEST(GitFailureClass, TheUrlInTheMessageIsNotTheStatus) {
  EXPECT_EQ(git_failure_class(make_error(ErrorKind::unavailable,
                                         "git fetch http://127.0.0.1:45403/cgi-bin/git/no-such-repo.git: no "
                                         "content-type header in response")),
            FailureClass::git_unreachable);
  EXPECT_EQ(git_failure_class(make_error(ErrorKind::unavailable,
                                         "git fetch https://example.com/credentials-401.git: failed to "
                                         "connect: Connection refused")),
            FailureClass::git_unreachable);
  EXPECT_EQ(
      git_failure_class(make_error(
          ErrorKind::unavailable, "git fetch http://127.0.0.1:8080/x.git: unexpected http status code: 403")),
      FailureClass::git_auth);
}

}  // namespace
}  // namespace nbs::runner
