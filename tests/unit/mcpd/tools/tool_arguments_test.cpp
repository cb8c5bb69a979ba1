// The arguments each real tool accepts are exactly the properties of its input schema: an argument the
// schema does not declare is refused by name, and none it declares is refused as unknown. (submitJob is
// checked by the job validator instead: validation_parity_test.) And where the calls that wait for the
// disk run.
#include <algorithm>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "mcpd/tools/tool_support.hpp"
#include "tests/unit/mcpd/testutil/job_tools_server.hpp"

namespace nbs::mcpd::testing {
namespace {
namespace json = boost::json;
namespace asio = boost::asio;

Result<ToolResult> call(const Tool& tool, const json::object& arguments) {
  asio::io_context io;
  ToolContext ctx(CallInfo{}, NotificationSink{}, std::make_shared<Cancellation>());
  auto future = asio::co_spawn(io, invoke_tool(tool, arguments, ctx), asio::use_future);
  io.run();
  return future.get();
}

bool refused_as_unknown(const Result<ToolResult>& outcome, const std::string& name) {
  if (outcome) {
    return false;
  }
  // boost::system::result::error() returns a copy: take one, so begin() and end() share their fields.
  const Error error = outcome.error();
  return std::any_of(error.fields.begin(), error.fields.end(),
                     [&](const FieldError& f) { return f.path == name && f.reason == "unknown argument"; });
}

TEST(ToolArguments, AnArgumentTheSchemaDoesNotDeclareIsRefusedByName) {
  JobToolsServer fixture;
  ASSERT_NE(fixture.server(), nullptr);
  int checked = 0;
  for (const Tool& tool : fixture.server()->tools.tools()) {
    if (tool.name == "submitJob") {
      continue;
    }
    auto outcome =
        call(tool, json::object{{"job_id", "00000000-0000-4000-8000-000000000000"}, {"job_idd", "x"}});
    ASSERT_FALSE(outcome) << tool.name;
    EXPECT_EQ(outcome.error().kind, ErrorKind::invalid_argument) << tool.name;
    EXPECT_TRUE(refused_as_unknown(outcome, "job_idd")) << tool.name << ": " << outcome.error().message;
    ++checked;
  }
  EXPECT_EQ(checked, 7);
}

TEST(ToolArguments, NoArgumentTheSchemaDeclaresIsRefusedAsUnknown) {
  JobToolsServer fixture;
  ASSERT_NE(fixture.server(), nullptr);
  for (const Tool& tool : fixture.server()->tools.tools()) {
    if (tool.name == "submitJob") {
      continue;
    }
    for (const auto& property : tool.input_schema.at("properties").as_object()) {
      const std::string name(property.key());
      // A value of the wrong type for most of them: refused, but not as an unknown argument.
      auto outcome = call(tool, json::object{{name, "x"}});
      EXPECT_FALSE(refused_as_unknown(outcome, name)) << tool.name << "." << name;
    }
  }
}

std::string this_thread_id() {
  std::ostringstream id;
  id << std::this_thread::get_id();
  return id.str();
}

Result<ToolResult> answer_the_thread(Orchestrator&, const json::object&, ToolContext&) {
  return ToolResult{json::value(), this_thread_id(), {}};
}

// The call's answer, and the thread the caller resumed on.
asio::awaitable<std::pair<Result<ToolResult>, std::string>> call_noting_the_thread(const ToolHandler& handler,
                                                                                   ToolContext& ctx) {
  Result<ToolResult> result = co_await handler(json::object{}, ctx);
  co_return std::pair{std::move(result), this_thread_id()};
}

// submitJob and killJob wait for a record's fsync: on an I/O thread they would hold up every request
// queued behind them. Their calls run elsewhere, and the caller goes on where it was.
TEST(ToolHandlers, AnOffloadedCallRunsOffTheCallersThreadAndTheCallerResumesOnIt) {
  JobToolsServer fixture;
  ASSERT_NE(fixture.server(), nullptr);
  const ToolHandler handler = tools::offloaded_handler(fixture.orchestrator(), answer_the_thread);
  asio::io_context io;
  ToolContext ctx(CallInfo{}, NotificationSink{}, std::make_shared<Cancellation>());
  auto future = asio::co_spawn(io, call_noting_the_thread(handler, ctx), asio::use_future);
  io.run();
  auto [result, resumed_on] = future.get();
  ASSERT_TRUE(result);
  EXPECT_NE(result->text, this_thread_id()) << "the call ran on the caller's thread";
  EXPECT_EQ(resumed_on, this_thread_id());
}

}  // namespace
}  // namespace nbs::mcpd::testing
