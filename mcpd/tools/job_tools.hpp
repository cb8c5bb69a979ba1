// The seven tools an agent calls — submitJob, getStatus, getLogs, killJob, cleanup, getHistory,
// purgeFailedJob — over the orchestrator. Their input schemas come from common/ (the same definition the
// validator uses); MCP, the REST mirror and stdio all reach the same handlers.
#pragma once

#include "mcpd/mcp/tool_registry.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"

namespace nbs::mcpd {

// Registers every job tool into `tools`. The orchestrator must outlive the registry.
Status register_job_tools(ToolRegistry& tools, Orchestrator& orchestrator);

// The structured getStatus answer for a record (also what the REST mirror returns).
boost::json::object status_json(const JobRecord& record);

}  // namespace nbs::mcpd
