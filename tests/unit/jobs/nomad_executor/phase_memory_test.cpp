// PhaseMemory: what the Nomad executor remembers per phase, its bound and when it forgets.
#include "jobs/nomad_executor/phase_memory.hpp"

#include <gtest/gtest.h>

namespace nbs::jobs::nomad {
namespace {

Allocation alloc(const std::string& id, std::uint64_t create_index,
                 const std::map<std::string, std::string>& tasks) {
  Allocation a;
  a.id = id;
  a.create_index = create_index;
  for (const auto& [name, state] : tasks) {
    a.task_states[name].state = state;
  }
  return a;
}

TEST(PhaseMemory, RemembersEachTasksNewestAllocation) {
  PhaseMemory m;
  m.remember_allocations("nbs-j-test",
                         {alloc("a1", 10, {{"cmd-0", "dead"}}), alloc("a2", 12, {{"cmd-0", "running"}}),
                          alloc("b1", 11, {{"cmd-1", "dead"}}), alloc("c1", 13, {})});
  auto t0 = m.task("nbs-j-test", "cmd-0");
  ASSERT_TRUE(t0);
  EXPECT_EQ(t0->alloc_id, "a2");
  EXPECT_FALSE(t0->finished);
  auto t1 = m.task("nbs-j-test", "cmd-1");
  ASSERT_TRUE(t1);
  EXPECT_EQ(t1->alloc_id, "b1");
  EXPECT_TRUE(t1->finished);
  EXPECT_FALSE(m.task("nbs-j-test", "entry-point"));
  EXPECT_FALSE(m.task("nbs-j-build", "runner"));
}

TEST(PhaseMemory, KeepsALogSizeOnlyForAFinishedTaskInTheSameAllocation) {
  PhaseMemory m;
  m.remember_allocations("p", {alloc("a1", 1, {{"runner", "running"}})});
  m.remember_log_size("p", "runner", "a1", 100);
  EXPECT_FALSE(m.task("p", "runner")->log_size);  // still written
  m.remember_allocations("p", {alloc("a1", 1, {{"runner", "dead"}})});
  m.remember_log_size("p", "runner", "a0", 100);
  EXPECT_FALSE(m.task("p", "runner")->log_size);  // another allocation
  m.remember_log_size("p", "runner", "a1", 120);
  EXPECT_EQ(m.task("p", "runner")->log_size, 120u);
  m.remember_allocations("p", {alloc("a1", 1, {{"runner", "dead"}})});
  EXPECT_EQ(m.task("p", "runner")->log_size, 120u);  // the same allocation seen again
  m.forget_log_size("p", "runner");
  EXPECT_FALSE(m.task("p", "runner")->log_size);
  m.remember_log_size("p", "runner", "a1", 130);
  // A replacement allocation: everything of the old one goes.
  m.remember_allocations("p",
                         {alloc("a1", 1, {{"runner", "dead"}}), alloc("a2", 2, {{"runner", "pending"}})});
  auto t = m.task("p", "runner");
  EXPECT_EQ(t->alloc_id, "a2");
  EXPECT_FALSE(t->finished);
  EXPECT_FALSE(t->log_size);
}

TEST(PhaseMemory, GroupsAndResultsUntilForgotten) {
  PhaseMemory m;
  EXPECT_FALSE(m.groups("p"));
  m.remember_groups("p", {"runner"});
  m.remember_result("p", R"({"digest":"sha256:feed"})");
  EXPECT_EQ(m.groups("p"), (std::vector<std::string>{"runner"}));
  EXPECT_EQ(m.result("p"), R"({"digest":"sha256:feed"})");
  m.remember_result("q", std::string(PhaseMemory::k_max_result_bytes + 1, 'x'));
  EXPECT_FALSE(m.result("q"));  // too large to keep
  m.forget("p");
  EXPECT_FALSE(m.groups("p"));
  EXPECT_FALSE(m.result("p"));
  EXPECT_EQ(m.size(), 0u);
}

TEST(PhaseMemory, DropsTheLeastRecentlyUsedPhaseWhenFull) {
  PhaseMemory m(3);
  for (const char* p : {"p1", "p2", "p3"}) {
    m.remember_groups(p, {"runner"});
  }
  EXPECT_TRUE(m.groups("p1"));  // p2 is now the least recently used
  m.remember_groups("p4", {"runner"});
  EXPECT_EQ(m.size(), 3u);
  EXPECT_FALSE(m.groups("p2"));
  EXPECT_TRUE(m.groups("p1"));
  EXPECT_TRUE(m.groups("p3"));
  EXPECT_TRUE(m.groups("p4"));
}

}  // namespace
}  // namespace nbs::jobs::nomad
