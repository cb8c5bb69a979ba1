// Nomad job ids of phases and back: list() and wait_for_change() read the phase from the job id.
#include "jobs/specs/phase_specs.hpp"

#include <gtest/gtest.h>

namespace nbs::jobs::specs {
namespace {

TEST(NomadJobId, RoundTripsEveryPhaseAndAttempt) {
  const std::string uuid = "0b5c3a1e-7d2f-4c11-9e0a-2f6d8b1c4a01";
  for (Phase phase : {Phase::build, Phase::test, Phase::publish, Phase::cleanup}) {
    for (int attempt : {1, 2, 12}) {
      const PhaseId id{uuid, phase, attempt};
      const auto back = parse_nomad_job_id(nomad_job_id(id));
      ASSERT_TRUE(back) << nomad_job_id(id);
      EXPECT_EQ(*back, id) << nomad_job_id(id);
    }
  }
  EXPECT_EQ(nomad_job_id({uuid, Phase::test, 1}), "nbs-" + uuid + "-test");
  EXPECT_EQ(nomad_job_id({uuid, Phase::test, 2}), "nbs-" + uuid + "-test-2");
}

TEST(NomadJobId, RejectsNamesThatAreNotPhases) {
  for (const char* name :
       {"nbs-", "nbs-build", "nbs--build", "nbs-x-deploy", "nbs-x-build-1", "nbs-x-build-02", "nbs-x-build-y",
        "nbs-x-2", "web-x-build", "nbs-x-build/dispatch-1-ab", "nbs-other"}) {
    EXPECT_FALSE(parse_nomad_job_id(name)) << name;
  }
  const auto short_id = parse_nomad_job_id("nbs-x-build");
  ASSERT_TRUE(short_id);
  EXPECT_EQ(short_id->job_id, "x");
}

}  // namespace
}  // namespace nbs::jobs::specs
