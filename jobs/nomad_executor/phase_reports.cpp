// NomadExecutor: the test reports (test.reports) a test task's wrapper copied into its allocation
// directory (jobs/specs/phase_specs.hpp has the layout), read with the client fs API once the task is
// dead, with the caps of jobs/report_files.hpp and the JUnit summary of jobs/junit.hpp, as the local
// executor keeps them. Nomad holds the copies (until it collects the allocation, as with the logs);
// the executor remembers only what it read of them (PhaseMemory), and pages a file from Nomad.
#include <algorithm>

#include <boost/json.hpp>

#include "common/text.hpp"
#include "jobs/junit.hpp"
#include "jobs/nomad/fs.hpp"
#include "jobs/nomad_executor/alloc_state.hpp"
#include "jobs/nomad_executor/nomad_executor.hpp"
#include "jobs/report_files.hpp"
#include "jobs/specs/phase_specs.hpp"

namespace nbs::jobs {
namespace {

constexpr std::size_t k_max_error_bytes = 1024;  // of cp's error text
constexpr std::size_t k_max_dirs = 256;          // listed under one path; past it, "incomplete"

std::vector<std::string> report_paths(const nomad::JobInfo& job) {
  std::vector<std::string> out;
  const auto it = job.meta.find(std::string(specs::k_reports_meta));
  if (it == job.meta.end()) {
    return out;
  }
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(it->second, ec);
  if (ec || !v.is_array()) {
    return out;
  }
  for (const auto& p : v.as_array()) {
    if (p.is_string()) {
      out.emplace_back(p.as_string());
    }
  }
  return out;
}

// Collects one task's copies: `paths` are test.reports in order, so that copy n is of paths[n].
class Collector {
 public:
  Collector(nomad::Fs& fs, const nomad::QueryOptions& query, std::string task, std::string alloc_id)
      : fs_(fs), query_(query), task_(std::move(task)) {
    out_.alloc_id = std::move(alloc_id);
  }

  Result<nomad::TaskReports> run(const std::vector<std::string>& paths) {
    const std::string root(specs::k_reports_alloc_dir);
    auto top = fs_.ls(out_.alloc_id, root, query_);
    if (!top && top.error().kind != ErrorKind::invalid_argument) {
      return top.error();
    }
    // invalid_argument: Nomad's 400 for a missing directory, i.e. the wrapper never got to copy.
    std::vector<nomad::AllocFileInfo> entries = top ? std::move(*top) : std::vector<nomad::AllocFileInfo>{};
    auto has = [&](const std::string& name, bool dir) {
      return std::any_of(entries.begin(), entries.end(),
                         [&](const auto& e) { return e.name == name && e.is_dir == dir; });
    };
    for (std::size_t n = 0; n < paths.size(); ++n) {
      const std::string copy = std::to_string(n);
      const bool copied = has(copy, true);
      if (copied) {
        if (auto walked = walk(paths[n], root + "/" + copy); !walked) {
          return walked.error();
        }
      }
      if (has(copy + ".missing", false)) {
        add_status(paths[n], "missing", std::string(k_report_missing_message));
      } else if (has(copy + ".error", false)) {
        auto text = fs_.read_at(out_.alloc_id, root + "/" + copy + ".error", 0, k_max_error_bytes, query_);
        if (!text && text.error().kind != ErrorKind::invalid_argument) {
          return text.error();
        }
        const std::string message = text ? std::string(trim(*text)) : "";
        add_status(paths[n], "error", message.empty() ? "cp failed" : message);
      } else if (!copied) {
        add_status(paths[n], "error",
                   "the test task left no copy of it: it was stopped first, or could not write to its "
                   "allocation directory (its log says)");
      }
    }
    return std::move(out_);
  }

 private:
  void add_status(const std::string& path, std::string status, std::string message) {
    out_.files.push_back(
        ReportFile{.task = task_, .path = path, .status = std::move(status), .message = std::move(message)});
  }

  // The regular files of one copy, in name order, depth first; links and other kinds are not read (the
  // client would follow a link wherever it points on its own file system).
  Status walk(const std::string& requested, const std::string& copy_dir) {
    struct Dir {
      std::string alloc_path;
      std::string name;  // relative to the copy ("out", "out/sub")
    };
    std::vector<Dir> stack;
    auto top = fs_.ls(out_.alloc_id, copy_dir, query_);
    if (!top) {
      return top.error();
    }
    std::size_t listed = 0;
    bool incomplete = false;
    auto visit = [&](std::vector<nomad::AllocFileInfo> entries, const std::string& alloc_dir,
                     const std::string& prefix) -> Status {
      std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name > b.name; });
      // Files first, in name order (the reverse sort above is for the stack).
      for (auto it = entries.rbegin(); it != entries.rend() && !incomplete; ++it) {
        const std::string alloc_path = alloc_dir + "/" + it->name;
        const std::string name = prefix.empty() ? it->name : prefix + "/" + it->name;
        if (it->is_dir) {
          continue;
        }
        if (!it->file_mode.starts_with("-")) {
          continue;
        }
        if (files_ >= k_report_max_files || kept_ >= k_report_total_bytes) {
          incomplete = true;
          break;
        }
        const std::uint64_t keep = std::min({it->size, k_report_file_bytes, k_report_total_bytes - kept_});
        std::string bytes;
        if (keep > 0) {
          auto read = fs_.read_at(out_.alloc_id, alloc_path, 0, static_cast<std::size_t>(keep), query_);
          if (!read) {
            return read.error();
          }
          bytes = std::move(*read);
        }
        ReportFile file{.task = task_,
                        .path = report_entry_path(requested, name),
                        .status = bytes.size() < it->size ? "truncated" : "ok",
                        .size = it->size,
                        .kept = bytes.size(),
                        .index = out_.alloc_paths.size()};
        file.junit = junit_report(file.path, bytes);
        kept_ += bytes.size();
        ++files_;
        out_.files.push_back(std::move(file));
        out_.alloc_paths.push_back(alloc_path);
      }
      for (const auto& e : entries) {
        if (e.is_dir) {
          stack.push_back({alloc_dir + "/" + e.name, prefix.empty() ? e.name : prefix + "/" + e.name});
        }
      }
      return {};
    };
    if (auto ok = visit(std::move(*top), copy_dir, ""); !ok) {
      return ok;
    }
    while (!stack.empty() && !incomplete) {
      if (++listed > k_max_dirs) {
        incomplete = true;
        break;
      }
      const Dir dir = std::move(stack.back());
      stack.pop_back();
      auto entries = fs_.ls(out_.alloc_id, dir.alloc_path, query_);
      if (!entries) {
        return entries.error();
      }
      if (auto ok = visit(std::move(*entries), dir.alloc_path, dir.name); !ok) {
        return ok;
      }
    }
    if (incomplete) {
      add_status(requested, "incomplete", std::string(k_report_incomplete_message));
    }
    return {};
  }

  nomad::Fs& fs_;
  const nomad::QueryOptions& query_;
  std::string task_;
  nomad::TaskReports out_;
  std::size_t files_ = 0;
  std::uint64_t kept_ = 0;
};

}  // namespace

Result<std::vector<ReportFile>> NomadExecutor::reports(const PhaseId& id) {
  std::vector<ReportFile> out;
  if (id.phase != Phase::test) {
    return out;
  }
  const std::string name = specs::nomad_job_id(id);
  // Once every task's reports were read, nothing is asked of Nomad.
  if (auto groups = memory_.groups(name)) {
    bool all = !groups->empty();
    std::vector<ReportFile> kept;
    for (const auto& g : *groups) {
      auto r = memory_.reports(name, g);
      if (!r) {
        all = false;
        break;
      }
      kept.insert(kept.end(), r->files.begin(), r->files.end());
    }
    if (all) {
      return kept;
    }
  }
  auto allocs = allocations_of(name);
  if (!allocs) {
    return allocs.error();
  }
  std::vector<std::string> tasks;
  for (const auto& a : *allocs) {
    for (const auto& [task, state] : a.task_states) {
      tasks.push_back(task);
    }
  }
  std::sort(tasks.begin(), tasks.end());
  tasks.erase(std::unique(tasks.begin(), tasks.end()), tasks.end());
  std::optional<std::vector<std::string>> paths;
  nomad::Fs fs(client_);
  const nomad::QueryOptions q = query();
  for (const auto& task : tasks) {
    const nomad::Allocation* alloc = nomad::newest_with_task(*allocs, task);
    if (alloc == nullptr || alloc->task_states.at(task).state != "dead") {
      continue;  // read when it has ended
    }
    auto known = memory_.reports(name, task);
    if (!known || known->alloc_id != alloc->id) {
      if (!paths) {
        nomad::Jobs jobs(client_);
        auto info = jobs.info(name, q);
        if (!info) {
          return info.error().kind == ErrorKind::not_found ? Result<std::vector<ReportFile>>(out)
                                                           : info.error();
        }
        memory_.remember_groups(name, info->value.task_groups);
        paths = report_paths(info->value);
      }
      auto read = Collector(fs, q, task, alloc->id).run(*paths);
      if (!read) {
        return read.error();
      }
      memory_.remember_reports(name, task, *read);
      known = std::move(*read);
    }
    out.insert(out.end(), known->files.begin(), known->files.end());
  }
  return out;
}

Result<LogChunk> NomadExecutor::read_report(const PhaseId& id, const std::string& task, std::size_t index,
                                            std::uint64_t offset, std::size_t max_bytes) {
  const std::string name = specs::nomad_job_id(id);
  auto known = memory_.reports(name, task);
  if (!known) {
    if (auto listed = reports(id); !listed) {
      return listed.error();
    }
    known = memory_.reports(name, task);
  }
  const ReportFile* file = nullptr;
  if (known) {
    for (const auto& f : known->files) {
      if ((f.status == "ok" || f.status == "truncated") && f.index == index) {
        file = &f;
      }
    }
  }
  if (file == nullptr || index >= known->alloc_paths.size()) {
    return make_error(ErrorKind::not_found, "path: no report of task '" + task + "' in " + id.name());
  }
  // What was kept of it, as on the local executor: a truncated file ends at its cap.
  LogChunk chunk;
  chunk.total_size = file->kept;
  chunk.offset = std::min(offset, chunk.total_size);
  const std::size_t wanted =
      static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, chunk.total_size - chunk.offset));
  if (wanted == 0) {
    return chunk;
  }
  nomad::Fs fs(client_);
  auto bytes = fs.read_at(known->alloc_id, known->alloc_paths[index], chunk.offset, wanted, query());
  if (!bytes) {
    return bytes.error().kind == ErrorKind::invalid_argument || bytes.error().kind == ErrorKind::not_found
               ? make_error(ErrorKind::not_found, "path: the report of task '" + task + "' in " + id.name() +
                                                      " is gone from Nomad (" + bytes.error().message + ")")
               : bytes.error();
  }
  chunk.bytes = std::move(*bytes);
  return chunk;
}

}  // namespace nbs::jobs
