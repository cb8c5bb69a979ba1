#include "cli/console.hpp"

#include <boost/json/serialize.hpp>

#include "cli/error_report.hpp"

namespace nbs::cli {

ExitCode report_error(Console& console, const Error& error, std::string_view context) {
  if (console.json()) {
    console.out << boost::json::serialize(error_json(error)) << std::endl;
  } else {
    console.err << format_error(error, context) << std::flush;
  }
  return exit_code_for(error);
}

}  // namespace nbs::cli
