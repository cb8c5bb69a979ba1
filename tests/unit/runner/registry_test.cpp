#include <deque>

#include <gtest/gtest.h>

#include "runner/exit_code.hpp"
#include "runner/registry/auth_file.hpp"
#include "runner/registry/image_ref.hpp"
#include "runner/registry/registries_conf.hpp"
#include "runner/registry/registry_client.hpp"
#include "runner/registry/www_authenticate.hpp"
#include "runner/result_file.hpp"
#include "tests/unit/runner/testutil.hpp"

namespace nbs::runner::registry {
namespace {

TEST(WwwAuthenticateTest, ParsesBearerAndBasicChallenges) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull,push")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c->param("service"), "registry.docker.io");
  EXPECT_EQ(c->param("scope"), "repository:library/ubuntu:pull,push");
  auto b = parse_www_authenticate(R"(Basic realm="basic-realm")");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scheme, "basic");
  EXPECT_EQ(b->param("realm"), "basic-realm");
  auto spaced =
      parse_www_authenticate(R"(  bearer  Realm = "https://ghcr.io/token" , service=ghcr.io , scope="a\"b")");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->param("realm"), "https://ghcr.io/token");
  EXPECT_EQ(spaced->param("service"), "ghcr.io");
  EXPECT_EQ(spaced->param("scope"), "a\"b");
  EXPECT_FALSE(parse_www_authenticate(""));
  EXPECT_FALSE(parse_www_authenticate(R"(Bearer realm="unterminated)"));
}

TEST(AuthFileTest, FindsCredentialsByHostAndPathPrefix) {
  // "dTpw" = base64("u:p"), "dGVhbTpzM2NyZXQ6eA==" = base64("team:s3cret:x").
  auto f = AuthFile::parse(R"({"auths":{
      "https://index.docker.io/v1/":{"auth":"dTpw"},
      "ghcr.io":{"auth":"dTpw"},
      "ghcr.io/team":{"auth":"dGVhbTpzM2NyZXQ6eA=="},
      "127.0.0.1:5000":{"auth":"dTpw","identitytoken":"refresh-tok"}}})",
                           "auth.json");
  ASSERT_TRUE(f) << f.error().message;
  auto team = f->find("ghcr.io", "team/app");
  ASSERT_TRUE(team);
  EXPECT_EQ(team->username, "team");
  EXPECT_EQ(team->password, "s3cret:x");
  EXPECT_EQ(f->find("ghcr.io", "other/app")->username, "u");
  EXPECT_EQ(f->find("index.docker.io", "library/x")->password, "p");
  EXPECT_EQ(f->find("127.0.0.1:5000")->identity_token, "refresh-tok");
  EXPECT_FALSE(f->find("quay.io", "x"));
  auto secrets = f->secrets();
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "s3cret:x"), secrets.end());
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "dGVhbTpzM2NyZXQ6eA=="), secrets.end());
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "refresh-tok"), secrets.end());
}

TEST(AuthFileTest, ErrorsNameTheFileAndEntry) {
  EXPECT_EQ(AuthFile::parse("[1]", "/s/auth.json").error().message, "/s/auth.json: not a JSON object");
  EXPECT_EQ(AuthFile::parse(R"({"auths":{"r":{"auth":"bm9jb2xvbg=="}}})", "/s/auth.json").error().message,
            "/s/auth.json: auths.r.auth: must be base64 of user:password");
  EXPECT_EQ(AuthFile::load("/nonexistent/auth.json").error().message,
            "credentials.registry_auth_file: cannot read /nonexistent/auth.json");
  EXPECT_TRUE(AuthFile::parse("{}", "x")->empty());
  EXPECT_EQ(normalise_auth_key("http://r.example.com:5000/v2/"), "r.example.com:5000");
}

TEST(ImageRefTest, ParsesHostPortRepositoryTagAndDigest) {
  auto r = ImageRef::parse("127.0.0.1:5000/team/app:tmp-1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->registry, "127.0.0.1:5000");
  EXPECT_EQ(r->repository, "team/app");
  EXPECT_EQ(r->tag, "tmp-1");
  std::string digest = "sha256:" + std::string(64, 'a');
  auto d = ImageRef::parse("ghcr.io/x/y@" + digest);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tag, "");
  EXPECT_EQ(d->reference(), digest);
  EXPECT_EQ(ImageRef::parse("r.io/app")->tag, "latest");
  EXPECT_EQ(ImageRef::parse("app:1").error().message, "image reference app:1: needs a registry host");
  EXPECT_EQ(r->str(), "127.0.0.1:5000/team/app:tmp-1");
}

TEST(RegistriesConfTest, ReadsInsecureLocations) {
  auto conf = parse_registries_conf(R"(unqualified-search-registries = []
[[registry]]
location = "127.0.0.1:5000"
insecure = true
[[registry]]
location = "secure.example.com"
[[registry]]
location = 'localhost:5001'  # comment
insecure = true
[other]
location = "not-a-registry"
insecure = true
)");
  EXPECT_EQ(conf.hosts, (std::set<std::string>{"127.0.0.1:5000", "localhost:5001"}));
}

// Answers requests from a script and records them.
class FakeTransport : public HttpTransport {
 public:
  std::deque<HttpResponse> answers;
  std::vector<HttpRequest> sent;

  Result<HttpResponse> send(const HttpRequest& request, const BodySink* sink) override {
    sent.push_back(request);
    if (answers.empty()) {
      return make_error(ErrorKind::unavailable, "no scripted answer");
    }
    auto r = answers.front();
    answers.pop_front();
    if (sink != nullptr && r.status / 100 == 2) {
      if (auto s = (*sink)(r.body); !s) {
        return s.error();
      }
      r.body.clear();
    }
    return r;
  }
};

std::string auth_header(const HttpRequest& r) {
  for (const auto& [k, v] : r.headers) {
    if (k == "Authorization") {
      return v;
    }
  }
  return "";
}

TEST(RegistryClientTest, BearerChallengeFetchesATokenWithBasicCredentialsAndRetries) {
  FakeTransport http;
  std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:c","size":2},"layers":[{"digest":"sha256:l","size":40}]})";
  http.answers.push_back(
      {401, {{"WWW-Authenticate", R"(Bearer realm="https://auth.example.com/token",service="reg")"}}, ""});
  http.answers.push_back({200, {}, R"({"token":"tok-1"})"});
  http.answers.push_back({200, {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}}, body});
  auto auth = AuthFile::parse(R"({"auths":{"reg.example.com":{"auth":"dTpw"}}})", "a");
  RegistryClient client(http, http, *auth, {});
  auto m = client.get_manifest(*ImageRef::parse("reg.example.com/team/app:1"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->digest, sha256_digest(body));
  ASSERT_EQ(http.sent.size(), 3u);
  EXPECT_EQ(http.sent[0].url, "https://reg.example.com/v2/team/app/manifests/1");
  EXPECT_EQ(http.sent[1].url,
            "https://auth.example.com/token?service=reg&scope=repository%3Ateam%2Fapp%3Apull");
  EXPECT_EQ(auth_header(http.sent[1]), "Basic dTpw");
  EXPECT_EQ(auth_header(http.sent[2]), "Bearer tok-1");
  auto blobs = m->blobs();
  ASSERT_TRUE(blobs);
  ASSERT_EQ(blobs->size(), 2u);
  EXPECT_EQ((*blobs)[1].size, 40);
}

TEST(RegistryClientTest, MountUsesInsecureHttpAndFallsBackWhenDeclined) {
  FakeTransport http;
  http.answers.push_back({201, {}, ""});
  http.answers.push_back({202, {{"Location", "http://127.0.0.1:5000/v2/to/blobs/uploads/u1"}}, ""});
  http.answers.push_back({204, {}, ""});
  InsecureRegistries insecure{{"127.0.0.1:5000"}};
  RegistryClient client(http, http, {}, insecure);
  auto mounted = client.mount_blob("127.0.0.1:5000", "to/repo", "from/repo", "sha256:abc");
  ASSERT_TRUE(mounted);
  EXPECT_TRUE(*mounted);
  EXPECT_EQ(http.sent[0].method, "POST");
  EXPECT_EQ(http.sent[0].url,
            "http://127.0.0.1:5000/v2/to/repo/blobs/uploads/?mount=sha256%3Aabc&from=from%2Frepo");
  auto declined = client.mount_blob("127.0.0.1:5000", "to", "from", "sha256:abc");
  ASSERT_TRUE(declined);
  EXPECT_FALSE(*declined);
  EXPECT_EQ(http.sent[2].method, "DELETE");  // the upload the registry opened instead is cancelled
}

TEST(RegistryClientTest, WrongDigestAndMissingManifestAreErrors) {
  FakeTransport http;
  http.answers.push_back({200, {{"Docker-Content-Digest", "sha256:other"}}, "{}"});
  http.answers.push_back({404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN"}]})"});
  RegistryClient client(http, http, {}, {});
  auto bad = client.get_manifest(*ImageRef::parse("r.io/a:1"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "manifest r.io/a:1: digest sha256:other does not match its body");
  auto missing = client.get_manifest(*ImageRef::parse("r.io/a:2"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

TEST(RegistryClientTest, CopyStreamsInChunks) {
  FakeTransport down, up;
  down.answers.push_back({200, {}, std::string(25, 'x')});
  up.answers.push_back({202, {{"Location", "https://dst.io/v2/b/blobs/uploads/u?state=1"}}, ""});
  up.answers.push_back({202, {{"Location", "https://dst.io/v2/b/blobs/uploads/u?state=2"}}, ""});
  up.answers.push_back({201, {}, ""});
  RegistryClient client(down, up, {}, {});
  client.chunk_size = 10;
  auto s = client.copy_blob(*ImageRef::parse("src.io/a:1"), *ImageRef::parse("dst.io/b:1"), "sha256:d");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(up.sent.size(), 3u);
  EXPECT_EQ(up.sent[1].method, "PATCH");
  EXPECT_EQ(up.sent[1].body.size(), 25u);  // the fake delivers the body as one piece
  EXPECT_EQ(up.sent[2].method, "PUT");
  EXPECT_EQ(up.sent[2].url, "https://dst.io/v2/b/blobs/uploads/u?state=2&digest=sha256%3Ad");
}

}  // namespace
}  // namespace nbs::runner::registry

namespace nbs::runner {
namespace {

TEST(ExitCodeTest, TaxonomyIsStable) {
  EXPECT_EQ(to_int(ExitCode::spec_invalid), 2);
  EXPECT_EQ(to_int(ExitCode::git_failed), 10);
  EXPECT_EQ(to_int(ExitCode::build_failed), 11);
  EXPECT_EQ(to_int(ExitCode::push_failed), 12);
  EXPECT_EQ(to_int(ExitCode::publish_failed), 13);
  EXPECT_EQ(to_int(ExitCode::killed), 20);
  EXPECT_EQ(to_int(ExitCode::deadline), 21);
  EXPECT_EQ(to_int(ExitCode::internal), 70);
  EXPECT_EQ(to_string(ExitCode::build_failed), "build_failed");
  EXPECT_EQ(to_string(ExitCode::deadline), "deadline");
}

// An index's entries name their platform (os/arch/variant): a multi-platform build reads its digests so.
TEST(ManifestTest, AnIndexEntryCarriesItsPlatform) {
  registry::Manifest index{
      .media_type = "application/vnd.oci.image.index.v1+json",
      .body = R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": [
                     {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:a",
                      "size": 499, "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
                     {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:b",
                      "size": 499, "platform": {"architecture": "amd64", "os": "linux"}},
                     {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:c",
                      "size": 10}]})"};
  ASSERT_TRUE(index.is_index());
  auto children = index.children();
  ASSERT_TRUE(children) << children.error().message;
  ASSERT_EQ(children->size(), 3u);
  EXPECT_EQ((*children)[0].platform, "linux/arm/v7");
  EXPECT_EQ((*children)[1].platform, "linux/amd64");
  EXPECT_EQ((*children)[1].digest, "sha256:b");
  EXPECT_EQ((*children)[2].platform, "");
}

TEST(ResultFileTest, WritesAtomicallyAndReadsBack) {
  testing::TempDir dir;
  PhaseResult r{.job_id = "j",
                .phase = "build",
                .code = ExitCode::build_failed,
                .error = "RUN failed\nline",
                .digest = "sha256:d",
                .platform_digests = {{"linux/amd64", "sha256:a"}, {"linux/arm/v7", "sha256:b"}},
                .size = 1234,
                .tags = {"r/a:1"},
                .commit = "abc",
                .git_ref = "main",
                .ref_kind = "branch",
                .steps = 4,
                .cached_steps = 2,
                .git_received_objects = 3,
                .git_received_bytes = 900,
                .timings_ms = {{"git", 10}, {"build", 20}}};
  auto path = (dir.path() / "nbs" / "result-build.json").string();
  ASSERT_TRUE(write_result_file(path, r));
  auto text = testing::read_file(path);
  EXPECT_NE(text.find(R"("status":"failed","exit_code":11,"reason":"build_failed")"), std::string::npos)
      << text;
  auto back = parse_phase_result(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, r);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path() / "nbs"), {}),
            1);  // no temp file left
}

}  // namespace
}  // namespace nbs::runner
