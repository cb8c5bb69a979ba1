// /v1/client/fs/{logs,cat,ls,stat,readat}/:alloc (ref §2.11–2.12): the alloc dir under
// <data-dir>/allocs/<id>, with Nomad's validation order and error texts.
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "tests/nomad_sim/endpoint_util.hpp"
#include "tests/nomad_sim/log_stream.hpp"
#include "tests/nomad_sim/router.hpp"
#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace fs = std::filesystem;

namespace {

struct AllocView {
  bool found = false;
  std::vector<std::string> tasks;
  std::map<std::string, bool> started;  // task → has started at least once
  std::map<std::string, bool> logs_disabled;
};

AllocView view_alloc(const SimState& state, const std::string& id) {
  return state.read([&](const Tables& t) {
    AllocView v;
    const auto it = t.allocs.find(id);
    if (it == t.allocs.end()) {
      return v;
    }
    v.found = true;
    for (const auto& g : *array_field(it->second.job, "TaskGroups")) {
      if (string_field(g.as_object(), "Name") != it->second.task_group) {
        continue;
      }
      for (const auto& task : *array_field(g.as_object(), "Tasks")) {
        const std::string name = string_field(task.as_object(), "Name");
        v.tasks.push_back(name);
        const json::object* lc = object_field(task.as_object(), "LogConfig");
        v.logs_disabled[name] = lc != nullptr && bool_field(*lc, "Disabled");
      }
    }
    for (const auto& [name, s] : it->second.task_states) {
      v.started[name] = s.started_at != 0;
    }
    return v;
  });
}

std::optional<bool> bool_param(const SimRequest& req, const std::string& key, bool fallback) {
  if (!req.has(key)) {
    return fallback;
  }
  const std::string v = req.param(key);
  if (v.empty() || v == "true" || v == "1") {
    return true;
  }
  if (v == "false" || v == "0") {
    return false;
  }
  return std::nullopt;
}

Reply logs(SimContext& ctx, const SimRequest& req, const std::string& alloc_id) {
  const std::string task = req.param("task");
  const std::string type = req.param("type");
  const std::string origin = req.param("origin");
  if (task.empty()) {
    return Reply::of(text_error(400, "must provide task name"));
  }
  if (type.empty() || (type != "stdout" && type != "stderr")) {
    return Reply::of(text_error(400, "must provide log type (stdout/stderr)"));
  }
  if (!origin.empty() && origin != "start" && origin != "end") {
    return Reply::of(text_error(400, "origin must be start or end"));
  }
  const auto follow = bool_param(req, "follow", false);
  const auto plain = bool_param(req, "plain", false);
  if (!follow || !plain) {
    return Reply::of(text_error(400, "invalid boolean for follow or plain"));
  }
  std::int64_t offset = 0;
  if (req.has("offset")) {
    try {
      offset = std::stoll(req.param("offset"));
    } catch (const std::exception&) {
      return Reply::of(text_error(400, "error parsing offset: strconv.ParseInt: parsing \"" +
                                           req.param("offset") + "\": invalid syntax"));
    }
  }
  const AllocView v = view_alloc(ctx.state, alloc_id);
  if (!v.found) {
    return Reply::of(text_error(404, "Unknown allocation \"" + alloc_id + "\""));
  }
  if (std::find(v.tasks.begin(), v.tasks.end(), task) == v.tasks.end()) {
    return Reply::of(text_error(400, "unknown task name \"" + task + "\""));
  }
  if (!v.started.count(task) || !v.started.at(task)) {
    return Reply::of(text_error(404, "task \"" + task + "\" not started yet. No logs available"));
  }
  const fs::path dir = ctx.config.data_dir / "allocs" / alloc_id / "alloc" / "logs";
  if (v.logs_disabled.at(task) || list_log_files(dir, task, type).empty()) {
    return Reply::of(
        text_error(404, "log entry for task \"" + task + "\" and log type \"" + type + "\" not found"));
  }
  Reply r;
  r.stream = StreamReply{*plain ? "text/plain; charset=utf-8" : "application/json",
                         std::make_unique<LogStream>(
                             LogStreamOptions{dir, task, type, origin == "end", offset, *follow, *plain})};
  return r;
}

// Go's fs.FileMode.String(), as Nomad prints it: "d" directory, "L" symlink, "p" named pipe.
std::string file_mode(const struct stat& st) {
  std::string m = S_ISDIR(st.st_mode) ? "d" : S_ISLNK(st.st_mode) ? "L" : S_ISFIFO(st.st_mode) ? "p" : "-";
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    m += (st.st_mode & (1 << (8 - i))) != 0 ? rwx[i] : '-';
  }
  return m;
}

json::object file_info(const fs::path& p, const struct stat& st) {
  const std::int64_t mtime =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return json::object{{"Name", p.filename().string()},
                      {"IsDir", S_ISDIR(st.st_mode)},
                      {"Size", static_cast<std::int64_t>(st.st_size)},
                      {"FileMode", file_mode(st)},
                      {"ModTime", rfc3339(mtime)}};
}

std::string sniff(const std::string& data) {
  return data.find('\0') == std::string::npos ? "text/plain; charset=utf-8" : "application/octet-stream";
}

Reply files(SimContext& ctx, const SimRequest& req, const std::string& op, const std::string& alloc_id) {
  std::string rel = req.param("path");
  if (rel.empty() && (op == "ls" || op == "stat")) {
    rel = "/";
  }
  if (rel.empty()) {
    return Reply::of(text_error(400, "must provide a file name"));
  }
  if (!view_alloc(ctx.state, alloc_id).found) {
    return Reply::of(text_error(404, "Unknown allocation \"" + alloc_id + "\""));
  }
  const fs::path root = ctx.config.data_dir / "allocs" / alloc_id;
  const fs::path full = (root / fs::path(rel).relative_path()).lexically_normal();
  if (full.string().rfind(root.lexically_normal().string(), 0) != 0) {
    return Reply::of(text_error(400, "Path \"" + rel + "\" escapes the allocation directory"));
  }
  struct stat st {};
  if (::stat(full.c_str(), &st) != 0) {
    return Reply::of(text_error(400, "stat " + full.string() + ": no such file or directory"));
  }
  if (op == "stat") {
    return Reply::of(json_reply(json::serialize(file_info(full, st))));
  }
  if (op == "ls") {
    json::array out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(full, ec)) {
      // Nomad lists with os.ReadDir, whose entries are lstat'ed: a link is a link, not its target.
      struct stat est {};
      if (::lstat(e.path().c_str(), &est) == 0) {
        out.push_back(file_info(e.path(), est));
      }
    }
    return Reply::of(json_reply(json::serialize(out)));
  }
  if (S_ISDIR(st.st_mode)) {
    return Reply::of(text_error(400, "file \"" + rel + "\" is a directory"));
  }
  std::ifstream in(full, std::ios::binary);
  std::int64_t offset = 0;
  std::int64_t limit = -1;
  if (op == "readat") {
    try {
      offset = std::stoll(req.param("offset"));
      limit = req.has("limit") ? std::stoll(req.param("limit")) : -1;
    } catch (const std::exception&) {
      return Reply::of(text_error(500, "error parsing offset: invalid syntax"));
    }
  }
  in.seekg(offset);
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string data = buf.str();
  if (limit >= 0 && static_cast<std::size_t>(limit) < data.size()) {
    data.resize(static_cast<std::size_t>(limit));
  }
  SimResponse r;
  r.content_type = sniff(data);
  r.body = std::move(data);
  return Reply::of(std::move(r));
}

}  // namespace

Reply handle_fs(SimContext& ctx, const SimRequest& req) {
  if (req.method != "GET") {
    return Reply::of(text_error(405, "Invalid method"));
  }
  const std::string rest = req.path.substr(14);  // after /v1/client/fs/
  const auto slash = rest.find('/');
  const std::string op = rest.substr(0, slash);
  const std::string alloc_id = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (op != "logs" && op != "cat" && op != "ls" && op != "stat" && op != "readat") {
    SimResponse not_found;
    not_found.status = 404;
    not_found.content_type = "text/plain; charset=utf-8";
    return Reply::of(not_found);
  }
  if (alloc_id.empty()) {
    return Reply::of(text_error(400, "must provide a valid alloc id"));
  }
  return op == "logs" ? logs(ctx, req, alloc_id) : files(ctx, req, op, alloc_id);
}

}  // namespace nbs::nomad_sim
