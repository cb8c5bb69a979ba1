#include "common/secret_build_args.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "common/base64.hpp"
#include "common/text.hpp"

namespace nbs {

namespace {

bool is_secret(const JobRequest& request, const std::string& name) {
  return std::find(request.secret_build_args.begin(), request.secret_build_args.end(), name) !=
         request.secret_build_args.end();
}

}  // namespace

std::map<std::string, std::string> secret_build_arg_values(const JobRequest& request) {
  std::map<std::string, std::string> values;
  for (const auto& name : request.secret_build_args) {
    if (auto it = request.build_args.find(name); it != request.build_args.end()) {
      values.emplace(name, it->second);
    }
  }
  return values;
}

std::map<std::string, std::string> take_secret_build_args(JobRequest& request) {
  auto values = secret_build_arg_values(request);
  for (const auto& [name, value] : values) {
    request.build_args[name] = std::string(k_masked_value);
  }
  return values;
}

void restore_secret_build_args(JobRequest& request, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    if (is_secret(request, name)) {
      request.build_args[name] = value;
    }
  }
}

std::string encode_secret_build_args(const std::map<std::string, std::string>& values) {
  boost::json::object o;
  for (const auto& [name, value] : values) {
    o[name] = value;
  }
  return base64_encode(boost::json::serialize(o));
}

Result<std::map<std::string, std::string>> decode_secret_build_args(std::string_view text) {
  const auto bytes = base64_decode(trim(text));  // a template or an editor may add a final newline
  if (!bytes) {
    return make_error(ErrorKind::invalid_argument, "is not base64");
  }
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(*bytes, ec);
  if (ec || !parsed.is_object()) {
    return make_error(ErrorKind::invalid_argument, "does not decode to a JSON object");
  }
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : parsed.as_object()) {
    if (!value.is_string()) {
      return make_error(ErrorKind::invalid_argument,
                        "the value of " + std::string(name) + " is not a string");
    }
    values.emplace(name, value.as_string());
  }
  return values;
}

}  // namespace nbs
