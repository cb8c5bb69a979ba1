// Checklist point 8: fs/logs plain and framed, origin/offset across rotation files, MaxFiles,
// follow with {} heartbeats, error texts; and fs/cat.
#include <thread>

#include <gtest/gtest.h>

#include "tests/nomad_sim/test/sim_client.hpp"
#include "tests/nomad_sim/test/sim_process.hpp"
#include "tests/nomad_sim/test/test_util.hpp"

namespace nbs::nomad_sim::test {
namespace {

std::string seq_text(int n) {
  std::string s;
  for (int i = 1; i <= n; ++i) {
    s += std::to_string(i) + "\n";
  }
  return s;
}

class Logs : public ::testing::Test {
 protected:
  SimProcess sim_{{"--log-max-size", "1000"}};
  SimClient client_{sim_.address()};

  std::string run_to_end(const std::string& job, const std::vector<std::string>& argv, int max_files = 10) {
    auto body = batch_job(job, argv);
    first_task(body)["LogConfig"] = json::object{{"MaxFiles", max_files}, {"MaxFileSizeMB", 1}};
    register_job(client_, body);
    std::string id = wait_first_alloc(client_, job);
    wait_alloc(client_, id, alloc_terminal);
    return id;
  }
  std::string logs(const std::string& id, const std::string& query) {
    return client_.get("/v1/client/fs/logs/" + id + "?task=t&" + query).body;
  }
};

TEST_F(Logs, Checklist08_PlainFramedOriginEndAndStderr) {
  const std::string id = run_to_end("pf", {"/bin/sh", "-c", "echo hello; echo world; echo oops >&2"});
  EXPECT_EQ(logs(id, "type=stdout&plain=true"), "hello\nworld\n");
  EXPECT_EQ(decode_frames(logs(id, "type=stdout")), "hello\nworld\n");
  EXPECT_EQ(logs(id, "type=stderr&plain=true"), "oops\n");
  EXPECT_EQ(logs(id, "type=stdout&plain=true&origin=end&offset=6"), "world\n");
  EXPECT_EQ(decode_frames(logs(id, "type=stdout&origin=end&offset=6")), "world\n");
  EXPECT_EQ(logs(id, "type=stdout&plain=true&offset=6"), "world\n");
}

TEST_F(Logs, Checklist08_RotationNamesAndReadingAcrossFiles) {
  const std::string expected = seq_text(1000);  // 3893 bytes → 4 files of at most 1000 bytes
  const std::string id = run_to_end("rot", {"/usr/bin/seq", "1", "1000"});
  const json::array files = client_.get("/v1/client/fs/ls/" + id + "?path=alloc/logs").json().as_array();
  std::vector<std::string> names;
  for (const auto& f : files) {
    names.emplace_back(f.at("Name").as_string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{"t.stderr.0", "t.stdout.0", "t.stdout.1", "t.stdout.2", "t.stdout.3"}));
  EXPECT_EQ(logs(id, "type=stdout&plain=true"), expected);
  std::vector<json::object> frames;
  EXPECT_EQ(decode_frames(logs(id, "type=stdout"), &frames), expected);
  ASSERT_GE(frames.size(), 4u);
  EXPECT_EQ(frames.front().at("File").as_string(), "alloc/logs/t.stdout.0");
  EXPECT_EQ(frames.back().at("File").as_string(), "alloc/logs/t.stdout.3");
  EXPECT_EQ(logs(id, "type=stdout&plain=true&origin=end&offset=1500"),
            expected.substr(expected.size() - 1500));
  EXPECT_EQ(logs(id, "type=stdout&plain=true&offset=2500"), expected.substr(2500));
}

TEST_F(Logs, Checklist08_MaxFilesRemovesOldestAndOffsetsShift) {
  const std::string expected = seq_text(1000);
  const std::string id = run_to_end("keep2", {"/usr/bin/seq", "1", "1000"}, 2);
  EXPECT_EQ(client_.get("/v1/client/fs/cat/" + id + "?path=alloc/logs/t.stdout.0").status, 400u);
  // Files 2 and 3 remain: 1000 bytes + the 893-byte tail.
  EXPECT_EQ(logs(id, "type=stdout&plain=true"), expected.substr(2000));
}

TEST_F(Logs, Checklist08_FollowStreamsNewDataWithHeartbeats) {
  register_job(client_, batch_job("follow", {"/bin/sh", "-c", "echo first; sleep 2; echo second; sleep 30"}));
  const std::string id = wait_first_alloc(client_, "follow");
  wait_alloc(client_, id,
             [](const json::object& a) { return a.at("ClientStatus").as_string() == "running"; });
  const std::string raw = client_.read_for("/v1/client/fs/logs/" + id + "?task=t&type=stdout&follow=true",
                                           std::chrono::milliseconds(3500));
  EXPECT_NE(raw.find("Transfer-Encoding: chunked"), std::string::npos) << raw;
  EXPECT_NE(raw.find("Zmlyc3QK"), std::string::npos) << raw;      // base64("first\n")
  EXPECT_NE(raw.find("c2Vjb25kCg=="), std::string::npos) << raw;  // base64("second\n")
  EXPECT_NE(raw.find("\r\n{}\r\n"), std::string::npos) << "no heartbeat frame in: " << raw;
  const std::string plain =
      client_.read_for("/v1/client/fs/logs/" + id + "?task=t&type=stdout&follow=true&plain=true",
                       std::chrono::milliseconds(800));
  EXPECT_NE(plain.find("first\nsecond\n"), std::string::npos) << plain;
  client_.del("/v1/job/follow");
}

TEST_F(Logs, Checklist08_ErrorCases) {
  const std::string id = run_to_end("errs", {"/bin/true"});
  const std::string base = "/v1/client/fs/logs/" + id;
  EXPECT_EQ(client_.get(base + "?type=stdout").body, "must provide task name");
  EXPECT_EQ(client_.get(base + "?task=t").body, "must provide log type (stdout/stderr)");
  EXPECT_EQ(client_.get(base + "?task=t&type=stdout&origin=middle").body, "origin must be start or end");
  const HttpResult unknown_task = client_.get(base + "?task=x&type=stdout");
  EXPECT_EQ(unknown_task.status, 400u);
  EXPECT_EQ(unknown_task.body, "unknown task name \"x\"");
  const HttpResult unknown_alloc =
      client_.get("/v1/client/fs/logs/0b5e0000-0000-4000-8000-000000000000?task=t&type=stdout");
  EXPECT_EQ(unknown_alloc.status, 404u);
  EXPECT_EQ(unknown_alloc.body, "Unknown allocation \"0b5e0000-0000-4000-8000-000000000000\"");

  auto body = batch_job("neverstarts", {"/bin/true"});
  first_task(body)["Templates"] =
      json::array{json::object{{"EmbeddedTmpl", "{{ key \"x\" }}"}, {"DestPath", "local/x"}}};
  register_job(client_, body);
  const std::string never = wait_first_alloc(client_, "neverstarts");
  const json::object failed = wait_alloc(client_, never, alloc_terminal);
  EXPECT_EQ(failed.at("ClientStatus").as_string(), "failed");
  const HttpResult not_started = client_.get("/v1/client/fs/logs/" + never + "?task=t&type=stdout");
  EXPECT_EQ(not_started.status, 404u);
  EXPECT_EQ(not_started.body, "task \"t\" not started yet. No logs available");
}

TEST_F(Logs, FsCatReadsAllocFiles) {
  const std::string id =
      run_to_end("cat", {"/bin/sh", "-c", "echo '{\"ok\":true}' > $NOMAD_ALLOC_DIR/out.json"});
  const HttpResult cat = client_.get("/v1/client/fs/cat/" + id + "?path=alloc/out.json");
  EXPECT_EQ(cat.status, 200u);
  EXPECT_EQ(cat.body, "{\"ok\":true}\n");
  EXPECT_EQ(client_.get("/v1/client/fs/cat/" + id).body, "must provide a file name");
  EXPECT_EQ(client_.get("/v1/client/fs/cat/" + id + "?path=alloc").body, "file \"alloc\" is a directory");
  EXPECT_EQ(client_.get("/v1/client/fs/cat/" + id + "?path=alloc/missing").status, 400u);
  EXPECT_EQ(client_.get("/v1/client/fs/cat/" + id + "?path=../../x").status, 400u);
}

}  // namespace
}  // namespace nbs::nomad_sim::test
