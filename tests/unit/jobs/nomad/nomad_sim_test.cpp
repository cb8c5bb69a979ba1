// The Nomad client against tests/nomad_sim: EnforceIndex, blocking queries, a 50 MB log tailed with a
// bounded buffer, Variables CAS and locks, retries through a 500 window, timeouts, tokens, keep-alive.
#include <filesystem>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/http_client.hpp"
#include "jobs/nomad/fs.hpp"
#include "jobs/nomad/jobs.hpp"
#include "jobs/nomad/log_tail.hpp"
#include "jobs/nomad/status.hpp"
#include "jobs/nomad/variables.hpp"
#include "tests/unit/jobs/nomad/sim_server.hpp"

extern char** environ;  // NOLINT: openssl inherits the test environment

namespace nbs::jobs::nomad {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using NomadSim = testing::NomadSimTest;

TEST_F(NomadSim, EnforceIndexTwiceCreatesOnce) {
  auto c = client();
  Jobs jobs(c);
  const Job job = raw_exec_job("nbs-e1-build", "/bin/true", {});
  auto first = jobs.enforce_register(job, 0);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->eval_id.empty());
  auto second = jobs.enforce_register(job, 0);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::conflict) << second.error().message;
  auto listed = jobs.list({.prefix = "nbs-e1-"});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->value.size(), 1u);
  EXPECT_EQ(listed->value[0].job_modify_index, first->job_modify_index);
  auto evals = jobs.evaluations("nbs-e1-build");
  ASSERT_TRUE(evals);
  EXPECT_EQ(evals->value.size(), 1u);  // the clash created no evaluation
}

TEST_F(NomadSim, BlockingQueryReturnsSoonAfterAChange) {
  auto c = client();
  Variables vars(c);
  auto created = vars.write(Variable{.path = "nbs/test/block", .items = {{"v", "1"}}});
  ASSERT_TRUE(created) << created.error().message;
  Clock::time_point written;
  std::thread writer([&] {
    std::this_thread::sleep_for(500ms);
    auto c2 = client();
    Variables v2(c2);
    auto w = v2.write(Variable{.path = "nbs/test/block", .items = {{"v", "2"}}});
    written = Clock::now();
    EXPECT_TRUE(w);
  });
  const auto before = Clock::now();
  auto read = vars.read("nbs/test/block", {.index = created->modify_index, .wait = 10s});
  const auto returned = Clock::now();
  writer.join();
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->value.items.at("v"), "2");
  EXPECT_GT(read->meta.last_index, created->modify_index);
  EXPECT_GE(returned - before, 400ms);
  EXPECT_LT(returned - written, 100ms);
}

TEST_F(NomadSim, BlockingQueryWithoutChangeWaitsForWait) {
  auto c = client();
  Variables vars(c);
  auto created = vars.write(Variable{.path = "nbs/test/idle", .items = {{"v", "1"}}});
  ASSERT_TRUE(created);
  const auto before = Clock::now();
  auto read = vars.read("nbs/test/idle", {.index = created->modify_index, .wait = 1s});
  const auto took = Clock::now() - before;
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->meta.last_index, created->modify_index);
  EXPECT_GE(took, 1s);
  EXPECT_LT(took, 1s + 1s / 16 + 500ms);
}

TEST_F(NomadSim, TailOfA50MbLogHoldsOnlyABoundedBuffer) {
  auto c = client();
  Jobs jobs(c);
  // 7,000,000 numbered lines: about 55 MB, rotated by the simulator across several files.
  ASSERT_TRUE(jobs.register_job(raw_exec_job("nbs-big-build", "/usr/bin/seq", {"1", "7000000"})));
  const Allocation alloc = wait_for_terminal(c, "nbs-big-build", 120s);
  ASSERT_EQ(alloc.client_status, "complete");
  Fs fs(c);
  auto tail = tail_lines(fs, alloc.id, "t", "stdout", {.lines = 100});
  ASSERT_TRUE(tail) << tail.error().message;
  ASSERT_EQ(tail->lines.size(), 100u);
  EXPECT_EQ(tail->lines.front(), "6999901");
  EXPECT_EQ(tail->lines.back(), "7000000");
  EXPECT_FALSE(tail->whole_log);
  EXPECT_EQ(tail->requests, 1);
  EXPECT_LE(tail->peak_buffer, 64u * 1024);
  // 64 KiB of log, base64 in frames: far below the 55 MB on disk.
  EXPECT_LT(tail->bytes_received, 256u * 1024);
  // The log on disk really is that big.
  std::uintmax_t on_disk = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(sim_->dir())) {
    if (e.is_regular_file() && e.path().filename().string().rfind("t.stdout.", 0) == 0) {
      on_disk += e.file_size();
    }
  }
  EXPECT_GE(on_disk, 50u * 1000 * 1000);
}

TEST_F(NomadSim, LogsFramedAndPlainFromTheStart) {
  auto c = client();
  Jobs jobs(c);
  ASSERT_TRUE(jobs.register_job(raw_exec_job("nbs-log-build", "/usr/bin/seq", {"1", "1000"})));
  const Allocation alloc = wait_for_terminal(c, "nbs-log-build");
  Fs fs(c);
  std::string framed;
  auto f = fs.logs({.alloc_id = alloc.id, .task = "t"}, [&](std::string_view b, const LogPosition&) {
    framed += b;
    return true;
  });
  ASSERT_TRUE(f) << f.error().message;
  std::string plain;
  auto p = fs.logs_plain({.alloc_id = alloc.id, .task = "t"}, [&](std::string_view b, const LogPosition&) {
    plain += b;
    return true;
  });
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(framed, plain);
  EXPECT_EQ(framed.substr(0, 4), "1\n2\n");
  EXPECT_EQ(f->position.total, framed.size());
  EXPECT_EQ(f->position.file, "alloc/logs/t.stdout.0");
  auto missing = fs.logs({.alloc_id = alloc.id, .task = "nope"},
                         [](std::string_view, const LogPosition&) { return true; });
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().kind, ErrorKind::internal);
}

TEST_F(NomadSim, StopAndPurge) {
  auto c = client();
  Jobs jobs(c);
  ASSERT_TRUE(jobs.register_job(raw_exec_job("nbs-stop-build", "/bin/sleep", {"60"})));
  auto stopped = jobs.deregister("nbs-stop-build", Purge::no);
  ASSERT_TRUE(stopped) << stopped.error().message;
  auto info = jobs.info("nbs-stop-build");
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->value.stop);
  ASSERT_TRUE(jobs.deregister("nbs-stop-build", Purge::yes));
  auto gone = jobs.info("nbs-stop-build");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::not_found);
}

TEST_F(NomadSim, VariablesCheckAndSet) {
  auto c = client();
  Variables vars(c);
  auto created = vars.write(Variable{.path = "nomad-build/jobs/a", .items = {{"state", "PENDING"}}}, 0);
  ASSERT_TRUE(created) << created.error().message;
  std::optional<Variable> current;
  auto again = vars.write(Variable{.path = "nomad-build/jobs/a", .items = {{"state", "X"}}}, 0, {}, &current);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  ASSERT_TRUE(current);
  EXPECT_EQ(current->modify_index, created->modify_index);
  EXPECT_EQ(current->items.at("state"), "PENDING");
  auto updated = vars.write(Variable{.path = "nomad-build/jobs/a", .items = {{"state", "BUILDING"}}},
                            created->modify_index);
  ASSERT_TRUE(updated) << updated.error().message;
  auto listed = vars.list({.prefix = "nomad-build/"});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->value.size(), 1u);
  EXPECT_EQ(listed->value[0].path, "nomad-build/jobs/a");
  auto stale_delete = vars.remove("nomad-build/jobs/a", created->modify_index);
  ASSERT_FALSE(stale_delete);
  EXPECT_EQ(stale_delete.error().kind, ErrorKind::conflict);
  ASSERT_TRUE(vars.remove("nomad-build/jobs/a", updated->modify_index));
  auto gone = vars.read("nomad-build/jobs/a");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::not_found);
}

TEST_F(NomadSim, VariableLocks) {
  auto c = client();
  Variables vars(c);
  auto held = vars.lock_acquire("nomad-build/locks/img", 10s, 10s);
  ASSERT_TRUE(held) << held.error().message;
  ASSERT_TRUE(held->lock);
  EXPECT_FALSE(held->lock->id.empty());
  EXPECT_EQ(held->lock->ttl, "10s");
  auto other = vars.lock_acquire("nomad-build/locks/img", 10s, 10s);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().kind, ErrorKind::conflict);
  ASSERT_TRUE(vars.lock_renew("nomad-build/locks/img", held->lock->id));
  auto wrong = vars.lock_renew("nomad-build/locks/img", "00000000-0000-0000-0000-000000000000");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().kind, ErrorKind::conflict);
  ASSERT_TRUE(vars.lock_release("nomad-build/locks/img", held->lock->id));
  auto after = vars.lock_renew("nomad-build/locks/img", held->lock->id);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().kind, ErrorKind::conflict);
}

TEST_F(NomadSim, ReadsRideOutA500Window) {
  auto c = client();
  StatusApi status(c);
  ASSERT_TRUE(post_fault(R"({"error_status":500,"error_for":"1s"})"));
  const auto before = Clock::now();
  auto leader = status.leader();
  ASSERT_TRUE(leader) << leader.error().message;
  EXPECT_GE(Clock::now() - before, 800ms);
  Config once;
  once.retry.max_attempts = 1;
  auto single = client(once);
  ASSERT_TRUE(post_fault(R"({"error_status":503,"error_for":"2s"})"));
  StatusApi status1(single);
  auto failed = status1.leader();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::unavailable);
}

TEST_F(NomadSim, SlowAnswersTimeOut) {
  Config config;
  config.timeouts.read = 300ms;
  config.retry.max_attempts = 1;
  auto c = client(config);
  ASSERT_TRUE(post_fault(R"({"latency":"2s","latency_for":"3s"})"));
  StatusApi status(c);
  auto leader = status.leader();
  ASSERT_FALSE(leader);
  EXPECT_EQ(leader.error().kind, ErrorKind::timeout) << leader.error().message;
}

TEST_F(NomadSim, KeepAliveReusesOneConnection) {
  auto http = BlockingHttpClient::create();
  ASSERT_TRUE(http);
  for (int i = 0; i < 5; ++i) {
    auto r = (*http)->request({.url = sim_->address() + "/v1/status/leader"});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->header("X-Nomad-Index"));
  }
  EXPECT_EQ((*http)->stats().connections_opened, 1u);
  EXPECT_EQ((*http)->stats().connections_reused, 4u);
}

TEST_F(NomadSim, BodyCapAndStreaming) {
  auto c = client();
  Jobs jobs(c);
  ASSERT_TRUE(jobs.register_job(raw_exec_job("nbs-cap-build", "/usr/bin/seq", {"1", "100000"})));
  const Allocation alloc = wait_for_terminal(c, "nbs-cap-build");
  auto http = BlockingHttpClient::create();
  const std::string url =
      sim_->address() + "/v1/client/fs/logs/" + alloc.id + "?task=t&type=stdout&plain=true";
  auto capped = (*http)->request({.url = url, .max_body = 1000});
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().kind, ErrorKind::internal);
  std::size_t pieces = 0;
  std::size_t bytes = 0;
  auto streamed = (*http)->stream({.url = url, .max_body = 1000}, [&](std::string_view chunk) -> Status {
    ++pieces;
    bytes += chunk.size();
    return {};
  });
  ASSERT_TRUE(streamed) << streamed.error().message;
  EXPECT_GT(pieces, 1u);
  EXPECT_EQ(bytes, 588895u);  // the digits and newlines of 1..100000
  EXPECT_TRUE(streamed->body.empty());
}

TEST(NomadSimless, ConnectionRefusedIsUnavailable) {
  Config config;
  config.address = "http://127.0.0.1:1";
  config.retry.max_attempts = 2;
  config.retry.initial_delay = 10ms;
  auto c = Client::connect(config);
  ASSERT_TRUE(c);
  StatusApi status(*c);
  auto leader = status.leader();
  ASSERT_FALSE(leader);
  EXPECT_EQ(leader.error().kind, ErrorKind::unavailable);
  EXPECT_NE(leader.error().message.find("connect"), std::string::npos) << leader.error().message;
}

TEST(NomadSimless, BadTlsFilesAreReportedAtConnect) {
  Config config;
  config.address = "https://127.0.0.1:1";
  config.tls.ca_file = "/nonexistent/ca.pem";
  auto c = Client::connect(config);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(c.error().message.rfind("tls.ca_file: cannot load /nonexistent/ca.pem", 0), 0u)
      << c.error().message;
}

// Runs a command from an argv vector and waits; true when it exits 0.
bool run(std::vector<std::string> args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    return false;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// A CA and a server certificate for server.global.nomad and localhost (no IP SAN, as `nomad tls cert
// create` makes them), so connecting to 127.0.0.1 needs the server-name override.
class NomadSimTls : public NomadSim {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("nbs-jobs-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const auto p = [&](const char* f) { return (dir_ / f).string(); };
    ASSERT_TRUE(run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"),
                     "-out", p("ca.pem"), "-days", "1", "-subj", "/CN=nbs test CA"}));
    ASSERT_TRUE(run({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("server.key"), "-out",
                     p("server.csr"), "-subj", "/CN=server.global.nomad", "-addext",
                     "subjectAltName=DNS:server.global.nomad,DNS:localhost"}));
    ASSERT_TRUE(
        run({"openssl", "x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
             "-CAcreateserial", "-out", p("server.pem"), "-days", "1", "-copy_extensions", "copyall"}));
    start({"--tls-cert", p("server.pem"), "--tls-key", p("server.key")});
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
};

TEST_F(NomadSimTls, VerifiesTheServerWithCaAndServerName) {
  Config good;
  good.tls.ca_file = (dir_ / "ca.pem").string();
  good.tls.server_name = "server.global.nomad";
  auto c = client(good);
  StatusApi status(c);
  auto leader = status.leader();
  ASSERT_TRUE(leader) << leader.error().message;

  Config no_name = good;
  no_name.tls.server_name.clear();
  no_name.retry.max_attempts = 1;
  auto c2 = client(no_name);
  StatusApi status2(c2);
  auto mismatch = status2.leader();
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().kind, ErrorKind::unavailable);
  EXPECT_NE(mismatch.error().message.find("tls handshake"), std::string::npos) << mismatch.error().message;

  Config system_store;
  system_store.retry.max_attempts = 1;
  system_store.tls.server_name = "server.global.nomad";
  auto c3 = client(system_store);
  StatusApi status3(c3);
  EXPECT_FALSE(status3.leader());

  Config insecure;
  insecure.tls.verify = TlsVerify::none;
  auto c4 = client(insecure);
  StatusApi status4(c4);
  EXPECT_TRUE(status4.leader());
}

class NomadSimAcl : public NomadSim {
 protected:
  void SetUp() override { start({"--acl-token", "s3cret"}); }
};

TEST_F(NomadSimAcl, TokenIsSentAndRequired) {
  auto anonymous = client();
  Jobs j1(anonymous);
  auto denied = j1.list();
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind, ErrorKind::unauthorized);
  Config config;
  config.token = "s3cret";
  auto authed = client(config);
  Jobs j2(authed);
  EXPECT_TRUE(j2.list());
}

}  // namespace
}  // namespace nbs::jobs::nomad
