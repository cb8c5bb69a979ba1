// getArtifacts through the daemon's HTTP front (MCP and its REST mirror, the real job tools on a local
// executor), and the getStatus summary of collected reports.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "mcpd/tools/test_reports.hpp"
#include "tests/unit/mcpd/testutil/job_tools_server.hpp"

namespace nbs::mcpd::testing {
namespace {
namespace json = boost::json;

std::string request(const std::string& method, const std::string& path, const std::string& body = "") {
  return method + " " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

class GetArtifacts : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(tools_.server(), nullptr); }

  std::pair<int, json::value> exchange(const std::string& method, const std::string& path,
                                       const std::string& body = "") {
    const std::string response = raw_exchange(tools_.server()->port(), request(method, path, body));
    return {status_of(response), json::parse(body_of(response))};
  }

  std::string submit(const json::object& job) {
    auto [status, body] =
        exchange("POST", "/mcp/submitJob", json::serialize(json::object{{"job_config", job}}));
    EXPECT_EQ(status, 200) << body;
    return status == 200 ? std::string(body.at("job_id").as_string()) : std::string();
  }

  JobToolsServer tools_;
};

TEST_F(GetArtifacts, AJobWithoutCollectedReportsListsNoneAndSaysWhy) {
  const std::string id = submit(json::parse(R"({"owner":"a","repo_url":"https://git.example.com/t/app.git",
      "image_name":"t/app","registry_url":"registry.example.com:5000",
      "test":{"commands":["true"],"reports":["/out/junit.xml"]}})")
                                    .as_object());
  ASSERT_FALSE(id.empty());
  auto [status, listed] = exchange("GET", "/mcp/job/" + id + "/artifacts");
  EXPECT_EQ(status, 200) << listed;
  EXPECT_EQ(listed.at("files"), json::array()) << listed;
  EXPECT_EQ(listed.at("job_id").as_string(), id);

  auto [mcp_status, mcp] = exchange(
      "POST", "/mcp",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getArtifacts","arguments":{"job_id":")" +
          id + R"("}}})");
  EXPECT_EQ(mcp_status, 200);
  const std::string text(mcp.at("result").at("content").at(0).at("text").as_string());
  EXPECT_NE(text.find("no report collected (yet)"), std::string::npos) << mcp;

  auto [path_status, path] = exchange("GET", "/mcp/job/" + id + "/artifacts?path=/out/junit.xml");
  EXPECT_EQ(path_status, 404) << path;
  auto [cursor_status, cursor] =
      exchange("GET", "/mcp/job/" + id + "/artifacts?path=/out/junit.xml&cursor=x");
  EXPECT_EQ(cursor_status, 400) << cursor;
  EXPECT_NE(json::serialize(cursor).find("cursor"), std::string::npos) << cursor;
}

TEST_F(GetArtifacts, AnUnknownJobIsNotFound) {
  auto [status, body] = exchange("GET", "/mcp/job/00000000-0000-4000-8000-000000000000/artifacts");
  EXPECT_EQ(status, 404) << body;
}

jobs::ReportFile junit_file(const std::string& task, int tests, int failures, std::string first = "",
                            std::string message = "") {
  jobs::ReportFile f{.task = task, .path = "/out/junit.xml", .status = "ok", .size = 100, .kept = 100};
  f.junit = jobs::JUnitSummary{.tests = tests,
                               .failures = failures,
                               .errors = 0,
                               .skipped = 1,
                               .first_failure = std::move(first),
                               .message = std::move(message)};
  return f;
}

TEST(ReportsSummary, SumsEveryTaskAndNamesTheFirstFailureBriefly) {
  std::vector<jobs::ReportFile> files{junit_file("cmd-0", 3, 0),
                                      junit_file("cmd-1", 2, 1, "app.bad", std::string(400, 'm')),
                                      junit_file("cmd-2", 1, 1, "app.worse", "later"),
                                      {.task = "cmd-0", .path = "/out/x", .status = "missing"}};
  const json::object s = tools::reports_summary_json(files);
  EXPECT_EQ(s.at("files").to_number<int>(), 4);
  EXPECT_EQ(s.at("problems").to_number<int>(), 1);
  EXPECT_EQ(s.at("tests").to_number<int>(), 6);
  EXPECT_EQ(s.at("failures").to_number<int>(), 2);
  EXPECT_EQ(s.at("skipped").to_number<int>(), 3);
  EXPECT_EQ(s.at("first_failure"), "app.bad");
  EXPECT_LE(s.at("message").as_string().size(), 164u);  // 160 and an ellipsis: getStatus stays small
  EXPECT_LE(json::serialize(s).size(), 400u);
}

TEST(ReportsSummary, TextFilesOnlyHaveNoCountsAndNoFilesNoSummary) {
  const json::object s = tools::reports_summary_json(
      {{.task = "cmd-0", .path = "/out/log.txt", .status = "ok", .size = 3, .kept = 3}});
  EXPECT_EQ(json::serialize(s), R"({"files":1})");
  EXPECT_TRUE(tools::reports_summary_json({}).empty());
}

}  // namespace
}  // namespace nbs::mcpd::testing
