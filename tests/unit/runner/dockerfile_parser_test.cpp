// The Dockerfile parser: lines and continuations as Buildah 1.28 reads them (each case checked
// against a real `buildah bud`), and heredocs as Buildah 1.33+ and BuildKit read them.
#include <gtest/gtest.h>

#include "runner/dockerfile/parser.hpp"

namespace nbs::runner::dockerfile {
namespace {

struct Brief {
  std::string keyword;
  int line;
  int end_line;
  std::string args;
  friend bool operator==(const Brief&, const Brief&) = default;
};

std::ostream& operator<<(std::ostream& out, const Brief& b) {
  return out << b.keyword << "@" << b.line << "-" << b.end_line << " [" << b.args << "]";
}

std::vector<Brief> brief(std::string_view text, Dialect dialect = Dialect::classic) {
  auto file = parse(text, dialect);
  std::vector<Brief> out;
  for (const auto& i : file.instructions) {
    out.push_back({i.keyword, i.line, i.end_line, i.args});
  }
  return out;
}

TEST(DockerfileParserTest, InstructionsInAnyCaseWithTheirLines) {
  EXPECT_EQ(
      brief("# comment\n\nfrom scratch\nCopy a.txt /x\n  run   echo hi  \n"),
      (std::vector<Brief>{{"FROM", 3, 3, "scratch"}, {"COPY", 4, 4, "a.txt /x"}, {"RUN", 5, 5, "echo hi"}}));
}

TEST(DockerfileParserTest, ContinuationsSkipCommentsAndEmptyLines) {
  // Buildah joins the pieces without a separator and drops comment and blank lines inside.
  EXPECT_EQ(brief("FROM scratch\nLABEL a=1 \\\n# inside\n  b=2 \\\n\n   \n  c=3\nRUN x\n"),
            (std::vector<Brief>{
                {"FROM", 1, 1, "scratch"}, {"LABEL", 2, 7, "a=1   b=2   c=3"}, {"RUN", 8, 8, "x"}}));
}

TEST(DockerfileParserTest, TrailingBlanksAfterTheEscapeStillContinue) {
  EXPECT_EQ(brief("FROM scratch\nRUN a \\  \t\n b\n"),
            (std::vector<Brief>{{"FROM", 1, 1, "scratch"}, {"RUN", 2, 3, "a  b"}}));
}

TEST(DockerfileParserTest, CarriageReturnsAndByteOrderMarkAreIgnored) {
  EXPECT_EQ(brief("\xEF\xBB\xBF"
                  "FROM scratch\r\nCOPY a.txt \\\r\n  /a\r\n"),
            (std::vector<Brief>{{"FROM", 1, 1, "scratch"}, {"COPY", 2, 3, "a.txt   /a"}}));
}

TEST(DockerfileParserTest, EscapeDirectiveChangesTheContinuationCharacter) {
  auto file = parse("# escape=`\nFROM scratch\nCOPY a.txt `\n  /x\nRUN dir c:\\\n", Dialect::classic);
  EXPECT_EQ(file.escape, '`');
  EXPECT_EQ(brief("# escape=`\nFROM scratch\nCOPY a.txt `\n  /x\nRUN dir c:\\\n"),
            (std::vector<Brief>{
                {"FROM", 2, 2, "scratch"}, {"COPY", 3, 4, "a.txt   /x"}, {"RUN", 5, 5, "dir c:\\"}}));
}

TEST(DockerfileParserTest, DirectivesCountOnlyAtTheTop) {
  // After a blank line, Buildah reads `# escape=` as a comment.
  EXPECT_EQ(parse("\n# escape=`\nFROM scratch\n", Dialect::classic).escape, '\\');
  // Buildah 1.28 knows no syntax directive: it ends the directives, so the escape is a comment; the
  // heredoc dialect reads both.
  constexpr std::string_view k_both = "# syntax=docker/dockerfile:1\n# escape=`\nFROM scratch\n";
  EXPECT_EQ(parse(k_both, Dialect::classic).escape, '\\');
  EXPECT_EQ(parse(k_both, Dialect::heredoc).escape, '`');
}

TEST(DockerfileParserTest, BadEscapeDirectivesAreProblems) {
  EXPECT_EQ(parse("# escape=x\nFROM scratch\n", Dialect::classic).problems,
            (std::vector<Finding>{
                {FindingClass::dockerfile_syntax, 1, "invalid escape directive 'x': must be ` or \\"}}));
  EXPECT_EQ(parse("# escape=`\n# escape=\\\nFROM scratch\n", Dialect::classic).problems,
            (std::vector<Finding>{
                {FindingClass::dockerfile_syntax, 2, "only one escape parser directive can be used"}}));
}

TEST(DockerfileParserTest, FlagsAndJsonForm) {
  auto file = parse("FROM scratch\nCOPY --from=build --chown=\"1:1\" [\"a b\", \"/x\"]\nCMD [\"sh\", 1]\n",
                    Dialect::classic);
  ASSERT_EQ(file.instructions.size(), 3u);
  const auto& copy = file.instructions[1];
  EXPECT_EQ(copy.flags, (std::vector<std::string>{"--from=build", "--chown=1:1"}));
  EXPECT_EQ(flag_value(copy, "from"), "build");
  EXPECT_EQ(flag_value(copy, "chmod"), std::nullopt);
  EXPECT_EQ(argument_words(copy), (std::vector<std::string>{"a b", "/x"}));
  // Not an array of strings: the shell form.
  EXPECT_FALSE(file.instructions[2].json);
  EXPECT_EQ(argument_words(file.instructions[2]), (std::vector<std::string>{"[\"sh\",", "1]"}));
}

TEST(DockerfileParserTest, HeredocBodiesAreReadInTheHeredocDialect) {
  constexpr std::string_view k_text =
      "FROM scratch\n"
      "RUN <<EOF\n"
      "echo hi > /x\n"
      "EOF\n"
      "COPY <<-\"A\" /a <<'B' /b\n"  // several heredocs on one line, quoted, tab-stripped
      "\tFROM inside\n"
      "\tA\n"
      "B text\n"
      "B\n"
      "ONBUILD RUN <<X\n"
      "X\n"
      "RUN cat <<EOF>/out\n"
      "body\n"
      "EOF\n"
      "RUN echo \"<<not\" $((1<<2))\n";
  auto file = parse(k_text, Dialect::heredoc);
  EXPECT_TRUE(file.problems.empty());
  EXPECT_EQ(brief(k_text, Dialect::heredoc),
            (std::vector<Brief>{{"FROM", 1, 1, "scratch"},
                                {"RUN", 2, 4, "<<EOF"},
                                {"COPY", 5, 9, "<<-\"A\" /a <<'B' /b"},
                                {"ONBUILD", 10, 11, "RUN <<X"},
                                {"RUN", 12, 14, "cat <<EOF>/out"},
                                {"RUN", 15, 15, "echo \"<<not\" $((1<<2))"}}));
  const auto& copy = file.instructions[2];
  ASSERT_EQ(copy.heredocs.size(), 2u);
  EXPECT_EQ(copy.heredocs[0].delimiter, "A");
  EXPECT_TRUE(copy.heredocs[0].strip_tabs);
  EXPECT_EQ(copy.heredocs[0].first_line, 6);
  EXPECT_EQ(copy.heredocs[0].last_line, 7);
  EXPECT_EQ(copy.heredocs[1].delimiter, "B");
  EXPECT_EQ(copy.heredocs[1].first_line, 8);
  EXPECT_EQ(copy.heredocs[1].last_line, 9);
}

TEST(DockerfileParserTest, ClassicDialectReadsHeredocBodiesAsInstructions) {
  // As Buildah 1.28 does: `STEP 3/4: echo hi > /x` and then "Unknown instruction: ECHO".
  constexpr std::string_view k_text = "FROM scratch\nRUN <<EOF\necho hi > /x\nEOF\n";
  EXPECT_EQ(
      brief(k_text),
      (std::vector<Brief>{
          {"FROM", 1, 1, "scratch"}, {"RUN", 2, 2, "<<EOF"}, {"ECHO", 3, 3, "hi > /x"}, {"EOF", 4, 4, ""}}));
  auto file = parse(k_text, Dialect::classic);
  ASSERT_EQ(file.instructions[1].heredocs.size(), 1u);
  EXPECT_EQ(file.instructions[1].heredocs[0].first_line, 3);
  EXPECT_EQ(file.instructions[1].heredocs[0].last_line, 4);
}

TEST(DockerfileParserTest, UnterminatedHeredocIsAProblemInTheHeredocDialect) {
  auto file = parse("FROM scratch\nRUN <<EOF\necho hi\n", Dialect::heredoc);
  EXPECT_EQ(file.problems,
            (std::vector<Finding>{{FindingClass::dockerfile_syntax, 2,
                                   "unterminated heredoc: no line 'EOF' ends the heredoc <<EOF"}}));
  EXPECT_TRUE(parse("FROM scratch\nRUN <<EOF\necho hi\n", Dialect::classic).problems.empty());
}

TEST(DockerfileParserTest, JsonFormHasNoHeredocs) {
  auto file = parse("FROM scratch\nRUN [\"sh\", \"-c\", \"cat <<EOF\"]\nEOF\n", Dialect::heredoc);
  ASSERT_EQ(file.instructions.size(), 3u);
  EXPECT_EQ(file.instructions[2].keyword, "EOF");
}

TEST(DockerfileParserTest, EmptyAndCommentOnlyFilesHaveNoInstructions) {
  EXPECT_TRUE(parse("", Dialect::classic).instructions.empty());
  EXPECT_TRUE(parse("# only\n\n   # comments \\\n", Dialect::classic).instructions.empty());
}

}  // namespace
}  // namespace nbs::runner::dockerfile
