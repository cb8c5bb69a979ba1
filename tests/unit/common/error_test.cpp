#include "common/error.hpp"

#include <gtest/gtest.h>

namespace nbs {
namespace {

TEST(ErrorTest, FieldErrorsAreJoinedInTheMessage) {
  Error e = make_field_errors({{"owner", "is required"}, {"test.commands[1]", "must be a string"}});
  EXPECT_EQ(e.kind, ErrorKind::invalid_argument);
  EXPECT_EQ(e.message, "owner: is required; test.commands[1]: must be a string");
  EXPECT_EQ(e.describe(), "owner: is required\ntest.commands[1]: must be a string");
}

TEST(ErrorTest, ValueOnAnErrorThrowsTheError) {
  Result<int> r = make_error(ErrorKind::not_found, "job x: not found");
  try {
    (void)r.value();
    FAIL() << "value() returned";
  } catch (const ErrorException& ex) {
    EXPECT_EQ(ex.error().kind, ErrorKind::not_found);
    EXPECT_STREQ(ex.what(), "job x: not found");
  }
}

}  // namespace
}  // namespace nbs
