#include "runner/exit_code.hpp"

namespace nbs::runner {

std::string_view to_string(ExitCode code) {
  switch (code) {
    case ExitCode::ok:
      return "ok";
    case ExitCode::usage:
      return "usage";
    case ExitCode::spec_invalid:
      return "spec_invalid";
    case ExitCode::git_failed:
      return "git_failed";
    case ExitCode::build_failed:
      return "build_failed";
    case ExitCode::push_failed:
      return "push_failed";
    case ExitCode::publish_failed:
      return "publish_failed";
    case ExitCode::cleanup_failed:
      return "cleanup_failed";
    case ExitCode::not_ready:
      return "not_ready";
    case ExitCode::test_failed:
      return "test_failed";
    case ExitCode::killed:
      return "killed";
    case ExitCode::deadline:
      return "deadline";
    case ExitCode::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace nbs::runner
