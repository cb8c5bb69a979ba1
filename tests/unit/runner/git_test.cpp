#include <filesystem>

#include <gtest/gtest.h>

#include "common/process.hpp"
#include "runner/git_checkout.hpp"
#include "runner/git_mirror.hpp"
#include "tests/unit/runner/testutil.hpp"

namespace nbs::runner {
namespace {

namespace fs = std::filesystem;

// Runs the git CLI in `dir` to make source repositories; the code under test uses only libgit2.
std::string git(const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv{"git",
                                "-c",
                                "user.name=t",
                                "-c",
                                "user.email=t@example.com",
                                "-c",
                                "init.defaultBranch=main",
                                "-c",
                                "protocol.file.allow=always"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = capture_process(Command{.argv = argv, .working_dir = dir.string()});
  EXPECT_TRUE(r && r->status.success()) << format_argv(argv) << ": " << (r ? r->err : r.error().message);
  std::string out = r ? r->out : "";
  while (!out.empty() && out.back() == '\n') {
    out.pop_back();
  }
  return out;
}

class GitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = tmp_.path() / "src";
    fs::create_directories(src_);
    git(src_, {"init", "-q"});
    tmp_.write("src/Dockerfile", "FROM scratch\n");
    tmp_.write("src/app.txt", "v1\n");
    commit("first");
    first_ = git(src_, {"rev-parse", "HEAD"});
    git(src_, {"tag", "v1.0"});
    git(src_, {"tag", "-a", "v1.0-annotated", "-m", "annotated"});
    git(src_, {"checkout", "-q", "-b", "feature"});
    tmp_.write("src/app.txt", "feature\n");
    commit("feature");
    feature_ = git(src_, {"rev-parse", "HEAD"});
    git(src_, {"checkout", "-q", "main"});
    url_ = "file://" + src_.string();
    cache_ = (tmp_.path() / "cache").string();
  }

  void commit(const std::string& message) {
    git(src_, {"add", "-A"});
    git(src_, {"commit", "-q", "-m", message});
  }

  MirrorSync sync(const std::string& ref) {
    auto r = sync_mirror(cache_, url_, ref, control_);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : MirrorSync{};
  }

  GitLibrary library_;
  testing::TempDir tmp_;
  fs::path src_;
  std::string first_, feature_, url_, cache_;
  GitControl control_;
};

TEST_F(GitTest, MirrorPathIsTheSha256OfTheUrl) {
  // sha256("https://example.com/r.git"), as `printf %s URL | sha256sum` prints it.
  auto expected =
      capture_process(Command{.argv = {"/bin/sh", "-c", "printf %s https://example.com/r.git | sha256sum"}});
  ASSERT_TRUE(expected);
  EXPECT_EQ(mirror_path("/c", "https://example.com/r.git"), "/c/git/" + expected->out.substr(0, 64) + ".git");
  EXPECT_NE(mirror_path("/c", "https://example.com/r.git"), mirror_path("/c", "https://example.com/r2.git"));
}

TEST_F(GitTest, SecondFetchTransfersOnlyTheNewObjects) {
  auto first = sync("main");
  EXPECT_TRUE(first.stats.created);
  EXPECT_GE(first.stats.received_objects, 6u);
  EXPECT_EQ(first.ref.commit, first_);
  tmp_.write("src/app.txt", "v2\n");
  commit("second");
  auto second = sync("main");
  EXPECT_FALSE(second.stats.created);
  // libgit2's local (file://) transport re-sends the objects behind tags; smart HTTP sends exactly the
  // new commit, tree and blob (asserted in tests/integration). Here: fewer than everything (11).
  EXPECT_LT(second.stats.received_objects, 11u);
  EXPECT_GE(second.stats.received_objects, 3u);
  EXPECT_EQ(second.ref.commit, git(src_, {"rev-parse", "HEAD"}));
  auto third = sync("main");
  EXPECT_EQ(third.stats.received_objects, 0u);
}

TEST_F(GitTest, ResolvesBranchTagAnnotatedTagAndShas) {
  auto s = sync("main");
  GitRepo repo;
  ASSERT_EQ(git_repository_open_bare(repo.out(), s.path.c_str()), 0);
  struct Case {
    std::string ref, kind, commit;
  };
  for (const auto& c : std::vector<Case>{{"main", "branch", first_},
                                         {"feature", "branch", feature_},
                                         {"v1.0", "tag", first_},
                                         {"v1.0-annotated", "tag", first_},
                                         {feature_, "commit", feature_},
                                         {feature_.substr(0, 10), "commit", feature_},
                                         {first_.substr(0, 7), "commit", first_}}) {
    auto r = resolve_ref(repo.get(), c.ref);
    ASSERT_TRUE(r) << c.ref << ": " << r.error().message;
    EXPECT_EQ(r->kind, c.kind) << c.ref;
    EXPECT_EQ(r->commit, c.commit) << c.ref;
  }
  auto missing = resolve_ref(repo.get(), "no-such-branch");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  EXPECT_EQ(missing.error().message, "git_ref: no-such-branch is no branch, tag or commit in the repository");
}

TEST_F(GitTest, BranchBeatsATagOfTheSameName) {
  git(src_, {"tag", "feature", first_});
  auto s = sync("feature");
  EXPECT_EQ(s.ref.kind, "branch");
  EXPECT_EQ(s.ref.commit, feature_);
}

TEST_F(GitTest, ChecksOutTheTreeWithSubmodules) {
  // A submodule repository, referenced from a new commit of src.
  auto lib = tmp_.path() / "lib";
  fs::create_directories(lib);
  git(lib, {"init", "-q"});
  tmp_.write("lib/lib.txt", "library\n");
  git(lib, {"add", "-A"});
  git(lib, {"commit", "-q", "-m", "lib"});
  git(src_, {"submodule", "add", "-q", "file://" + lib.string(), "vendor/lib"});
  commit("with submodule");
  auto s = sync("main");
  auto work = tmp_.path() / "work" / "src";
  std::vector<std::string> reported;
  auto r = checkout_commit(s.path, url_, s.ref.commit, work.string(), control_,
                           [&](const std::string& path, const std::string&) { reported.push_back(path); });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->submodules, 1);
  EXPECT_EQ(reported, std::vector<std::string>{"vendor/lib"});
  EXPECT_EQ(testing::read_file(work / "app.txt"), "v1\n");
  EXPECT_EQ(testing::read_file(work / "vendor/lib/lib.txt"), "library\n");
  EXPECT_EQ(git(work, {"rev-parse", "HEAD"}), s.ref.commit);

  // A second checkout of another commit replaces the directory.
  auto f = sync("feature");
  ASSERT_TRUE(checkout_commit(f.path, url_, f.ref.commit, work.string(), control_));
  EXPECT_EQ(testing::read_file(work / "app.txt"), "feature\n");
  EXPECT_FALSE(fs::exists(work / "vendor/lib/lib.txt"));
}

TEST_F(GitTest, UnreachableRemoteFailsNamingIt) {
  url_ = "file://" + (tmp_.path() / "nothing-here").string();
  auto r = sync_mirror(cache_, url_, "main", control_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("git fetch " + url_ + ": ", 0), 0u) << r.error().message;
}

TEST_F(GitTest, StopRequestCancelsTheFetch) {
  ProcessStop stop;
  stop.request();
  GitControl control{.stop = &stop};
  auto r = sync_mirror(cache_, url_, "main", control);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::unavailable);
}

TEST(GitCredentialsTest, TokenIsTrimmedAndMissingFilesAreNamed) {
  testing::TempDir tmp;
  auto token = tmp.write("token", "  tok-123456\n");
  auto c = load_git_credentials(RunnerCredentials{.git_token_file = token.string()});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->token, "tok-123456");
  EXPECT_EQ(c->username, "x-access-token");
  auto missing = load_git_credentials(RunnerCredentials{.git_token_file = "/nonexistent/token"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "credentials.git_token_file: cannot read /nonexistent/token");
  auto empty = tmp.write("empty", "\n");
  EXPECT_EQ(load_git_credentials(RunnerCredentials{.git_token_file = empty.string()}).error().message,
            "credentials.git_token_file: the file is empty");
}

}  // namespace
}  // namespace nbs::runner
