#include "common/runner_spec.hpp"

#include <set>

#include <boost/json/parse.hpp>

#include "common/job_request_parser.hpp"

namespace nbs {

namespace json = boost::json;

namespace {

// Reads fields of one JSON object, recording an error per bad field and remembering which keys it saw.
class FieldReader {
 public:
  FieldReader(const json::object& o, std::string prefix, std::vector<FieldError>& errors)
      : o_(o), prefix_(std::move(prefix)), errors_(errors) {}

  void string(std::string_view key, std::string& out, bool required = false) {
    const json::value* v = find(key);
    if (v == nullptr) {
      if (required) {
        fail(key, "is required");
      }
      return;
    }
    if (!v->is_string()) {
      return fail(key, "must be a string");
    }
    out = std::string(v->as_string());
    if (required && out.empty()) {
      fail(key, "must not be empty");
    }
  }

  void absolute_path(std::string_view key, std::string& out, bool required) {
    string(key, out, required);
    if (!out.empty() && out.front() != '/') {
      fail(key, "must be an absolute path");
    }
  }

  void string_list(std::string_view key, std::vector<std::string>& out) {
    const json::value* v = find(key);
    if (v == nullptr) {
      return;
    }
    if (!v->is_array()) {
      return fail(key, "must be an array of strings");
    }
    for (const auto& item : v->as_array()) {
      if (!item.is_string()) {
        return fail(key, "must be an array of strings");
      }
      out.emplace_back(item.as_string());
    }
  }

  const json::value* find(std::string_view key) {
    seen_.insert(std::string(key));
    return o_.if_contains(key);
  }

  void reject_unknown() {
    for (const auto& [k, v] : o_) {
      if (!seen_.contains(std::string(k))) {
        fail(k, "is not a known field");
      }
    }
  }

  void fail(std::string_view key, std::string reason) {
    errors_.push_back({prefix_ + std::string(key), std::move(reason)});
  }

 private:
  const json::object& o_;
  std::string prefix_;
  std::vector<FieldError>& errors_;
  std::set<std::string> seen_;
};

void read_credentials(const json::value* v, RunnerCredentials& c, std::vector<FieldError>& errors) {
  if (v == nullptr) {
    return;
  }
  if (!v->is_object()) {
    errors.push_back({"credentials", "must be an object"});
    return;
  }
  FieldReader r(v->as_object(), "credentials.", errors);
  r.absolute_path("git_token_file", c.git_token_file, false);
  r.string("git_username", c.git_username);
  r.absolute_path("git_ssh_key_file", c.git_ssh_key_file, false);
  r.absolute_path("registry_auth_file", c.registry_auth_file, false);
  r.absolute_path("build_args_file", c.build_args_file, false);
  r.absolute_path("build_secrets_dir", c.build_secrets_dir, false);
  r.absolute_path("signing_key_file", c.signing_key_file, false);
  r.reject_unknown();
}

void read_request(const json::value* v, RunnerSpec& spec, std::vector<FieldError>& errors) {
  if (v == nullptr) {
    errors.push_back({"request", "is required"});
    return;
  }
  auto parsed = parse_job_request(*v);
  if (!parsed) {
    if (parsed.error().fields.empty()) {
      errors.push_back({"request", parsed.error().message});
    }
    for (const auto& f : parsed.error().fields) {
      errors.push_back({"request." + f.path, f.reason});
    }
    return;
  }
  spec.request = std::move(*parsed);
}

void read_enums(FieldReader& r, RunnerSpec& spec) {
  std::string phase = "build";
  r.string("phase", phase, true);
  if (auto p = parse_phase(phase); p && *p != Phase::test) {
    spec.phase = *p;
  } else if (!phase.empty()) {
    r.fail("phase", "must be one of build, publish, cleanup");
  }
  std::string driver;
  r.string("storage_driver", driver);
  if (driver == "vfs") {
    spec.storage_driver = StorageDriver::vfs;
  } else if (!driver.empty() && driver != "overlay") {
    r.fail("storage_driver", "must be overlay or vfs");
  }
  std::string deadline;
  r.string("deadline", deadline);
  if (!deadline.empty()) {
    spec.deadline = parse_utc(deadline);
    if (!spec.deadline) {
      r.fail("deadline", "must be UTC time like 2026-11-26T18:54:44.123Z");
    }
  }
}

// Cross-field rules: what each phase needs.
void check_phase_needs(FieldReader& r, const RunnerSpec& spec) {
  bool needs_temp = spec.phase != Phase::build || spec.request.publishes_from_temp_image();
  if (needs_temp && spec.temp_image.empty()) {
    r.fail("temp_image", "is required for this phase");
  }
  if (spec.phase != Phase::cleanup && spec.final_images.empty()) {
    r.fail("final_images", "must not be empty");
  }
  if (spec.phase == Phase::publish && spec.request.sign) {
    if (spec.signature_store.empty()) {
      r.fail("signature_store", "is required to publish a job with sign");
    }
    if (spec.credentials.signing_key_file.empty()) {
      r.fail("credentials.signing_key_file", "is required to publish a job with sign");
    }
  }
  if (spec.phase == Phase::build) {
    if (spec.cache_dir.empty()) {
      r.fail("cache_dir", "is required for the build phase");
    }
    if (spec.work_dir.empty()) {
      r.fail("work_dir", "is required for the build phase");
    }
  }
}

}  // namespace

std::string_view to_string(StorageDriver driver) {
  return driver == StorageDriver::vfs ? "vfs" : "overlay";
}

std::vector<std::string> RunnerSpec::push_targets() const {
  if (request.publishes_from_temp_image()) {
    return {temp_image};
  }
  return final_images;
}

Result<RunnerSpec> parse_runner_spec(const json::value& value) {
  if (!value.is_object()) {
    return make_error(ErrorKind::invalid_argument, "spec: must be a JSON object");
  }
  std::vector<FieldError> errors;
  RunnerSpec spec;
  FieldReader r(value.as_object(), "", errors);
  if (const auto* v = r.find("version");
      v == nullptr || !v->is_int64() || v->as_int64() != RunnerSpec::k_version) {
    r.fail("version", "must be " + std::to_string(RunnerSpec::k_version));
  }
  r.string("job_id", spec.job_id, true);
  read_enums(r, spec);
  read_request(r.find("request"), spec, errors);
  r.string("temp_image", spec.temp_image);
  r.string_list("final_images", spec.final_images);
  r.absolute_path("cache_dir", spec.cache_dir, false);
  r.absolute_path("work_dir", spec.work_dir, false);
  r.absolute_path("result_path", spec.result_path, false);
  read_credentials(r.find("credentials"), spec.credentials, errors);
  r.string("build_user", spec.build_user);
  r.absolute_path("registries_conf", spec.registries_conf, false);
  r.absolute_path("signature_store", spec.signature_store, false);
  r.reject_unknown();
  if (errors.empty()) {
    check_phase_needs(r, spec);
  }
  if (!errors.empty()) {
    return make_field_errors(std::move(errors));
  }
  return spec;
}

Result<RunnerSpec> parse_runner_spec_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    return make_error(ErrorKind::invalid_argument, "spec: not valid JSON: " + ec.message());
  }
  return parse_runner_spec(v);
}

json::object to_json(const RunnerSpec& spec) {
  json::object o;
  o["version"] = RunnerSpec::k_version;
  o["job_id"] = spec.job_id;
  o["phase"] = to_string(spec.phase);
  o["request"] = to_json(spec.request);
  if (!spec.temp_image.empty()) {
    o["temp_image"] = spec.temp_image;
  }
  o["final_images"] = json::array(spec.final_images.begin(), spec.final_images.end());
  auto put = [](json::object& obj, std::string_view key, const std::string& v) {
    if (!v.empty()) {
      obj[key] = v;
    }
  };
  put(o, "cache_dir", spec.cache_dir);
  put(o, "work_dir", spec.work_dir);
  put(o, "result_path", spec.result_path);
  json::object creds;
  put(creds, "git_token_file", spec.credentials.git_token_file);
  put(creds, "git_username", spec.credentials.git_username);
  put(creds, "git_ssh_key_file", spec.credentials.git_ssh_key_file);
  put(creds, "registry_auth_file", spec.credentials.registry_auth_file);
  put(creds, "build_args_file", spec.credentials.build_args_file);
  put(creds, "build_secrets_dir", spec.credentials.build_secrets_dir);
  put(creds, "signing_key_file", spec.credentials.signing_key_file);
  if (!creds.empty()) {
    o["credentials"] = std::move(creds);
  }
  if (spec.deadline) {
    o["deadline"] = format_utc(*spec.deadline);
  }
  o["storage_driver"] = to_string(spec.storage_driver);
  put(o, "build_user", spec.build_user);
  put(o, "registries_conf", spec.registries_conf);
  put(o, "signature_store", spec.signature_store);
  return o;
}

std::string temp_image_reference(const JobRequest& request, std::string_view job_id) {
  return image_target(request).reference("tmp-" + std::string(job_id));
}

std::vector<std::string> final_image_references(const JobRequest& request, std::string_view job_id) {
  auto target = image_target(request);
  std::vector<std::string> out;
  for (const auto& tag : final_image_tags(request, job_id)) {
    out.push_back(target.reference(tag));
  }
  return out;
}

}  // namespace nbs
