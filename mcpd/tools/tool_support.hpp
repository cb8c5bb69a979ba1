// What several tools share: schema pieces, argument checks derived from a tool's input schema, the
// answer to "what next", and the handlers of the tools that answer at once, off the I/O threads or once a
// job has settled.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "mcpd/mcp/tool_registry.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"

// GCC reports a false -Wmismatched-new-delete for an Asio awaitable frame when it inlines the frame's
// allocation and its release into one function (GCC PR 109224). Which coroutine it inlines changes
// with any edit anywhere in a file, so the warning is off for the tool files, not around one function.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace nbs::mcpd::tools {

// The input schema of the tools that take only a job id (their descriptions say where it comes from).
boost::json::object job_id_schema();

// Sets the tool's input schema: `full` for GET /mcp/<tool>/schema, and for tools/list the same without
// the ranges (minimum, maximum) the handler enforces anyway, naming the argument and its range.
void set_input_schema(Tool& tool, boost::json::object full);

// Reads a string argument; errors name it.
Result<std::string> required_string(const boost::json::object& args, std::string_view key);

// The job the "job_id" argument names, as the caller may see it (not_found otherwise).
Result<JobRecord> job_argument(Orchestrator& o, const boost::json::object& args, const ToolContext& ctx);

// `handler` behind the check that every argument is one the input schema declares under "properties":
// a typo is an error naming the argument, not a silent default.
ToolHandler with_declared_arguments(const boost::json::object& input_schema, ToolHandler handler);

// An RFC 3339 time, or null.
boost::json::value time_or_null(const std::optional<SystemTime>& t);

// What the agent should do next, in one sentence.
std::string next_step(const JobRecord& record);

// Lets ctx.wait_for end when the orchestrator next writes the job's record (or at once if it has
// since `changes`).
ToolContext::Subscribe record_writes(Orchestrator& o, const std::string& job_id, std::uint64_t changes);

// What cleanup and purgeFailedJob answer, and its schema.
boost::json::object cleanup_json(const Orchestrator::CleanupReport& report);
boost::json::object cleanup_output_schema();

// A tool whose work runs synchronously: the coroutine only hands its answer back.
using SyncCall = Result<ToolResult> (*)(Orchestrator&, const boost::json::object&, ToolContext&);
ToolHandler sync_handler(Orchestrator& o, SyncCall call);

// A tool whose work waits for the disk (submitJob and killJob write a record and wait for its fsync,
// and for the store's other writers): it runs on threads of its own, never on an I/O thread, where it
// would hold up every request queued behind it, /health's included.
ToolHandler offloaded_handler(Orchestrator& o, SyncCall call);

// cleanup and purgeFailedJob act on settled jobs. A job that has just finished is still removing its
// temporary image for a moment: they wait for that (up to a minute, without blocking a thread) instead
// of refusing what the caller was just told it may do.
ToolHandler once_settled_handler(Orchestrator& o, SyncCall call);

}  // namespace nbs::mcpd::tools
