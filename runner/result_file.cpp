#include "runner/result_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/fd.hpp"

namespace nbs::runner {
namespace {

namespace json = boost::json;

std::optional<ExitCode> parse_code(std::string_view name) {
  for (auto code :
       {ExitCode::ok, ExitCode::usage, ExitCode::spec_invalid, ExitCode::git_failed, ExitCode::build_failed,
        ExitCode::push_failed, ExitCode::publish_failed, ExitCode::cleanup_failed, ExitCode::not_ready,
        ExitCode::test_failed, ExitCode::killed, ExitCode::deadline, ExitCode::internal}) {
    if (to_string(code) == name) {
      return code;
    }
  }
  return std::nullopt;
}

std::string get_string(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t get_int(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->as_int64() : 0;
}

}  // namespace

json::object to_json(const PhaseResult& r) {
  json::object o;
  o["job_id"] = r.job_id;
  o["phase"] = r.phase;
  o["status"] = r.code == ExitCode::ok ? "succeeded" : "failed";
  o["exit_code"] = to_int(r.code);
  o["reason"] = to_string(r.code);
  if (!r.error.empty()) {
    o["error"] = r.error;
  }
  if (!r.digest.empty()) {
    o["digest"] = r.digest;
  }
  if (!r.image_id.empty()) {
    o["image_id"] = r.image_id;
  }
  if (r.size) {
    o["size"] = *r.size;
  }
  o["tags"] = json::array(r.tags.begin(), r.tags.end());
  if (!r.signed_tags.empty()) {
    o["signed_tags"] = json::array(r.signed_tags.begin(), r.signed_tags.end());
  }
  if (!r.platform_digests.empty()) {
    json::object platforms;
    for (const auto& [platform, digest] : r.platform_digests) {
      platforms[platform] = digest;
    }
    o["platforms"] = std::move(platforms);
  }
  if (!r.commit.empty()) {
    o["commit"] = r.commit;
  }
  if (!r.git_ref.empty()) {
    o["git_ref"] = r.git_ref;
  }
  if (!r.ref_kind.empty()) {
    o["ref_kind"] = r.ref_kind;
  }
  o["steps"] = r.steps;
  o["cached_steps"] = r.cached_steps;
  o["git_received_objects"] = r.git_received_objects;
  o["git_received_bytes"] = r.git_received_bytes;
  json::object timings;
  for (const auto& [k, v] : r.timings_ms) {
    timings[k] = v;
  }
  o["timings_ms"] = std::move(timings);
  return o;
}

Result<PhaseResult> parse_phase_result(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return make_error(ErrorKind::invalid_argument, "result: not a JSON object");
  }
  const auto& o = v.as_object();
  PhaseResult r;
  r.job_id = get_string(o, "job_id");
  r.phase = get_string(o, "phase");
  auto code = parse_code(get_string(o, "reason"));
  if (!code) {
    return make_error(ErrorKind::invalid_argument, "result: reason: unknown exit reason");
  }
  r.code = *code;
  r.error = get_string(o, "error");
  r.digest = get_string(o, "digest");
  r.image_id = get_string(o, "image_id");
  if (o.contains("size")) {
    r.size = get_int(o, "size");
  }
  if (const auto* tags = o.if_contains("tags"); tags != nullptr && tags->is_array()) {
    for (const auto& t : tags->as_array()) {
      if (t.is_string()) {
        r.tags.emplace_back(t.as_string());
      }
    }
  }
  if (const auto* tags = o.if_contains("signed_tags"); tags != nullptr && tags->is_array()) {
    for (const auto& t : tags->as_array()) {
      if (t.is_string()) {
        r.signed_tags.emplace_back(t.as_string());
      }
    }
  }
  if (const auto* platforms = o.if_contains("platforms"); platforms != nullptr && platforms->is_object()) {
    for (const auto& [platform, digest] : platforms->as_object()) {
      if (digest.is_string()) {
        r.platform_digests[std::string(platform)] = std::string(digest.as_string());
      }
    }
  }
  r.commit = get_string(o, "commit");
  r.git_ref = get_string(o, "git_ref");
  r.ref_kind = get_string(o, "ref_kind");
  r.steps = static_cast<int>(get_int(o, "steps"));
  r.cached_steps = static_cast<int>(get_int(o, "cached_steps"));
  r.git_received_objects = static_cast<unsigned>(get_int(o, "git_received_objects"));
  if (const auto* b = o.if_contains("git_received_bytes"); b != nullptr) {
    r.git_received_bytes =
        b->is_uint64() ? b->as_uint64() : static_cast<std::uint64_t>(get_int(o, "git_received_bytes"));
  }
  if (const auto* t = o.if_contains("timings_ms"); t != nullptr && t->is_object()) {
    for (const auto& [k, val] : t->as_object()) {
      if (val.is_int64()) {
        r.timings_ms[std::string(k)] = val.as_int64();
      }
    }
  }
  return r;
}

Status write_result_file(const std::string& path, const PhaseResult& result) {
  namespace fs = std::filesystem;
  auto fail = [&](const char* what) {
    return make_error(ErrorKind::internal,
                      "result_path: " + path + ": " + what + ": " + std::strerror(errno));
  };
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::string body = json::serialize(to_json(result)) + "\n";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) {
      return fail("open");
    }
    std::size_t done = 0;
    while (done < body.size()) {
      ssize_t n = ::write(fd.get(), body.data() + done, body.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return fail("write");
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) {
      return fail("fsync");
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail("rename");
  }
  return {};
}

}  // namespace nbs::runner
