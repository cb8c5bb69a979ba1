// Variable expansion in Dockerfile arguments, as Buildah does it; a variable the Dockerfile does not
// define has no known value (it may come from the base image).
#include <gtest/gtest.h>

#include "runner/dockerfile/words.hpp"

namespace nbs::runner::dockerfile {
namespace {

Variables vars() {
  Variables v;
  v.set_arg("F", "a.txt");
  v.set_arg("EMPTY", "");
  v.set_arg("UNKNOWN", std::nullopt);
  v.set_env("DIR", "src");
  v.set_arg("DIR", "ignored");  // ENV wins over ARG
  return v;
}

TEST(DockerfileWordsTest, VariablesQuotesAndEscapes) {
  auto v = vars();
  EXPECT_EQ(expand_word("$F", v, '\\'), "a.txt");
  EXPECT_EQ(expand_word("${DIR}/$F", v, '\\'), "src/a.txt");
  EXPECT_EQ(expand_word("'$F' \"$F\" \\$F", v, '\\'), "$F a.txt $F");
  EXPECT_EQ(expand_word("`$F", v, '`'), "$F");
  EXPECT_EQ(expand_word("a$", v, '\\'), "a$");
  EXPECT_EQ(expand_word("$NOT_DEFINED", v, '\\'), std::nullopt);
  EXPECT_EQ(expand_word("$UNKNOWN", v, '\\'), std::nullopt);
  EXPECT_EQ(expand_word("'open", v, '\\'), std::nullopt);
  EXPECT_EQ(expand_word("${F", v, '\\'), std::nullopt);
}

TEST(DockerfileWordsTest, DefaultAndAlternativeValues) {
  auto v = vars();
  EXPECT_EQ(expand_word("${EMPTY:-b.txt}", v, '\\'), "b.txt");
  EXPECT_EQ(expand_word("${F:-b.txt}", v, '\\'), "a.txt");
  EXPECT_EQ(expand_word("${F:+x-$DIR}", v, '\\'), "x-src");
  EXPECT_EQ(expand_word("${EMPTY:+x}", v, '\\'), "");
  EXPECT_EQ(expand_word("${NOT_DEFINED:-b.txt}", v, '\\'), std::nullopt);  // the base image may set it
  EXPECT_EQ(expand_word("${F#a}", v, '\\'), std::nullopt);                 // not evaluated here
  EXPECT_EQ(expand_word("${EMPTY:-${EMPTY:-${F}}}", v, '\\'), "a.txt");
  std::string deep = "$F";
  for (int i = 0; i < 40; ++i) {
    deep = "${EMPTY:-" + deep + "}";
  }
  EXPECT_EQ(expand_word(deep, v, '\\'), std::nullopt);
}

TEST(DockerfileWordsTest, ArgAndEnvAssignments) {
  auto v = vars();
  auto env = parse_assignments("ENV", "A=1 B=\"two words\" C=$F", v, '\\');
  ASSERT_EQ(env.size(), 3u);
  EXPECT_EQ(env[1].name, "B");
  EXPECT_EQ(env[1].value, "two words");
  EXPECT_EQ(env[2].value, "a.txt");
  auto old = parse_assignments("ENV", "PATH_X /usr/$DIR  bin", v, '\\');
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].value, "/usr/src  bin");
  auto arg = parse_assignments("ARG", "NAME", v, '\\');
  ASSERT_EQ(arg.size(), 1u);
  EXPECT_FALSE(arg[0].has_value);
}

}  // namespace
}  // namespace nbs::runner::dockerfile
