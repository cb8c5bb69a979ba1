// docker/podman tasks run with `podman run` (flags of buildah-registry-notes §5). The test builds a
// tiny busybox image with buildah first; without working buildah/podman it fails, it never skips.
#include <gtest/gtest.h>

#include "tests/nomad_sim/test/sim_client.hpp"
#include "tests/nomad_sim/test/sim_process.hpp"
#include "tests/nomad_sim/test/test_util.hpp"

namespace nbs::nomad_sim::test {
namespace {

constexpr const char* k_image = "localhost/nomad-sim-bb:test";
constexpr const char* k_builder = "nomad-sim-bb-build";

void build_busybox_image() {
  run_command({"buildah", "rm", k_builder});
  ASSERT_EQ(run_command({"buildah", "from", "--name", k_builder, "scratch"}), 0)
      << "buildah from scratch failed";
  ASSERT_EQ(run_command({"buildah", "copy", k_builder, "/bin/busybox", "/bin/busybox"}), 0)
      << "copying /bin/busybox (busybox-static) into the image failed";
  ASSERT_EQ(run_command({"buildah", "commit", "-q", "--rm", k_builder, k_image}), 0)
      << "buildah commit failed";
}

TEST(PodmanTask, DockerDriverTaskRunsInPodmanWithAllocDirsAndExitCode) {
  build_busybox_image();
  SimProcess sim;
  const SimClient client(sim.address());
  auto body = batch_job("ctr", {"/bin/true"});
  json::object& task = first_task(body);
  task["Driver"] = "docker";
  task["Config"] = json::object{
      {"image", k_image},
      {"command", "/bin/busybox"},
      {"args",
       json::array{"sh", "-c", "echo in-container $NOMAD_JOB_ID $NOMAD_TASK_DIR; cat /local/x; exit 4"}}};
  task["Templates"] = json::array{json::object{{"EmbeddedTmpl", "templated\n"}, {"DestPath", "local/x"}}};
  register_job(client, body);
  const std::string id = wait_first_alloc(client, "ctr");
  const json::object alloc = wait_alloc(client, id, alloc_terminal, std::chrono::seconds(60));
  EXPECT_EQ(alloc.at("ClientStatus").as_string(), "failed");
  EXPECT_EQ(find_event(alloc, "t", "Terminated").at("ExitCode").to_number<int>(), 4);
  EXPECT_EQ(client.get("/v1/client/fs/logs/" + id + "?task=t&type=stdout&plain=true").body,
            "in-container ctr /local\ntemplated\n")
      << client.get("/v1/client/fs/logs/" + id + "?task=t&type=stderr&plain=true").body;
}

}  // namespace
}  // namespace nbs::nomad_sim::test
