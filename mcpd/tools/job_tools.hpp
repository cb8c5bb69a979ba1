// The eight tools an agent calls — submitJob, getStatus, getLogs, killJob, cleanup, getHistory,
// purgeFailedJob, getArtifacts — over the orchestrator, one file each (its schema, call and Tool definition).
// Their input schemas come from common/ (the same definition the validator uses); MCP, the REST mirror and
// stdio all reach the same handlers.
#pragma once

#include "mcpd/mcp/tool_registry.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"

namespace nbs::mcpd {

// Registers every job tool into `registry`, in the order tools/list shows them. The orchestrator must
// outlive the registry.
Status register_job_tools(ToolRegistry& registry, Orchestrator& orchestrator);

// The structured getStatus answer for a record (also what the REST mirror returns).
boost::json::object status_json(const JobRecord& record);

namespace tools {

// Each tool's definition (get_status.cpp, ...).
Tool submit_job_tool(Orchestrator& o);
Tool get_status_tool(Orchestrator& o);
Tool get_logs_tool(Orchestrator& o);
Tool kill_job_tool(Orchestrator& o);
Tool cleanup_tool(Orchestrator& o);
Tool get_history_tool(Orchestrator& o);
Tool purge_failed_job_tool(Orchestrator& o);
Tool get_artifacts_tool(Orchestrator& o);

}  // namespace tools

}  // namespace nbs::mcpd
