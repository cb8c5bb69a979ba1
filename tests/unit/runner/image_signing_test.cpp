// Simple signing of published tags: the payload containers/image expects, the lookaside layout, gpg's
// command lines, and a real gpg signing with a throwaway key (the integration test verifies with skopeo).
#include "runner/image_signing.hpp"

#include <algorithm>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "tests/unit/runner/testutil.hpp"

namespace nbs::runner {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using nbs::testing::TempDir;

const std::string k_digest = "sha256:" + std::string(64, 'a');

TEST(ImageSigningTest, PayloadHasTheFieldsContainersImageRequires) {
  const auto v =
      json::parse(signature_payload("127.0.0.1:5000/team/app:v1", k_digest, "nbs-runner 1.2", 1765000000));
  const auto& critical = v.at("critical").as_object();
  EXPECT_EQ(critical.size(), 3u);  // containers/image refuses unknown critical fields
  EXPECT_EQ(critical.at("type").as_string(), "atomic container signature");
  EXPECT_EQ(critical.at("identity").at("docker-reference").as_string(), "127.0.0.1:5000/team/app:v1");
  EXPECT_EQ(critical.at("image").at("docker-manifest-digest").as_string(), k_digest);
  EXPECT_EQ(v.at("optional").at("creator").as_string(), "nbs-runner 1.2");
  EXPECT_EQ(v.at("optional").at("timestamp").as_int64(), 1765000000);
}

TEST(ImageSigningTest, CreatorNamesTheRunner) {
  EXPECT_TRUE(signature_creator().starts_with("nbs-runner")) << signature_creator();
}

TEST(ImageSigningTest, LookasideDirIsRepositoryAtDigestWithEquals) {
  auto dir = lookaside_dir("/srv/sigstore", "team/app", k_digest);
  ASSERT_TRUE(dir) << dir.error().message;
  EXPECT_EQ(dir->string(), "/srv/sigstore/team/app@sha256=" + std::string(64, 'a'));
}

TEST(ImageSigningTest, LookasideDirRefusesWhatCouldLeaveTheStore) {
  for (const std::string repo :
       {"../etc", "team/../../x", "/abs", "team//app", "Team/App", "team/app/", ""}) {
    EXPECT_FALSE(lookaside_dir("/srv/s", repo, k_digest)) << repo;
  }
  for (const std::string& digest :
       std::vector<std::string>{"sha256:abc", "sha512:" + std::string(64, 'a'),
                                "sha256:" + std::string(63, 'a') + "/", "sha256:" + std::string(64, 'A')}) {
    EXPECT_FALSE(lookaside_dir("/srv/s", "team/app", digest)) << digest;
  }
}

TEST(ImageSigningTest, NextSignatureFileIsTheFirstGap) {
  TempDir tmp;
  EXPECT_EQ(next_signature_file(tmp.path()).filename(), "signature-1");
  tmp.write("signature-1", "x");
  tmp.write("signature-2", "x");
  EXPECT_EQ(next_signature_file(tmp.path()).filename(), "signature-3");
}

TEST(ImageSigningTest, FingerprintIsTheSecretKeysNotASubkeysOrAPublicOnes) {
  const std::string colons =
      "pub:u:2048:1:AAAA:1:::u:::scESC:::::::23::0:\n"
      "fpr:::::::::1111111111111111111111111111111111111111:\n"
      "sec:u:2048:1:1D66D9F2288847CF:1765000000:::u:::scESC:::+:::23::0:\n"
      "fpr:::::::::A5DB4C40E0365525F947A55C1D66D9F2288847CF:\n"
      "grp:::::::::0123:\n"
      "ssb:u:2048:1:BBBB:1::::::e:::+:::23:\n"
      "fpr:::::::::2222222222222222222222222222222222222222:\n";
  EXPECT_EQ(first_secret_fingerprint(colons), "A5DB4C40E0365525F947A55C1D66D9F2288847CF");
  EXPECT_EQ(first_secret_fingerprint("pub:u:2048\nfpr:::::::::1111:\n"), std::nullopt);
  EXPECT_EQ(first_secret_fingerprint(""), std::nullopt);
}

TEST(ImageSigningTest, GpgCommandsUseTheJobsHomeInBatchMode) {
  const auto sign = gpg_sign_argv("/tmp/h", "FPR", "/tmp/h/p", "/tmp/h/s");
  const std::vector<std::string> want = {
      "gpg",   "--homedir",    "/tmp/h", "--batch",  "--no-tty", "--pinentry-mode", "loopback",
      "--yes", "--local-user", "FPR",    "--output", "/tmp/h/s", "--sign",          "/tmp/h/p"};
  EXPECT_EQ(sign, want);
  EXPECT_EQ(
      gpg_import_argv("/tmp/h", "/k"),
      (std::vector<std::string>{"gpg", "--homedir", "/tmp/h", "--batch", "--no-tty", "--import", "/k"}));
  EXPECT_EQ(gpgconf_kill_argv("/tmp/h"),
            (std::vector<std::string>{"gpgconf", "--homedir", "/tmp/h", "--kill", "all"}));
}

// A throwaway key made with real gpg in its own home; its agent is stopped at the end.
class GpgKey {
 public:
  explicit GpgKey(const TempDir& tmp) : home_(tmp.path() / "keyhome") {
    fs::create_directories(home_);
    fs::permissions(home_, fs::perms::owner_all, fs::perm_options::replace);
    const auto params = tmp.write("params",
                                  "%no-protection\nKey-Type: RSA\nKey-Length: 2048\nKey-Usage: sign\n"
                                  "Name-Real: NBS Unit Signer\nExpire-Date: 0\n%commit\n");
    ok_ = run({"gpg", "--homedir", home_.string(), "--batch", "--gen-key", params.string()}).status.success();
    secret_ = tmp.path() / "secret.gpg";
    public_ = tmp.path() / "public.gpg";
    ok_ = ok_ && run({"gpg", "--homedir", home_.string(), "--batch", "--output", secret_.string(),
                      "--export-secret-keys"})
                     .status.success();
    ok_ =
        ok_ && run({"gpg", "--homedir", home_.string(), "--batch", "--output", public_.string(), "--export"})
                   .status.success();
  }
  ~GpgKey() { run(gpgconf_kill_argv(home_.string())); }

  static Captured run(std::vector<std::string> argv) {
    auto r = capture_process(Command{.argv = std::move(argv)});
    return r ? *r : Captured{};
  }

  bool ok() const { return ok_; }
  const fs::path& home() const { return home_; }
  const fs::path& secret() const { return secret_; }
  const fs::path& public_key() const { return public_; }

 private:
  fs::path home_, secret_, public_;
  bool ok_ = false;
};

TEST(ImageSigningTest, SignsWithARealKeyIntoNumberedLookasideFiles) {
  TempDir tmp;
  GpgKey key(tmp);
  ASSERT_TRUE(key.ok());
  const fs::path store = tmp.path() / "store";
  std::string home;
  {
    auto signer = ImageSigner::open(key.secret().string(), tmp.path(), "nbs-runner test", {});
    ASSERT_TRUE(signer) << signer.error().message;
    EXPECT_EQ(signer->fingerprint().size(), 40u);
    auto first = signer->sign(store, "127.0.0.1:5000/team/app:v1", "team/app", k_digest, 1765000000, {});
    ASSERT_TRUE(first) << first.error().message;
    auto second = signer->sign(store, "127.0.0.1:5000/team/app:v2", "team/app", k_digest, 1765000001, {});
    ASSERT_TRUE(second) << second.error().message;
    const fs::path dir = store / ("team/app@sha256=" + std::string(64, 'a'));
    EXPECT_EQ(*first, dir / "signature-1");
    EXPECT_EQ(*second, dir / "signature-2");
    struct stat st {};
    ASSERT_EQ(::stat(first->c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);  // verifiers read the store as other users
    EXPECT_EQ(std::count_if(fs::directory_iterator(dir), fs::directory_iterator(),
                            [](const auto&) { return true; }),
              2);  // no temporary file left behind

    // The signature is a binary OpenPGP message whose content is the payload for v2, made by this key.
    auto verified = GpgKey::run({"gpg", "--homedir", key.home().string(), "--batch", "--status-fd", "2",
                                 "--decrypt", second->string()});
    ASSERT_TRUE(verified.status.success()) << verified.err;
    EXPECT_NE(verified.out.find("\"docker-reference\":\"127.0.0.1:5000/team/app:v2\""), std::string::npos)
        << verified.out;
    EXPECT_NE(verified.err.find("VALIDSIG " + signer->fingerprint()), std::string::npos) << verified.err;
    fs::directory_iterator it(tmp.path());
    for (const auto& e : it) {
      if (e.path().filename().string().starts_with("nbs-gpg-")) {
        home = e.path().string();
      }
    }
    ASSERT_FALSE(home.empty());
  }
  EXPECT_FALSE(fs::exists(home)) << "the private GNUPGHOME outlived the signer";
}

TEST(ImageSigningTest, APublicKeyOrJunkCannotSign) {
  TempDir tmp;
  GpgKey key(tmp);
  ASSERT_TRUE(key.ok());
  auto pub = ImageSigner::open(key.public_key().string(), tmp.path(), "t", {});
  ASSERT_FALSE(pub);
  EXPECT_NE(pub.error().message.find("no secret key"), std::string::npos) << pub.error().message;
  auto junk = ImageSigner::open(tmp.write("junk", "not a key\n").string(), tmp.path(), "t", {});
  ASSERT_FALSE(junk);
  EXPECT_NE(junk.error().message.find("sign.key_ref: importing the key"), std::string::npos)
      << junk.error().message;
  // Neither left a GNUPGHOME behind.
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    EXPECT_FALSE(e.path().filename().string().starts_with("nbs-gpg-")) << e.path();
  }
}

}  // namespace
}  // namespace nbs::runner
