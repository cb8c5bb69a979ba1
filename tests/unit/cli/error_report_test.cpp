// Errors as a person reads them (one line per field) and as a script reads them (--json), and the
// exit code of each kind of error and of each final job status.
#include "cli/error_report.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "cli/exit_code.hpp"

namespace nbs::cli {
namespace {

namespace json = boost::json;

TEST(FormatError, OneLinePerField) {
  const Error error =
      make_field_errors({{"image_name", "must be lower case"}, {"test.commands[1]", "is empty"}});
  EXPECT_EQ(format_error(error, "the daemon rejected the job"),
            "nbs: the daemon rejected the job (2 errors):\n"
            "  image_name: must be lower case\n"
            "  test.commands[1]: is empty\n");
}

TEST(FormatError, AFieldWithoutAPathShowsItsReason) {
  EXPECT_EQ(format_error(make_field_errors({{"", "body: must be a JSON object"}})),
            "nbs: invalid request (1 error):\n  body: must be a JSON object\n");
}

TEST(FormatError, PlainErrorsAreOneLine) {
  EXPECT_EQ(format_error(make_error(ErrorKind::not_found, "job_id: no job abc")),
            "nbs: job_id: no job abc\n");
  EXPECT_EQ(format_error(make_error(ErrorKind::unauthorized, "Unauthorized: bearer token required")),
            "nbs: Unauthorized: bearer token required\n  (pass a token with --token or NBS_TOKEN)\n");
}

TEST(ErrorJson, HasTheDaemonsShape) {
  const Error error = make_field_errors({{"owner", "is required"}});
  EXPECT_EQ(json::value(error_json(error)),
            json::parse(R"({"error": "owner: is required", "code": "invalid_argument",
                            "details": [{"field": "owner", "reason": "is required"}]})"));
}

TEST(ExitCodes, ForErrors) {
  EXPECT_EQ(exit_code_for(make_error(ErrorKind::invalid_argument, "x")), ExitCode::usage);
  EXPECT_EQ(exit_code_for(make_error(ErrorKind::not_found, "x")), ExitCode::not_found);
  for (auto kind : {ErrorKind::unauthorized, ErrorKind::conflict, ErrorKind::unavailable, ErrorKind::timeout,
                    ErrorKind::internal}) {
    EXPECT_EQ(exit_code_for(make_error(kind, "x")), ExitCode::unavailable) << to_string(kind);
  }
}

TEST(ExitCodes, ForJobStatuses) {
  EXPECT_EQ(to_int(exit_code_for_status("SUCCEEDED")), 0);
  EXPECT_EQ(to_int(exit_code_for_status("FAILED")), 1);
  EXPECT_EQ(to_int(exit_code_for_status("KILLED")), 3);
  EXPECT_EQ(to_int(exit_code_for_status("BUILDING")), 6);
  EXPECT_EQ(to_int(ExitCode::usage), 2);
  EXPECT_EQ(to_int(ExitCode::unavailable), 4);
  EXPECT_EQ(to_int(ExitCode::not_found), 5);
  EXPECT_TRUE(is_final_status("KILLED"));
  EXPECT_FALSE(is_final_status("PUBLISHING"));
}

TEST(ExitCodes, TheHelpListsEveryCode) {
  const std::string help(exit_code_help());
  for (int code = 0; code <= 6; ++code) {
    EXPECT_NE(help.find("\n  " + std::to_string(code) + "  "), std::string::npos) << code;
  }
}

}  // namespace
}  // namespace nbs::cli
