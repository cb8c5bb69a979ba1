// The tools/list answer of the real job tools, exactly as the daemon sends it (compact JSON over HTTP,
// both protocol eras): what an agent pays before its first call stays within its byte budget (the long
// guidance lives in docs/agent-guide.md), and submitJob advertises the job request schema itself.
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"
#include "tests/unit/mcpd/testutil/job_tools_server.hpp"

namespace nbs::mcpd::testing {
namespace {
namespace json = boost::json;

// Issue 15's budget for what an agent reads before its first call. Before the budget was met: 12,748
// and 4,754 bytes (each outputSchema also admitted the error shape, ~300 bytes a tool; longer tool and
// argument descriptions; every annotation hint and the title twice).
constexpr std::size_t k_max_tools_list_bytes = 8192;  // 8,181 in the modern era, 8,005 in the legacy one
constexpr std::size_t k_max_submit_job_bytes = 4096;  // 3,873

struct Answer {
  std::size_t body_bytes = 0;
  json::array tools;
};

// NBS_TOOLS_LIST_OUT=<prefix> keeps each era's answer in <prefix>-legacy.json and <prefix>-modern.json, to
// see where the bytes go.
void keep_answer(const std::string& body, bool modern) {
  if (const char* prefix = std::getenv("NBS_TOOLS_LIST_OUT")) {
    std::ofstream(std::string(prefix) + (modern ? "-modern.json" : "-legacy.json")) << body;
  }
}

Answer tools_list(unsigned short port, bool modern) {
  json::object params;
  std::string headers;
  if (modern) {
    params["_meta"] = json::object{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                                   {"io.modelcontextprotocol/clientCapabilities", json::object{}}};
    headers = "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/list\r\n";
  }
  const json::object request{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}, {"params", params}};
  const std::string response = raw_exchange(port, post_mcp(json::serialize(request), headers));
  EXPECT_EQ(status_of(response), 200) << response.substr(0, 400);
  const std::string body = body_of(response);
  keep_answer(body, modern);
  const json::value answer = json::parse(body);
  EXPECT_FALSE(answer.at("result").as_object().contains("nextCursor")) << "every tool on the first page";
  return Answer{body.size(), answer.at("result").at("tools").as_array()};
}

TEST(ToolsList, TheAnswerStaysWithinItsByteBudget) {
  JobToolsServer tools;
  ASSERT_NE(tools.server(), nullptr);
  for (bool modern : {false, true}) {
    SCOPED_TRACE(modern ? "modern era" : "legacy era");
    const Answer answer = tools_list(tools.server()->port(), modern);
    ASSERT_EQ(answer.tools.size(), 8u);
    std::string sizes = "whole answer " + std::to_string(answer.body_bytes) + " bytes;";
    std::size_t submit_job = 0;
    for (const auto& tool : answer.tools) {
      const std::size_t bytes = json::serialize(tool).size();
      sizes += " " + std::string(tool.at("name").as_string()) + " " + std::to_string(bytes);
      if (tool.at("name") == "submitJob") {
        submit_job = bytes;
      }
    }
    EXPECT_LE(answer.body_bytes, k_max_tools_list_bytes) << sizes;
    EXPECT_LE(submit_job, k_max_submit_job_bytes) << sizes;
    std::cout << sizes << "\n";
  }
}

// Any tool's advertised input schema is its full one (GET /mcp/<tool>/schema) without the ranges; the
// handler still enforces them.
TEST(ToolsList, TheRangesLeftOutAreServedAndEnforced) {
  JobToolsServer tools;
  ASSERT_NE(tools.server(), nullptr);
  const unsigned short port = tools.server()->port();
  const Answer answer = tools_list(port, false);
  std::size_t ranges = 0;
  for (const auto& tool : answer.tools) {
    const std::string name(tool.at("name").as_string());
    if (name == "submitJob") {
      continue;  // the job request schema: job_request_schema_test
    }
    const std::string response = raw_exchange(
        port, "GET /mcp/" + name + "/schema HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(status_of(response), 200) << name << ": " << response.substr(0, 400);
    json::object full = json::parse(body_of(response)).as_object();
    for (auto& property : full.at("properties").as_object()) {
      ranges += property.value().as_object().erase("minimum") + property.value().as_object().erase("maximum");
    }
    EXPECT_EQ(json::value(full), tool.at("inputSchema")) << name;
  }
  EXPECT_EQ(ranges, 13u);  // wait_seconds; getLogs' four integers; getHistory's limit and offset

  const json::object call{{"jsonrpc", "2.0"},
                          {"id", 2},
                          {"method", "tools/call"},
                          {"params", {{"name", "getHistory"}, {"arguments", {{"limit", 101}}}}}};
  const json::value result =
      json::parse(body_of(raw_exchange(port, post_mcp(json::serialize(call))))).at("result");
  EXPECT_EQ(result.at("isError"), true);
  EXPECT_EQ(result.at("content").at(0).at("text"),
            "invalid_argument\nlimit: must be a whole number from 1 to 100");
}

// The advertised job request schema (job_request_schema_test proves it is the full one without its
// limits); the tool only leaves out the root annotations its own description replaces.
TEST(ToolsList, SubmitJobAdvertisesTheJobRequestSchema) {
  JobToolsServer tools;
  ASSERT_NE(tools.server(), nullptr);
  const Answer answer = tools_list(tools.server()->port(), false);
  json::object expected = job_request_schema(SchemaDetail::advertised);
  for (const char* key : {"$schema", "title", "description"}) {
    expected.erase(key);
  }
  ASSERT_FALSE(answer.tools.empty());
  EXPECT_EQ(answer.tools[0].at("name"), "submitJob");
  EXPECT_EQ(answer.tools[0].at("inputSchema"), json::value(expected));
}

// Clients that validate before they call get every rule the parser enforces from the REST mirror.
TEST(ToolsList, TheFullJobRequestSchemaIsARestGetAway) {
  JobToolsServer tools;
  ASSERT_NE(tools.server(), nullptr);
  auto get = [&](const std::string& path) {
    return raw_exchange(tools.server()->port(),
                        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  };
  for (const char* path : {"/mcp/submitJob/schema", "/json/submitJob/schema"}) {
    const std::string response = get(path);
    ASSERT_EQ(status_of(response), 200) << path << ": " << response.substr(0, 400);
    EXPECT_EQ(json::parse(body_of(response)), json::value(job_request_schema(SchemaDetail::full))) << path;
  }
  const std::string unknown = get("/mcp/noSuchTool/schema");
  EXPECT_EQ(status_of(unknown), 404) << unknown.substr(0, 400);
  EXPECT_NE(body_of(unknown).find("noSuchTool"), std::string::npos) << body_of(unknown);
}

}  // namespace
}  // namespace nbs::mcpd::testing
