#include "common/secret_build_args.hpp"

#include <algorithm>

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

}  // namespace nbs
