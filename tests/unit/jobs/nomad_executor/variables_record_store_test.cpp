// The record store over Nomad Variables against tests/nomad_sim: the RecordStore contract (create
// only with index 0, conflict on a stale index, remove with check-and-set, sorted lists by prefix) and
// Nomad's own limits (path characters, 64 KiB).
#include "jobs/nomad_executor/variables_record_store.hpp"

#include <gtest/gtest.h>

#include "jobs/nomad/variables.hpp"
#include "tests/unit/jobs/nomad/sim_server.hpp"

namespace nbs::jobs {
namespace {

class VariablesStoreSim : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    sim_ = nomad::testing::SimServer::start({}, why);
    ASSERT_TRUE(sim_) << why;
    store_ = open();
  }

  std::unique_ptr<VariablesRecordStore> open(
      std::string root = std::string(VariablesRecordStore::k_default_root)) {
    auto s = VariablesRecordStore::from_env({{"NOMAD_ADDR", sim_->address()}}, std::move(root));
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }

  nomad::Client client() {
    nomad::Config config;
    config.address = sim_->address();
    return *nomad::Client::connect(config);
  }

  std::unique_ptr<nomad::testing::SimServer> sim_;
  std::unique_ptr<VariablesRecordStore> store_;
};

TEST_F(VariablesStoreSim, CreateOnlyThenCheckAndSet) {
  auto& s = *store_;
  EXPECT_FALSE(*s.get("jobs/a"));
  auto created = s.put("jobs/a", R"({"status":"PENDING"})", 0);
  ASSERT_TRUE(created) << created.error().message;
  auto got = s.get("jobs/a");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->value, R"({"status":"PENDING"})");
  EXPECT_EQ((*got)->index, *created);

  // Index 0 again: the key exists, so it is a lost race.
  auto twice = s.put("jobs/a", "x", 0);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().kind, ErrorKind::conflict);
  EXPECT_EQ(twice.error().message,
            "state store: jobs/a changed (index " + std::to_string(*created) + ", expected 0)");

  auto updated = s.put("jobs/a", R"({"status":"BUILDING"})", *created);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_GT(*updated, *created);
  auto stale = s.put("jobs/a", "y", *created);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().kind, ErrorKind::conflict);
  EXPECT_EQ((*s.get("jobs/a"))->value, R"({"status":"BUILDING"})");

  // It is a plain Nomad variable under the root, its value in one item.
  auto c = client();
  nomad::Variables vars(c);
  auto raw = vars.read("nomad-build/jobs/a");
  ASSERT_TRUE(raw) << raw.error().message;
  EXPECT_EQ(raw->value.items, (std::map<std::string, std::string>{{"value", R"({"status":"BUILDING"})"}}));
  EXPECT_EQ(raw->value.modify_index, *updated);
}

TEST_F(VariablesStoreSim, RemoveWithCheckAndSet) {
  auto& s = *store_;
  const std::uint64_t index = *s.put("locks/k", "held", 0);
  auto stale = s.remove("locks/k", index + 100);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().kind, ErrorKind::conflict);
  EXPECT_TRUE(*s.get("locks/k"));
  auto removed = s.remove("locks/k", index);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_FALSE(*s.get("locks/k"));
  // Absent: fine, whatever the index.
  EXPECT_TRUE(s.remove("locks/k", index));
  EXPECT_TRUE(s.remove("locks/never", 0));
  // And it can be created again from scratch.
  EXPECT_TRUE(s.put("locks/k", "again", 0));
}

TEST_F(VariablesStoreSim, ListsKeysUnderAPrefixSorted) {
  auto& s = *store_;
  for (const char* key : {"jobs/c", "jobs/a", "jobs/b", "locks/x", "jobsx"}) {
    ASSERT_TRUE(s.put(key, "v", 0));
  }
  // Another root's variables are not ours.
  auto other = open("other-root/");
  ASSERT_TRUE(other->put("jobs/z", "v", 0));
  EXPECT_EQ(*s.list("jobs/"), (std::vector<std::string>{"jobs/a", "jobs/b", "jobs/c"}));
  EXPECT_EQ(*s.list(""), (std::vector<std::string>{"jobs/a", "jobs/b", "jobs/c", "jobsx", "locks/x"}));
  EXPECT_TRUE(s.list("none/")->empty());
  EXPECT_EQ(*other->list("jobs/"), std::vector<std::string>{"jobs/z"});
}

TEST_F(VariablesStoreSim, RejectsWhatNomadWouldRefuse) {
  auto& s = *store_;
  auto dotted = s.put("jobs/a.json", "v", 0);
  ASSERT_FALSE(dotted);
  EXPECT_EQ(dotted.error().kind, ErrorKind::invalid_argument);
  EXPECT_TRUE(dotted.error().message.starts_with("state store: invalid key 'jobs/a.json'"))
      << dotted.error().message;
  EXPECT_FALSE(s.get("/jobs/a"));
  EXPECT_FALSE(s.get("jobs//a"));
  EXPECT_FALSE(s.get(std::string(200, 'k')));
  auto big = s.put("jobs/big", std::string(std::size_t{64} * 1024, 'x'), 0);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message,
            "state store: jobs/big: a record of 65536 bytes is over Nomad's 64 KiB variable limit");
  EXPECT_TRUE(s.put("jobs/fits", std::string(std::size_t{60} * 1024, 'x'), 0));
  auto bad_root = VariablesRecordStore::from_env({{"NOMAD_ADDR", sim_->address()}}, "no-slash");
  ASSERT_FALSE(bad_root);
  EXPECT_EQ(bad_root.error().kind, ErrorKind::invalid_argument);
}

TEST_F(VariablesStoreSim, AStoppedNomadIsUnavailable) {
  sim_.reset();
  auto got = store_->get("jobs/a");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().kind, ErrorKind::unavailable);
}

}  // namespace
}  // namespace nbs::jobs
