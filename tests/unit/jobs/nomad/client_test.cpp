#include <gtest/gtest.h>

#include "common/base64.hpp"
#include "jobs/nomad/config.hpp"
#include "jobs/nomad/errors.hpp"
#include "jobs/nomad/jobs.hpp"
#include "jobs/nomad/retry.hpp"
#include "jobs/nomad/status.hpp"
#include "jobs/nomad/variables.hpp"
#include "tests/unit/jobs/nomad/testutil.hpp"

namespace nbs::jobs::nomad {
namespace {

using testing::Harness;

TEST(NomadErrors, StatusCodesMapToKinds) {
  EXPECT_EQ(nomad_error(400, "Invalid wait time", "GET", "/v1/jobs").kind, ErrorKind::invalid_argument);
  EXPECT_EQ(nomad_error(403, "Permission denied", "GET", "/v1/jobs").kind, ErrorKind::unauthorized);
  EXPECT_EQ(nomad_error(404, "job not found", "GET", "/v1/job/x").kind, ErrorKind::not_found);
  EXPECT_EQ(nomad_error(409, "", "PUT", "/v1/var/a").kind, ErrorKind::conflict);
  EXPECT_EQ(nomad_error(503, "", "GET", "/v1/jobs").kind, ErrorKind::unavailable);
  EXPECT_EQ(nomad_error(500, "rpc error: EOF", "GET", "/v1/jobs").kind, ErrorKind::unavailable);
}

TEST(NomadErrors, ValidationFailuresOnWritesAreTheCallersFault) {
  Error e = nomad_error(500, "1 error occurred:\n\t* Missing job task groups\n\n", "PUT", "/v1/jobs");
  EXPECT_EQ(e.kind, ErrorKind::invalid_argument);
  EXPECT_EQ(e.message, "nomad: PUT /v1/jobs: 500 1 error occurred: * Missing job task groups");
  EXPECT_EQ(nomad_error(500, "No cluster leader", "PUT", "/v1/jobs").kind, ErrorKind::unavailable);
  Error cas = nomad_error(500, "Enforcing job modify index 0: job already exists", "PUT", "/v1/jobs");
  EXPECT_EQ(cas.kind, ErrorKind::conflict);
}

TEST(NomadConfig, DefaultsWithoutEnvironment) {
  auto c = config_from_env({});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address, "http://127.0.0.1:4646");
  EXPECT_TRUE(c->token.empty());
  EXPECT_EQ(c->tls.verify, TlsVerify::peer);
}

TEST(NomadConfig, ReadsTheCliVariables) {
  auto c = config_from_env({{"NOMAD_ADDR", "https://nomad.example:4646/"},
                            {"NOMAD_TOKEN", "secret"},
                            {"NOMAD_NAMESPACE", "builds"},
                            {"NOMAD_REGION", "eu"},
                            {"NOMAD_CACERT", "/etc/ca.pem"},
                            {"NOMAD_CLIENT_CERT", "/etc/cli.pem"},
                            {"NOMAD_CLIENT_KEY", "/etc/cli-key.pem"},
                            {"NOMAD_TLS_SERVER_NAME", "server.global.nomad"},
                            {"NOMAD_SKIP_VERIFY", "true"},
                            {"NOMAD_HTTP_AUTH", "u:p"},
                            {"UNRELATED", "x"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->address, "https://nomad.example:4646");
  EXPECT_EQ(c->token, "secret");
  EXPECT_EQ(c->namespace_name, "builds");
  EXPECT_EQ(c->region, "eu");
  EXPECT_EQ(c->tls.ca_file, "/etc/ca.pem");
  EXPECT_EQ(c->tls.client_cert, "/etc/cli.pem");
  EXPECT_EQ(c->tls.client_key, "/etc/cli-key.pem");
  EXPECT_EQ(c->tls.server_name, "server.global.nomad");
  EXPECT_EQ(c->tls.verify, TlsVerify::none);
  EXPECT_EQ(c->http_auth, "u:p");
}

TEST(NomadConfig, EmptyValuesCountAsUnset) {
  auto c = config_from_env({{"NOMAD_ADDR", ""}, {"NOMAD_SKIP_VERIFY", ""}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address, "http://127.0.0.1:4646");
}

TEST(NomadConfig, BadValuesNameTheVariable) {
  auto bad_addr = config_from_env({{"NOMAD_ADDR", "127.0.0.1:4646"}});
  ASSERT_FALSE(bad_addr);
  EXPECT_EQ(bad_addr.error().message, "NOMAD_ADDR: expected http(s)://host[:port], got \"127.0.0.1:4646\"");
  auto bad_bool = config_from_env({{"NOMAD_SKIP_VERIFY", "yes"}});
  ASSERT_FALSE(bad_bool);
  EXPECT_EQ(bad_bool.error().message, "NOMAD_SKIP_VERIFY: not a boolean: \"yes\"");
}

TEST(NomadRetry, BackoffDoublesUpToTheCap) {
  RetryPolicy p{.max_attempts = 10,
                .initial_delay = std::chrono::milliseconds(100),
                .max_delay = std::chrono::milliseconds(1000)};
  EXPECT_EQ(backoff_delay(p, 1).count(), 100);
  EXPECT_EQ(backoff_delay(p, 2).count(), 200);
  EXPECT_EQ(backoff_delay(p, 4).count(), 800);
  EXPECT_EQ(backoff_delay(p, 5).count(), 1000);
  EXPECT_EQ(backoff_delay(p, 30).count(), 1000);
}

TEST(NomadClient, RequestsCarryTokenNamespaceRegionAndBlockingParameters) {
  Config config;
  config.token = "tok";
  config.namespace_name = "builds";
  config.region = "eu";
  Harness h(config);
  h.transport->answer(
      200, "[]", {{"X-Nomad-Index", "42"}, {"X-Nomad-KnownLeader", "true"}, {"X-Nomad-LastContact", "7"}});
  Jobs jobs(h.client);
  auto listed = jobs.list({.index = 41, .wait = std::chrono::seconds(5), .prefix = "nbs-a/b"});
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(listed->meta.last_index, 42u);
  EXPECT_TRUE(listed->meta.known_leader);
  EXPECT_EQ(listed->meta.last_contact.count(), 7);
  ASSERT_EQ(h.transport->requests.size(), 1u);
  const auto& r = h.transport->requests[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url,
            "http://127.0.0.1:4646/v1/"
            "jobs?meta=true&index=41&wait=5000ms&prefix=nbs-a%2Fb&namespace=builds&region=eu");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"X-Nomad-Token", "tok"}));
  // A blocking query must outlast its wait (plus Nomad's jitter of wait/16).
  EXPECT_GE(r.timeouts.read, std::chrono::milliseconds(5000 + 5000 / 16));
}

TEST(NomadClient, JobIdsWithSlashesAreEscaped) {
  Harness h;
  h.transport->answer(200, R"({"ID":"p/dispatch-1","Status":"dead","TaskGroups":[{"Name":"g"}]})");
  Jobs jobs(h.client);
  auto info = jobs.info("p/dispatch-1");
  ASSERT_TRUE(info);
  EXPECT_EQ(h.transport->requests[0].url, "http://127.0.0.1:4646/v1/job/p%2Fdispatch-1");
  EXPECT_EQ(info->value.task_groups, std::vector<std::string>{"g"});
}

TEST(NomadClient, ReadsAreRetriedWithBackoffOnServerErrors) {
  Harness h;
  h.transport->answer(500, "No cluster leader");
  h.transport->answer(503, "");
  h.transport->answer(200, "\"127.0.0.1:4647\"");
  StatusApi status(h.client);
  auto leader = status.leader();
  ASSERT_TRUE(leader) << leader.error().message;
  EXPECT_EQ(*leader, "127.0.0.1:4647");
  EXPECT_EQ(h.transport->requests.size(), 3u);
  ASSERT_EQ(h.sleeps.size(), 2u);
  EXPECT_EQ(h.sleeps[0].count(), 200);
  EXPECT_EQ(h.sleeps[1].count(), 400);
}

TEST(NomadClient, ReadsGiveUpAfterTheLastAttempt) {
  Config config;
  config.retry.max_attempts = 3;
  Harness h(config);
  h.transport->fail(make_error(ErrorKind::unavailable, "refused"));
  h.transport->fail(make_error(ErrorKind::unavailable, "refused"));
  h.transport->fail(make_error(ErrorKind::timeout, "slow"));
  StatusApi status(h.client);
  auto leader = status.leader();
  ASSERT_FALSE(leader);
  EXPECT_EQ(leader.error().kind, ErrorKind::timeout);
  EXPECT_EQ(h.transport->requests.size(), 3u);
}

TEST(NomadClient, NotFoundIsNotRetried) {
  Harness h;
  h.transport->answer(404, "job not found");
  Jobs jobs(h.client);
  auto info = jobs.info("nope");
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::not_found);
  EXPECT_EQ(info.error().message, "nomad: GET /v1/job/nope: 404 job not found");
  EXPECT_EQ(h.transport->requests.size(), 1u);
}

TEST(NomadClient, WritesAreNeverRetried) {
  Harness h;
  h.transport->answer(503, "busy");
  Jobs jobs(h.client);
  auto r = jobs.register_job(Job{.id = "j"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(h.transport->requests.size(), 1u);
}

TEST(NomadClient, EnforceRegisterSendsTheIndexAndReportsAClashAsConflict) {
  Harness h;
  h.transport->answer(500, "Enforcing job modify index 0: job already exists");
  Jobs jobs(h.client);
  auto r = jobs.enforce_register(Job{.id = "nbs-x-build"}, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  const auto& body = h.transport->requests[0].body;
  EXPECT_NE(body.find("\"EnforceIndex\":true"), std::string::npos);
  EXPECT_NE(body.find("\"JobModifyIndex\":0"), std::string::npos);
  EXPECT_EQ(h.transport->requests[0].method, "PUT");
}

TEST(NomadClient, DeregisterWithPurge) {
  Harness h;
  h.transport->answer(200, R"({"EvalID":"e1","EvalCreateIndex":9,"JobModifyIndex":9})",
                      {{"X-Nomad-Index", "9"}});
  Jobs jobs(h.client);
  auto r = jobs.deregister("j", Purge::yes);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->eval_id, "e1");
  EXPECT_EQ(r->meta.last_index, 9u);
  EXPECT_EQ(h.transport->requests[0].url, "http://127.0.0.1:4646/v1/job/j?purge=true");
  EXPECT_EQ(h.transport->requests[0].method, "DELETE");
}

TEST(NomadVariables, CasConflictHandsBackTheCurrentValue) {
  Harness h;
  h.transport->answer(
      409, R"({"Namespace":"default","Path":"nomad-build/jobs/a","ModifyIndex":12,"Items":{"k":"v2"}})");
  Variables vars(h.client);
  std::optional<Variable> current;
  auto w = vars.write(Variable{.path = "nomad-build/jobs/a", .items = {{"k", "v3"}}}, 11, {}, &current);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind, ErrorKind::conflict);
  ASSERT_TRUE(current);
  EXPECT_EQ(current->modify_index, 12u);
  EXPECT_EQ(current->items.at("k"), "v2");
  EXPECT_EQ(h.transport->requests[0].url, "http://127.0.0.1:4646/v1/var/nomad-build/jobs/a?cas=11");
}

TEST(NomadVariables, LockTtlsAreGoDurationStrings) {
  Harness h;
  h.transport->answer(200, R"({"Path":"l","Lock":{"ID":"abc","TTL":"15s","LockDelay":"10s"}})");
  Variables vars(h.client);
  auto v = vars.lock_acquire("l", std::chrono::seconds(15), std::chrono::seconds(10));
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->lock);
  EXPECT_EQ(v->lock->id, "abc");
  EXPECT_EQ(h.transport->requests[0].url, "http://127.0.0.1:4646/v1/var/l?lock-acquire");
  EXPECT_NE(h.transport->requests[0].body.find(R"("Lock":{"TTL":"15s","LockDelay":"10s"})"),
            std::string::npos);
}

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    bytes += static_cast<char>(i * 37);
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, bytes);
  }
  EXPECT_EQ(base64_encode("hi\n"), "aGkK");
  EXPECT_FALSE(base64_decode("aGk"));
  EXPECT_FALSE(base64_decode("a=Gk"));
}

}  // namespace
}  // namespace nbs::jobs::nomad
