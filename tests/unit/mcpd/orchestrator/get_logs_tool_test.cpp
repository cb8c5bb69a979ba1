// The real getLogs tool over HTTP (a TestServer with one I/O thread, an orchestrator over an executor
// that only has logs): a grep runs beside the I/O thread, so /health and other calls keep answering
// while searches run, and a client that goes away stops its search.
#include <future>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jobs/local/file_record_store.hpp"
#include "mcpd/tools/job_tools.hpp"
#include "tests/unit/mcpd/orchestrator/testutil.hpp"
#include "tests/unit/mcpd/testutil/test_server.hpp"
#include "tests/unit/testutil/test_dir.hpp"
#include "tests/unit/testutil/wait.hpp"

namespace nbs::mcpd::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

class GetLogsToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = nbs::test_support::fresh_test_dir("nbs-getlogs-test");
    store_ = *jobs::FileRecordStore::open(dir_ / "records");
    // No start(): nothing runs the job; getLogs reads the executor's logs of its build phase.
    orchestrator_ = std::make_unique<Orchestrator>(executor_, *store_, OrchestratorConfig{});
    auto job = orchestrator_->submit(json::parse(
        R"({"owner": "t", "repo_url": "https://h/r.git", "registry_url": "reg:5000", "image_name": "a"})"));
    ASSERT_TRUE(job) << job.error().describe();
    job_id_ = job->id;
  }

  void TearDown() override {
    gate_.open();
    server_.reset();
    orchestrator_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void serve() {
    server_ = std::make_unique<TestServer>(
        HttpOptions{}, std::nullopt, ReadinessCheck{},
        [this](ToolRegistry& tools) { ASSERT_TRUE(register_job_tools(tools, *orchestrator_)); });
  }

  std::string grep_request(const std::string& pattern) const {
    json::object arguments{
        {"job_id", job_id_}, {"mode", "grep"}, {"pattern", pattern}, {"max_bytes", 262144}};
    json::object call{{"jsonrpc", "2.0"},
                      {"id", 1},
                      {"method", "tools/call"},
                      {"params", json::object{{"name", "getLogs"}, {"arguments", std::move(arguments)}}}};
    return post_mcp(json::serialize(call));
  }

  // The structuredContent of a tools/call response.
  static json::object structured(const std::string& response) {
    EXPECT_EQ(status_of(response), 200) << response.substr(0, 400);
    json::value body = json::parse(body_of(response));
    const json::object& result = body.at("result").as_object();
    EXPECT_FALSE(result.contains("isError")) << body;
    return result.at("structuredContent").as_object();
  }

  static std::vector<std::string> lines_of(const json::object& structured) {
    std::vector<std::string> out;
    for (const auto& line : structured.at("lines").as_array()) {
      out.emplace_back(line.as_string());
    }
    return out;
  }

  fs::path dir_;
  Gate gate_;
  LogOnlyExecutor executor_;
  std::unique_ptr<jobs::FileRecordStore> store_;
  std::unique_ptr<Orchestrator> orchestrator_;
  std::string job_id_;
  std::unique_ptr<TestServer> server_;
};

const std::string k_health = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

TEST_F(GetLogsToolTest, HealthAnswersWhileTwoBacktrackingGrepsRun) {
  executor_.logs["runner"] = build_log(1300);
  std::vector<std::string> log_lines;
  for (const auto& line : build_log_lines(1300)) {
    log_lines.push_back(rendered(line));
  }
  const auto expected = expected_grep(log_lines, twelve_as_then_x);
  ASSERT_EQ(expected.size(), 199u);  // 100 matches, one line in 13, with "--" between
  executor_.before_read = [this](std::size_t) { gate_.pass(); };  // hold both searches mid-read
  serve();
  std::vector<std::future<std::string>> greps;
  greps.reserve(2);
  for (int i = 0; i < 2; ++i) {
    greps.push_back(std::async(std::launch::async, [this] {
      return raw_exchange(server_->port(), grep_request("(.*a){12}x"), 60s);
    }));
  }
  EXPECT_TRUE(gate_.wait_for_waiting(2, 10s)) << "both searches should be reading the log at once";
  const std::string health = raw_exchange(server_->port(), k_health, 10s);
  EXPECT_EQ(status_of(health), 200) << "/health did not answer while searches ran: " << health;
  gate_.open();
  for (auto& grep : greps) {
    const json::object answer = structured(grep.get());
    EXPECT_EQ(lines_of(answer), expected);
    EXPECT_FALSE(answer.at("truncated").as_bool());
    EXPECT_EQ(answer.at("next_cursor").as_string(), "");
  }
}

TEST_F(GetLogsToolTest, AClientThatGoesAwayStopsItsSearch) {
  executor_.logs["runner"] = build_log(20000);  // about 4 MB: 60 reads of 64 KiB for a whole search
  executor_.before_read = [this](std::size_t read) {
    if (read == 1) {
      gate_.pass();
    }
  };
  serve();
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket client(io);
    client.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
    boost::asio::write(client, boost::asio::buffer(grep_request("no such line")));
    ASSERT_TRUE(gate_.wait_for_waiting(1, 10s)) << "the search did not start";
  }  // the client disconnects while its search is held at its first read
  // The server has seen the disconnect once it has finished with the request (and counted it).
  EXPECT_TRUE(nbs::test_support::wait_until([&] {
    return server_->metrics.render().find("nbs_http_requests_total{route=\"/mcp\"") != std::string::npos;
  })) << "the server did not notice the client going away";
  gate_.open();
  server_->stop();  // returns once the search has ended
  EXPECT_EQ(executor_.reads, 1u) << "the search went on reading after its client went away";
  EXPECT_EQ(executor_.bytes_read, 64u * 1024);
}

}  // namespace
}  // namespace nbs::mcpd::testing
