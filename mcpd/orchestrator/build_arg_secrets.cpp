#include "mcpd/orchestrator/build_arg_secrets.hpp"

#include <boost/json.hpp>

#include "common/secret_build_args.hpp"

namespace nbs::mcpd {

namespace json = boost::json;

std::string secrets_key(std::string_view job_id) {
  return "secrets/" + std::string(job_id);
}

Status store_build_arg_secrets(jobs::RecordStore& store, const std::string& job_id,
                               const std::map<std::string, std::string>& values) {
  if (values.empty()) {
    return {};
  }
  json::object o;
  for (const auto& [name, value] : values) {
    o[name] = value;
  }
  auto put = store.put(secrets_key(job_id), json::serialize(o), 0);
  return put ? Status{} : Status(put.error());
}

Status load_build_arg_secrets(jobs::RecordStore& store, const std::string& job_id, JobRequest& request) {
  if (request.secret_build_args.empty()) {
    return {};
  }
  auto stored = store.get(secrets_key(job_id));
  if (!stored) {
    return stored.error();
  }
  boost::system::error_code ec;
  const json::value value = *stored ? json::parse((*stored)->value, ec) : json::value();
  std::map<std::string, std::string> values;
  if (!ec && value.is_object()) {
    for (const auto& kv : value.get_object()) {
      if (kv.value().is_string()) {
        values.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
      }
    }
  }
  for (const auto& name : request.secret_build_args) {
    if (values.count(name) == 0) {
      return make_error(
          ErrorKind::invalid_argument,
          "secret_build_args: the value of " + name +
              " is no longer stored (its job ended, or the store lost it); submit the job again");
    }
  }
  restore_secret_build_args(request, values);
  return {};
}

Status drop_build_arg_secrets(jobs::RecordStore& store, const std::string& job_id) {
  auto stored = store.get(secrets_key(job_id));
  if (!stored) {
    return stored.error();
  }
  return *stored ? store.remove(secrets_key(job_id), (*stored)->index) : Status{};
}

}  // namespace nbs::mcpd
