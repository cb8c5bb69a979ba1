#include "jobs/junit.hpp"

#include <random>

#include <gtest/gtest.h>

namespace nbs::jobs {
namespace {

constexpr std::string_view k_pytest = R"(<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="4">
<testcase classname="tests.test_app" name="test_ok" time="0.01"/>
<testcase classname="tests.test_app" name="test_bad" time="0.02"><failure message="assert 1 == 2 &amp; &lt;more&gt;">Traceback
  long text</failure></testcase>
<testcase classname="tests.test_app" name="test_skip"><skipped message="later"/></testcase>
<testcase classname="tests.test_other" name="test_err"><error message="fixture &quot;db&quot; failed"/></testcase>
</testsuite></testsuites>)";

TEST(JUnit, CountsTheCasesAndNamesTheFirstFailure) {
  auto s = parse_junit(k_pytest);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->tests, 4);
  EXPECT_EQ(s->failures, 1);
  EXPECT_EQ(s->errors, 1);
  EXPECT_EQ(s->skipped, 1);
  EXPECT_EQ(s->first_failure, "tests.test_app.test_bad");
  EXPECT_EQ(s->message, "assert 1 == 2 & <more>");  // entities decoded
}

TEST(JUnit, TakesTheMessageFromTheTextOrCdataWhenTheAttributeIsMissing) {
  auto s = parse_junit(
      "<testsuite><testcase name=\"t\"><failure><![CDATA[  expected <a> got <b>\n]]></failure></testcase>"
      "</testsuite>");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->tests, 1);
  EXPECT_EQ(s->first_failure, "t");
  EXPECT_EQ(s->message, "expected <a> got <b>");
}

TEST(JUnit, AnErrorBeforeAFailureIsTheFirstProblem) {
  auto s = parse_junit(
      "<testsuite><testcase classname=\"c\" name=\"e\"><error message=\"crash\"/></testcase>"
      "<testcase classname=\"c\" name=\"f\"><failure message=\"no\"/></testcase></testsuite>");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->first_failure, "c.e");
  EXPECT_EQ(s->message, "crash");
}

TEST(JUnit, ASummaryOnlyReportGivesItsRootsCounts) {
  auto s = parse_junit(R"(<testsuites tests="7" failures="2" errors="1" skipped="3"></testsuites>)");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->tests, 7);
  EXPECT_EQ(s->failures, 2);
  EXPECT_EQ(s->errors, 1);
  EXPECT_EQ(s->skipped, 3);
  EXPECT_TRUE(s->first_failure.empty());
}

TEST(JUnit, OtherXmlAndTextAreNotJUnit) {
  EXPECT_FALSE(parse_junit("<project><testcase/></project>"));
  EXPECT_FALSE(parse_junit("just a log line\n"));
  EXPECT_FALSE(parse_junit(""));
}

TEST(JUnit, ATruncatedReportCountsTheCasesBeforeTheCut) {
  const std::string_view cut = k_pytest.substr(0, k_pytest.find("test_skip"));
  auto s = parse_junit(cut);
  ASSERT_TRUE(s);
  EXPECT_GE(s->tests, 2);
  EXPECT_EQ(s->failures, 1);
  EXPECT_EQ(s->first_failure, "tests.test_app.test_bad");
}

TEST(JUnit, BoundsALongMessage) {
  const std::string xml = "<testsuite><testcase name=\"t\"><failure message=\"" + std::string(100'000, 'm') +
                          "\"/></testcase></testsuite>";
  auto s = parse_junit(xml);
  ASSERT_TRUE(s);
  EXPECT_LE(s->message.size(), k_junit_message_bytes + 3);  // and the ellipsis
}

TEST(JUnit, SurvivesDeepNestingHugeAttributesAndGarbage) {
  std::string deep = "<testsuites>";
  for (int i = 0; i < 200'000; ++i) {
    deep += "<testsuite>";
  }
  deep += "<testcase name=\"deep\"><failure/></testcase>";
  auto s = parse_junit(deep);  // never closed: truncated as well
  ASSERT_TRUE(s);
  EXPECT_EQ(s->tests, 1);
  EXPECT_EQ(s->first_failure, "deep");

  const std::string huge =
      "<testsuite name=\"" + std::string(1 << 20, 'a') + "\"><testcase name=\"x\"/></testsuite>";
  ASSERT_TRUE(parse_junit(huge));

  std::mt19937 random(5);
  const std::string base(k_pytest);
  for (int round = 0; round < 3000; ++round) {
    std::string mangled = base.substr(0, random() % (base.size() + 1));
    for (int i = 0; i < 5 && !mangled.empty(); ++i) {
      mangled[random() % mangled.size()] = static_cast<char>(random());
    }
    if (auto r = parse_junit(mangled)) {
      EXPECT_GE(r->tests, 0);
      EXPECT_LE(r->message.size(), k_junit_message_bytes + 3);
    }
  }
}

}  // namespace
}  // namespace nbs::jobs
