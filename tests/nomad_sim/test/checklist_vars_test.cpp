// Checklist point 9: Variables CAS/409 bodies, 204 delete, locks with TTL/LockDelay strings.
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "tests/nomad_sim/test/sim_client.hpp"
#include "tests/nomad_sim/test/sim_process.hpp"
#include "tests/nomad_sim/test/test_util.hpp"

namespace nbs::nomad_sim::test {
namespace {

class Vars : public ::testing::Test {
 protected:
  SimProcess sim_;
  SimClient client_{sim_.address()};
};

TEST_F(Vars, Checklist09_CasConflictIs409WithTheCurrentVariable) {
  const HttpResult created = client_.put("/v1/var/nomad-build/jobs/j1", R"({"Items":{"state":"PENDING"}})");
  ASSERT_EQ(created.status, 200u) << created.body;
  const json::object v = created.json().as_object();
  EXPECT_EQ(v.at("Path").as_string(), "nomad-build/jobs/j1");
  EXPECT_EQ(v.at("Namespace").as_string(), "default");
  EXPECT_EQ(v.at("Items").at("state").as_string(), "PENDING");
  const std::uint64_t index = v.at("ModifyIndex").to_number<std::uint64_t>();
  EXPECT_EQ(created.header("x-nomad-index"), std::to_string(index));

  const HttpResult exists = client_.put("/v1/var/nomad-build/jobs/j1?cas=0", R"({"Items":{"state":"X"}})");
  EXPECT_EQ(exists.status, 409u);
  EXPECT_EQ(exists.json().at("Items").at("state").as_string(), "PENDING");
  EXPECT_EQ(exists.json().at("ModifyIndex").to_number<std::uint64_t>(), index);
  EXPECT_EQ(exists.header("x-nomad-index"), std::to_string(index));
  const HttpResult stale = client_.put("/v1/var/nomad-build/jobs/j1?cas=" + std::to_string(index + 7),
                                       R"({"Items":{"state":"X"}})");
  EXPECT_EQ(stale.status, 409u);
  const HttpResult ok = client_.put("/v1/var/nomad-build/jobs/j1?cas=" + std::to_string(index),
                                    R"({"Items":{"state":"BUILDING"}})");
  EXPECT_EQ(ok.status, 200u);
  EXPECT_GT(ok.json().at("ModifyIndex").to_number<std::uint64_t>(), index);
  EXPECT_EQ(client_.get("/v1/var/nomad-build/jobs/j1").json().at("Items").at("state").as_string(),
            "BUILDING");
  EXPECT_EQ(client_.put("/v1/var/nomad-build/jobs/j2?cas=0", R"({"Items":{"a":"b"}})").status, 200u);

  EXPECT_EQ(client_.put("/v1/var/x", R"({"Items":{}})").body, "variable missing required Items object");
  EXPECT_EQ(client_.put("/v1/var/x?cas=abc", R"({"Items":{"a":"b"}})").body,
            "can not parse cas: strconv.ParseUint: parsing \"abc\": invalid syntax");
  const json::array listed = client_.get("/v1/vars?prefix=nomad-build/").json().as_array();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_FALSE(listed[0].as_object().contains("Items"));
}

TEST_F(Vars, Checklist09_DeleteIs204AndCasChecked) {
  const std::uint64_t index =
      client_.put("/v1/var/d", R"({"Items":{"a":"b"}})").json().at("ModifyIndex").to_number<std::uint64_t>();
  EXPECT_EQ(client_.del("/v1/var/d?cas=" + std::to_string(index + 1)).status, 409u);
  const HttpResult gone = client_.del("/v1/var/d?cas=" + std::to_string(index));
  EXPECT_EQ(gone.status, 204u);
  EXPECT_EQ(gone.body, "");
  EXPECT_FALSE(gone.header("x-nomad-index").empty());
  EXPECT_EQ(client_.get("/v1/var/d").status, 404u);
}

TEST_F(Vars, Checklist09_LockAcquireTwiceRenewRelease) {
  const HttpResult first =
      client_.put("/v1/var/locks/leader?lock-acquire", R"({"Lock":{"TTL":"15s","LockDelay":"20s"}})");
  ASSERT_EQ(first.status, 200u) << first.body;
  const json::object lock = first.json().at("Lock").as_object();
  EXPECT_EQ(lock.at("TTL").as_string(), "15s");
  EXPECT_EQ(lock.at("LockDelay").as_string(), "20s");
  const std::string id(lock.at("ID").as_string());
  EXPECT_EQ(id.size(), 36u);

  const HttpResult second = client_.put("/v1/var/locks/leader?lock-acquire", R"({"Lock":{"TTL":"15s"}})");
  EXPECT_EQ(second.status, 409u);
  EXPECT_EQ(second.json().at("Lock").at("ID").as_string(), id);

  EXPECT_EQ(client_.put("/v1/var/locks/leader", R"({"Items":{"a":"b"}})").status,
            409u);  // locked, no lock ID
  EXPECT_EQ(client_.put("/v1/var/locks/leader?lock-acquire&lock-release", "{}").body,
            "multiple lock operations");
  EXPECT_EQ(client_.put("/v1/var/locks/leader?lock-renew&cas=3", "{}").body,
            "CAS can't be used with lock operations");

  const HttpResult renew =
      client_.put("/v1/var/locks/leader?lock-renew", R"({"Lock":{"ID":")" + id + R"("}})");
  EXPECT_EQ(renew.status, 200u);
  EXPECT_FALSE(renew.json().as_object().contains("Items"));
  EXPECT_EQ(client_.put("/v1/var/locks/leader?lock-renew", R"({"Lock":{"ID":"wrong"}})").status, 409u);
  EXPECT_EQ(
      client_.put("/v1/var/locks/leader?lock-release", R"({"Items":{"a":"b"},"Lock":{"ID":")" + id + R"("}})")
          .body,
      "lock release operation doesn't take variable items");
  const HttpResult released =
      client_.put("/v1/var/locks/leader?lock-release", R"({"Lock":{"ID":")" + id + R"("}})");
  EXPECT_EQ(released.status, 200u);
  EXPECT_FALSE(released.json().as_object().contains("Lock"));
  const HttpResult unlocked =
      client_.put("/v1/var/locks/leader?lock-renew", R"({"Lock":{"ID":")" + id + R"("}})");
  EXPECT_EQ(unlocked.status, 409u);
  EXPECT_EQ(unlocked.body, "variable doesn't hold a lock");
  const HttpResult again = client_.put("/v1/var/locks/leader?lock-acquire", R"({"Lock":{"TTL":"1m"}})");
  EXPECT_EQ(again.status, 200u);
  EXPECT_EQ(again.json().at("Lock").at("TTL").as_string(), "1m0s");
  EXPECT_EQ(again.json().at("Lock").at("LockDelay").as_string(), "15s");
}

TEST_F(Vars, BlockingReadOfVariableWakesOnWrite) {
  const std::uint64_t index =
      client_.put("/v1/var/w", R"({"Items":{"n":"1"}})").json().at("ModifyIndex").to_number<std::uint64_t>();
  auto blocked = std::async(std::launch::async, [&] {
    return client_.get("/v1/var/w?index=" + std::to_string(index) + "&wait=10s");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  client_.put("/v1/var/w", R"({"Items":{"n":"2"}})");
  EXPECT_EQ(blocked.get().json().at("Items").at("n").as_string(), "2");
}

}  // namespace
}  // namespace nbs::nomad_sim::test
