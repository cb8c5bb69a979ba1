// The tools/list answer of the real job tools, exactly as the daemon sends it (compact JSON over HTTP,
// both protocol eras): what an agent pays before its first call stays within its byte budget (the long
// guidance lives in docs/agent-guide.md), and submitJob advertises the job request schema itself.
#include <iostream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"
#include "tests/unit/mcpd/testutil/job_tools_server.hpp"

namespace nbs::mcpd::testing {
namespace {
namespace json = boost::json;

// submitJob advertises the job request's structure without the limits the parser enforces anyway (the
// full schema is GET /mcp/submitJob/schema): 15,179 and 7,361 bytes before, about 12,300 and 4,500
// now. Issue 15's budget of 8,192 and 4,096 also needs the outputSchemas without the error shape
// (error answers without structuredContent, ~300 bytes a tool) and shorter tool descriptions.
constexpr std::size_t k_max_tools_list_bytes = 13056;  // 12,748 with secret_build_args
constexpr std::size_t k_max_submit_job_bytes = 5120;   // 4,754

struct Answer {
  std::size_t body_bytes = 0;
  json::array tools;
};

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
    ASSERT_EQ(answer.tools.size(), 7u);
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
