// Fake tools for the mcpd tests and the test daemon (tests/mcp-clients): the real tool names with
// canned behaviour, so the protocol layer can be tested without the orchestrator.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "mcpd/mcp/tool_registry.hpp"

namespace nbs::mcpd::testing {

// What the fake tools observed, for assertions.
struct FakeToolState {
  std::atomic<int> calls{0};
  std::atomic<int> cancelled{0};  // calls whose wait ended by cancellation
  std::mutex mutex;
  std::string last_principal;
  std::string last_cancel_reason;
};

// Registers:
//  echo {text}                       → {text}
//  submitJob {owner, image_name,...} → {job_id:"job-1", status:"queued"}; every missing required field is
//                                      an invalid_argument field error; REST body {"job_config":{...}}
//  getStatus {job_id, wait_seconds}  → job "missing" is not_found; sends 3 progress notifications, then
//                                      waits wait_seconds (cancellable): {job_id, status, finished,
//                                      cancelled}
//  getLogs {job_id, phase, mode, tail_lines, cursor, ...} → {arguments: <what it got>}
//  slow {ms}                          → waits ms (cancellable): {completed}
void register_fake_tools(ToolRegistry& registry, const std::shared_ptr<FakeToolState>& state);

}  // namespace nbs::mcpd::testing
