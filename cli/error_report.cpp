#include "cli/error_report.hpp"

#include <boost/json/array.hpp>

namespace nbs::cli {

namespace json = boost::json;

std::string format_error(const Error& error, std::string_view context) {
  if (error.fields.empty()) {
    std::string out = "nbs: " + error.message + "\n";
    if (error.kind == ErrorKind::unauthorized) {
      out += "  (pass a token with --token or NBS_TOKEN)\n";
    }
    return out;
  }
  const std::size_t n = error.fields.size();
  std::string out = "nbs: " + std::string(context.empty() ? "invalid request" : context) + " (" +
                    std::to_string(n) + (n == 1 ? " error" : " errors") + "):\n";
  for (const auto& field : error.fields) {
    out += "  " + (field.path.empty() ? field.reason : field.path + ": " + field.reason) + "\n";
  }
  return out;
}

json::object error_json(const Error& error) {
  json::array details;
  for (const auto& field : error.fields) {
    details.push_back(json::object{{"field", field.path}, {"reason", field.reason}});
  }
  return json::object{
      {"error", error.message}, {"code", to_string(error.kind)}, {"details", std::move(details)}};
}

}  // namespace nbs::cli
