// Identical validation: the real submitJob (BuildService on a local executor in a temporary state dir)
// gets the same invalid job configs through MCP tools/call (legacy and modern era) and through the REST
// mirror (/mcp/submitJob and /json/submitJob). Every entry point must report exactly the field errors
// the one validator (common/job_request_parser) reports: REST as a 400 {"error","code","details"}, MCP
// as an isError result whose text names every field, one line each. Nothing may be recorded.
#include <filesystem>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"
#include "tests/unit/mcpd/testutil/job_tools_server.hpp"

namespace nbs::mcpd::testing {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

// The text of a tool result: all an isError result says.
std::string text_of(const json::object& result) {
  return std::string(result.at("content").at(0).at("text").as_string());
}

json::object valid_job() {
  return json::parse(R"({"owner":"agent-7","repo_url":"https://git.example.com/team/app.git",
                         "image_name":"team/app","registry_url":"registry.example.com:5000"})")
      .as_object();
}

struct Case {
  const char* name;
  const char* patch;  // merged into the valid job key by key; null removes a key
};

// From tests/unit/common/job_request_validation_test.cpp, plus requests with several bad fields.
const Case k_cases[] = {
    {"owner missing", R"({"owner": null})"},
    {"owner with semicolon", R"({"owner": "a;rm -rf /"})"},
    {"repo_url with token", R"({"repo_url": "https://tok3n@github.com/a/b.git"})"},
    {"repo_url ftp", R"({"repo_url": "ftp://host/a.git"})"},
    {"repo_url option injection", R"({"repo_url": "--upload-pack=touch /tmp/x"})"},
    {"registry_url with scheme", R"({"registry_url": "https://registry.example.com"})"},
    {"registry_url bad port", R"({"registry_url": "registry:99999"})"},
    {"image_name upper case", R"({"image_name": "Team/App"})"},
    {"image_name with shell", R"j({"image_name": "app$(id)"})j"},
    {"tag with slash", R"({"image_tags": ["v1/x"]})"},
    {"tag repeated", R"({"image_tags": ["v1", "v1"]})"},
    {"tags as object", R"({"image_tags": {"a": 1}})"},
    {"git_ref with dotdot", R"({"git_ref": "a..b"})"},
    {"git_ref leading dash", R"({"git_ref": "-f"})"},
    {"dockerfile_path escape", R"({"dockerfile_path": "../../etc/passwd"})"},
    {"dockerfile_context absolute", R"({"dockerfile_context": "/"})"},
    {"registry_credentials_path escape", R"({"registry_credentials_path": "secret/../root"})"},
    {"build_args bad name", R"({"build_args": {"A-B": "x"}})"},
    {"build_args value newline", R"({"build_args": {"A": "x\ny"}})"},
    {"platform bad", R"({"platform": "amd64"})"},
    {"platforms unknown", R"({"platforms": ["linux/amd64", "linux/foo"]})"},
    {"sign key path", R"({"sign": {"key_ref": "file:../k"}})"},
    {"reports relative", R"({"test": {"commands": ["true"], "reports": ["out/junit.xml"]}})"},
    {"test command not string", R"({"test": {"commands": ["ok", 3]}})"},
    {"test env bad name", R"({"test": {"env": {"1X": "v"}}})"},
    {"test timeout too long", R"({"test": {"timeout": "48h"}})"},
    {"test unknown field", R"({"test": {"comands": ["x"]}})"},
    {"vault secret bad env",
     R"({"test": {"vault_secrets": [{"path": "secret/data/db", "fields": {"password": "db-pw"}}]}})"},
    {"constraint bad operand",
     R"({"test": {"constraints": [{"attribute": "${attr.kernel.name}", "operand": "~=", "value": "linux"}]}})"},
    {"alias conflicts", R"({"test_commands": ["a"], "test": {"commands": ["b"]}})"},
    {"memory huge", R"({"resource_limits": {"build": {"memory": 99999999999}}})"},
    {"build_timeout bool", R"({"build_timeout": true})"},
    {"cache ref with tag", R"({"cache": {"registry_ref": "registry.example.com/team/app:cache"}})"},
    {"webhook_url file scheme", R"({"webhook_url": "file:///etc/passwd"})"},
    {"webhook header value crlf", R"({"webhook_headers": {"X-A": "v\r\nX-B: 1"}})"},
    {"unknown top-level field", R"({"imagename": "x"})"},
    {"deploy_dir removed", R"({"deploy_dir": "./deploy"})"},
    {"everything missing", R"({"owner": null, "repo_url": null, "image_name": null, "registry_url": null})"},
    {"five bad fields", R"({"repo_url": "ftp://x/y.git", "image_name": "UPPER", "image_tags": ["bad tag"],
                            "git_ref": "a..b", "surprise": 1})"},
    {"nested and top-level",
     R"({"owner": "", "test": {"commands": [""], "env": {"A=B": "v"}}, "clear_cache": "yes"})"},
};

json::object job_for(const Case& c) {
  json::object job = valid_job();
  const json::value patch = json::parse(c.patch);
  for (const auto& kv : patch.as_object()) {
    if (kv.value().is_null()) {
      job.erase(kv.key());
    } else {
      job[kv.key()] = kv.value();
    }
  }
  return job;
}

// [{"field","reason"}] as the validator reports them.
json::array validator_details(const json::object& job) {
  auto parsed = parse_job_request(json::value(job));
  json::array out;
  if (!parsed) {
    for (const auto& f : parsed.error().fields) {
      out.push_back(json::object{{"field", f.path}, {"reason", f.reason}});
    }
  }
  return out;
}

std::string http_post(const std::string& path, const std::string& body, const std::string& headers = "") {
  return "POST " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\nConnection: close\r\n" +
         headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class ValidationParity : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(tools_.server(), nullptr); }

  json::value exchange(const std::string& request, int expected_status) {
    std::string response = raw_exchange(tools_.server()->port(), request);
    EXPECT_EQ(status_of(response), expected_status) << response.substr(0, 400);
    return json::parse(body_of(response));
  }

  json::object mcp_call(const json::object& arguments, bool modern) {
    json::object params{{"name", "submitJob"}, {"arguments", arguments}};
    std::string headers;
    if (modern) {
      params["_meta"] = json::object{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                                     {"io.modelcontextprotocol/clientCapabilities", json::object{}}};
      headers = "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: submitJob\r\n";
    }
    json::object request{
        {"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/call"}, {"params", std::move(params)}};
    return exchange(http_post("/mcp", json::serialize(request), headers), 200).at("result").as_object();
  }

  json::object rest_call(const std::string& path, const json::object& job) {
    return exchange(http_post(path, json::serialize(json::object{{"job_config", job}})), 400).as_object();
  }

  json::object call_tool(const std::string& name, const json::object& arguments) {
    json::object request{{"jsonrpc", "2.0"},
                         {"id", 2},
                         {"method", "tools/call"},
                         {"params", json::object{{"name", name}, {"arguments", arguments}}}};
    return exchange(http_post("/mcp", json::serialize(request)), 200).at("result").as_object();
  }

  std::int64_t history_total() {
    return call_tool("getHistory", json::object{{"limit", 100}})
        .at("structuredContent")
        .at("total")
        .to_number<std::int64_t>();
  }

  std::size_t record_files() {
    std::size_t n = 0;
    for (const auto& entry : fs::recursive_directory_iterator(tools_.dir() / "state" / "records")) {
      n += entry.is_regular_file() ? 1 : 0;
    }
    return n;
  }

  JobToolsServer tools_;
};

TEST_F(ValidationParity, McpAndRestReportTheValidatorsFieldErrorsAndRecordNothing) {
  const auto history_before = history_total();
  const auto files_before = record_files();
  ASSERT_GE(std::size(k_cases), 20u);
  for (const Case& c : k_cases) {
    SCOPED_TRACE(c.name);
    const json::object job = job_for(c);
    const json::array expected = validator_details(job);
    ASSERT_FALSE(expected.empty()) << "the validator accepts this case";

    for (const char* path : {"/mcp/submitJob", "/json/submitJob"}) {
      json::object rest = rest_call(path, job);
      EXPECT_EQ(rest.at("code"), "invalid_argument") << path;
      EXPECT_EQ(rest.at("details"), json::value(expected)) << path;
      EXPECT_TRUE(rest.at("error").is_string());
    }
    for (bool modern : {false, true}) {
      json::object result = mcp_call(job, modern);
      EXPECT_EQ(result.at("isError"), true);
      EXPECT_FALSE(result.contains("structuredContent"));
      // The text is the code, then the validator's fields in its order, one "field: reason" line each.
      std::string lines;
      for (const auto& d : expected) {
        const std::string field(d.at("field").as_string());
        const std::string reason(d.at("reason").as_string());
        lines += "\n" + (field.empty() ? reason : field + ": " + reason);
      }
      EXPECT_EQ(text_of(result), "invalid_argument" + lines) << (modern ? "modern" : "legacy");
      if (modern) {
        EXPECT_EQ(result.at("resultType"), "complete");
      }
    }
  }
  EXPECT_EQ(history_total(), history_before);
  EXPECT_EQ(record_files(), files_before);
  EXPECT_EQ(files_before, 0u);

  // The check above is not vacuous: a valid job is recorded by the same path.
  json::object accepted = call_tool("submitJob", valid_job());
  EXPECT_FALSE(accepted.contains("isError")) << json::serialize(accepted);
  EXPECT_GE(record_files(), 1u);  // the record, and whatever else the orchestrator keeps for a job
}

// What a well-formed job asks for that this daemon will not run (its executor, its policy) is refused
// at submit through every entry point, naming the field: never accepted and then dropped or failed late.
TEST_F(ValidationParity, WhatThisDaemonWillNotRunIsRefusedThroughMcpAndRestAlike) {
  const std::pair<const char*, json::value> refused[] = {
      {"webhook_url", "http://169.254.169.254/latest"},
      {"git_credentials_path", "secret/data/git"},
      {"registry_credentials_path", "secret/data/registry"},
      {"repo_url", "file:///etc/repo.git"},
      {"cache", json::object{{"registry_ref", "evil.example.com/team/app/cache"}}},
      {"test",
       json::object{{"commands", json::array{"true"}},
                    {"vault_secrets", json::array{json::object{{"path", "secret/data/x"},
                                                               {"fields", json::object{{"k", "K"}}}}}}}},
  };
  for (const auto& [field, value] : refused) {
    SCOPED_TRACE(field);
    json::object job = valid_job();
    job[field] = value;
    for (const char* path : {"/mcp/submitJob", "/json/submitJob"}) {
      json::object rest = rest_call(path, job);
      EXPECT_EQ(rest.at("code"), "invalid_argument") << path;
      const std::string named(rest.at("details").at(0).at("field").as_string());
      EXPECT_TRUE(named.starts_with(field)) << named;
    }
    for (bool modern : {false, true}) {
      json::object result = mcp_call(job, modern);
      EXPECT_EQ(result.at("isError"), true);
      const std::string text = text_of(result);
      EXPECT_TRUE(text.starts_with("invalid_argument\n" + std::string(field))) << text;
    }
  }
  EXPECT_EQ(record_files(), 0u);
  // getHistory's owner filter follows the owner grammar of submitJob.
  json::object history = call_tool("getHistory", json::object{{"owner", std::string("a\0b", 3)}});
  EXPECT_EQ(history.at("isError"), true);
  EXPECT_TRUE(text_of(history).starts_with("invalid_argument\nowner: ")) << text_of(history);
}

TEST_F(ValidationParity, TheRestWrapperIsCheckedBeforeTheJob) {
  // Only REST has the {"job_config": ...} wrapper; its own mistakes name the wrapper's fields.
  auto missing = exchange(http_post("/mcp/submitJob", R"({"owner":"x"})"), 400);
  EXPECT_EQ(missing.at("details").at(0).at("field"), "job_config");
  auto extra = exchange(http_post("/json/submitJob", R"({"job_config":{},"owner":"x"})"), 400);
  EXPECT_EQ(extra.at("details").at(0).at("field"), "owner");
  EXPECT_EQ(record_files(), 0u);
}

}  // namespace
}  // namespace nbs::mcpd::testing
