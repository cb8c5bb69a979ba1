#include "mcpd/tools/job_tools.hpp"

namespace nbs::mcpd {

// The tools have no title: a display name the MCP clients take from `name` when it is missing, and
// ~200 bytes of every tools/list (issue 15's 8 KiB).
Status register_job_tools(ToolRegistry& registry, Orchestrator& orchestrator) {
  for (auto* make : {&tools::submit_job_tool, &tools::get_status_tool, &tools::get_logs_tool,
                     &tools::kill_job_tool, &tools::cleanup_tool, &tools::get_history_tool,
                     &tools::purge_failed_job_tool, &tools::get_artifacts_tool}) {
    if (auto added = registry.add(make(orchestrator)); !added) {
      return added;
    }
  }
  return {};
}

}  // namespace nbs::mcpd
