// .dockerignore rules and the build context lookup of COPY/ADD sources (Docker's semantics; the
// directory and exception cases checked against Buildah 1.28).
#include "runner/dockerfile/dockerignore.hpp"

#include <gtest/gtest.h>

#include "runner/dockerfile/build_context.hpp"
#include "tests/unit/runner/testutil.hpp"

namespace nbs::runner::dockerfile {
namespace {

TEST(DockerignoreTest, PatternsMatchLikeGoFilepathMatchWithDoubleStar) {
  auto rules = IgnoreRules::parse("*.log\n/build/\ndocs/**/*.md\n**/tmp\nsrc/?.c\n[a-c]x\n");
  EXPECT_TRUE(rules.excluded("app.log"));
  EXPECT_FALSE(rules.excluded("logs/app.log"));  // `*` stays within one directory
  EXPECT_TRUE(rules.excluded("build"));
  EXPECT_TRUE(rules.excluded("build/out/bin"));  // a matched directory takes what is below it
  EXPECT_TRUE(rules.excluded("docs/a.md"));      // `**/` also matches no directory at all
  EXPECT_TRUE(rules.excluded("docs/x/y/a.md"));
  EXPECT_FALSE(rules.excluded("docs/a.txt"));
  EXPECT_TRUE(rules.excluded("tmp"));
  EXPECT_TRUE(rules.excluded("a/b/tmp"));
  EXPECT_TRUE(rules.excluded("src/a.c"));
  EXPECT_FALSE(rules.excluded("src/ab.c"));
  EXPECT_TRUE(rules.excluded("bx"));
  EXPECT_FALSE(rules.excluded("dx"));
  EXPECT_FALSE(rules.has_exceptions());
}

TEST(DockerignoreTest, TheLastMatchingPatternWins) {
  auto rules = IgnoreRules::parse("*.md\n!README.md\nREADME*\n!keep/\n");
  EXPECT_TRUE(rules.excluded("NOTES.md"));
  EXPECT_TRUE(rules.excluded("README.md"));  // excluded again by README*
  EXPECT_FALSE(rules.excluded("keep"));
  EXPECT_TRUE(rules.has_exceptions());
  auto other = IgnoreRules::parse("*.md\nREADME*\n!README.md\n");
  EXPECT_FALSE(other.excluded("README.md"));
}

TEST(DockerignoreTest, CommentsBlanksAndSlashesAreCleaned) {
  auto rules = IgnoreRules::parse("# *.txt\n\n   \n  /a/./b/../c/  \n! /d\n!\n*.txt # not a comment\n");
  EXPECT_FALSE(rules.excluded("x.txt"));
  EXPECT_TRUE(rules.excluded("a/c"));
  EXPECT_TRUE(rules.excluded("a/c/deep"));
  EXPECT_FALSE(rules.excluded("d"));
}

TEST(DockerignoreTest, BlanksAreGoBlanks) {
  // Buildah trims each line with Go's strings.TrimSpace, which takes \v and \f too.
  auto rules = IgnoreRules::parse("*.txt\f\n!a.txt\v\n");
  EXPECT_TRUE(rules.excluded("b.txt"));
  EXPECT_FALSE(rules.excluded("a.txt"));
}

TEST(DockerignoreTest, AnUnusablePatternMatchesNothing) {
  auto rules = IgnoreRules::parse("[\nok\n");
  EXPECT_FALSE(rules.excluded("["));
  EXPECT_TRUE(rules.excluded("ok"));
}

class BuildContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto f : {"a.txt", "b.txt", "sub/f", "sub/keep.txt", "dir/x/y.go", ".hidden"}) {
      dir_.write(f, "x");
    }
  }
  SourceLookup find(const std::string& ignore, std::string_view source) const {
    return BuildContext(dir_.path(), IgnoreRules::parse(ignore)).find(source);
  }
  nbs::testing::TempDir dir_;
};

TEST_F(BuildContextTest, PathsAreRelativeToTheContextEvenWithALeadingSlash) {
  EXPECT_EQ(find("", "a.txt"), SourceLookup::present);
  EXPECT_EQ(find("", "/a.txt"), SourceLookup::present);
  EXPECT_EQ(find("", "./sub/../a.txt"), SourceLookup::unknown);  // leaves the plain path: not judged
  EXPECT_EQ(find("", "."), SourceLookup::present);
  EXPECT_EQ(find("", "sub/"), SourceLookup::present);
  EXPECT_EQ(find("", "nothere.txt"), SourceLookup::absent);
  EXPECT_EQ(find("", "a.txt/x"), SourceLookup::absent);
}

TEST_F(BuildContextTest, WildcardsMatchPerComponent) {
  EXPECT_EQ(find("", "*.txt"), SourceLookup::present);
  EXPECT_EQ(find("", "*.nomatch"), SourceLookup::absent);
  EXPECT_EQ(find("", "s*/f"), SourceLookup::present);
  EXPECT_EQ(find("", "s?b/[a-f]"), SourceLookup::present);
  EXPECT_EQ(find("", "s?b/[^f]"), SourceLookup::absent);
  EXPECT_EQ(find("", "*/x/*.go"), SourceLookup::present);
  EXPECT_EQ(find("", "*.txt/x"), SourceLookup::absent);  // files are no directories
  EXPECT_EQ(find("", "[a-"), SourceLookup::unknown);
}

// Buildah resolves links inside the context (as if it were the root), the preflight does not follow
// them: through a link, a source is not judged (nor is anything outside the context looked at).
TEST_F(BuildContextTest, SourcesThroughALinkAreNotJudged) {
  nbs::testing::TempDir outside;
  outside.write("present.key", "x");
  std::filesystem::create_symlink(outside.path(), dir_.path() / "out");
  std::filesystem::create_symlink("sub", dir_.path() / "insub");
  EXPECT_EQ(find("", "out/nothere"), SourceLookup::unknown);
  EXPECT_EQ(find("", "out/*.key"), SourceLookup::unknown);
  EXPECT_EQ(find("", "o*/*.key"), SourceLookup::unknown);
  EXPECT_EQ(find("", "insub/f"), SourceLookup::unknown);
  EXPECT_EQ(find("", "out"), SourceLookup::present);  // the link itself is in the context
  EXPECT_EQ(find("", "*/x/*.go"), SourceLookup::present);
}

TEST_F(BuildContextTest, IgnoredSourcesAreReportedAsSuch) {
  EXPECT_EQ(find("a.txt\n", "a.txt"), SourceLookup::ignored);
  EXPECT_EQ(find("*.txt\n", "*.txt"), SourceLookup::ignored);
  EXPECT_EQ(find("a.txt\n", "*.txt"), SourceLookup::present);  // b.txt is left
  EXPECT_EQ(find("sub\n", "sub"), SourceLookup::ignored);
  EXPECT_EQ(find("sub\n", "sub/f"), SourceLookup::ignored);
  // Excluding a directory's content leaves the (empty) directory, which Buildah copies.
  EXPECT_EQ(find("sub/*\n", "sub"), SourceLookup::present);
}

TEST_F(BuildContextTest, ExceptionsReachIntoExcludedDirectories) {
  EXPECT_EQ(find("sub\n!sub/keep.txt\n", "sub"), SourceLookup::present);
  EXPECT_EQ(find("sub\n!sub/keep.txt\n", "sub/keep.txt"), SourceLookup::present);
  EXPECT_EQ(find("sub\n!sub/keep.txt\n", "sub/f"), SourceLookup::ignored);
  // An exception for something else does not help (Buildah: "1 filtered out").
  EXPECT_EQ(find("sub\n!other\n", "sub"), SourceLookup::ignored);
}

TEST(BuildContextEmptyTest, AnEmptyContextHasNothingButItself) {
  BuildContext empty;
  EXPECT_EQ(empty.find("a.txt"), SourceLookup::absent);
  EXPECT_EQ(empty.find("."), SourceLookup::present);
}

}  // namespace
}  // namespace nbs::runner::dockerfile
