// docker/podman tasks run with `podman run` (flags of buildah-registry-notes §5). The test builds a
// tiny busybox image with buildah first; without working buildah/podman it fails, it never skips.
#include <chrono>
#include <thread>

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

// Every container of the label, running or stopped, as podman (as root, like the simulator) lists them.
std::string containers_labelled(const std::string& label) {
  return command_output({"podman", "--cgroup-manager", "cgroupfs", "--events-backend", "file", "ps", "-a",
                         "--filter", "label=" + label, "--format", "{{.Names}}"});
}

TEST(PodmanTask, AStoppedTaskStopsAndRemovesItsContainerEvenIfPid1IgnoresSigterm) {
  build_busybox_image();
  SimProcess sim;
  const SimClient client(sim.address());
  auto body = batch_job("stopme", {"/bin/true"});
  json::object& task = first_task(body);
  task["Driver"] = "podman";
  task["KillTimeout"] = 2'000'000'000;
  // A shell as PID 1 that ignores SIGTERM: only a container stop with a timeout (then SIGKILL) ends it.
  task["Config"] = json::object{{"image", k_image},
                                {"labels", json::object{{"nbs.test", "stopme"}}},
                                {"entrypoint", json::array{"/bin/busybox", "sh", "-c"}},
                                {"args", json::array{"trap '' TERM; echo up; while :; do sleep 1; done"}}};
  register_job(client, body);
  const std::string id = wait_first_alloc(client, "stopme");
  wait_alloc(
      client, id, [](const json::object& a) { return a.at("ClientStatus").as_string() == "running"; },
      std::chrono::seconds(60));
  for (int i = 0; i < 100 && containers_labelled("nbs.test=stopme").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(containers_labelled("nbs.test=stopme").empty()) << "the task's labels did not reach podman";
  ASSERT_EQ(client.del("/v1/job/stopme").status, 200u);
  const json::object alloc = wait_alloc(client, id, alloc_terminal, std::chrono::seconds(60));
  EXPECT_EQ(alloc.at("ClientStatus").as_string(), "complete");
  EXPECT_EQ(containers_labelled("nbs.test=stopme"), "");
}

TEST(PodmanTask, AMissingEntrypointIsADriverFailureAsUnderDocker) {
  build_busybox_image();
  SimProcess sim;
  const SimClient client(sim.address());
  auto body = batch_job("nosh", {"/bin/true"});
  json::object& task = first_task(body);
  task["Driver"] = "docker";
  // The image has /bin/busybox and no /bin/sh.
  task["Config"] = json::object{
      {"image", k_image}, {"entrypoint", json::array{"/bin/sh", "-c"}}, {"args", json::array{"exit 0"}}};
  register_job(client, body);
  const std::string id = wait_first_alloc(client, "nosh");
  const json::object alloc = wait_alloc(client, id, alloc_terminal, std::chrono::seconds(60));
  EXPECT_EQ(alloc.at("ClientStatus").as_string(), "failed");
  const json::object failure = find_event(alloc, "t", "Driver Failure");
  EXPECT_NE(std::string(failure.at("DisplayMessage").as_string()).find("/bin/sh"), std::string::npos)
      << json::serialize(failure);
}

}  // namespace
}  // namespace nbs::nomad_sim::test
