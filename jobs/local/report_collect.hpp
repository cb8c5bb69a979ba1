// Copies a test's report files out of its container once the test ended, then removes the container:
// what nbs-task-supervisor does for a test task with `test.reports`, before it writes the task's exit
// file, so that the daemon sees the task end only with its reports in place (and a daemon restart in
// between loses nothing). Standard library and POSIX only, as the supervisor links nothing else.
//
// The manifest (reports/manifest), one tab-separated line per report, written whole at the end:
//   file <n> <size> <kept bytes> <path>     the first bytes of <path> are in reports/<n>
//   missing <path>                          the container has nothing at a requested path
//   error <path> <message>                  podman could not copy it (the message is its stderr)
//   incomplete <path>                       a cap was reached: entries under <path> were not read
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "jobs/local/report_tar.hpp"

namespace nbs::jobs {

struct ReportCollection {
  std::vector<std::string> podman;  // the program, then its global options (the storage)
  std::string container;
  std::string dir;  // created (0700) if needed; the files and the manifest go there
  std::vector<std::string> paths;
  TarLimits limits;                  // for the task's reports together
  std::chrono::seconds timeout{60};  // for each podman command
};

// Runs `podman cp <container>:<path> -` for each path and `podman rm --force <container>` at the end, in
// children that call `become_user` (false: it failed, the child exits 127) before exec, with `envp`.
void collect_reports(const ReportCollection& collection, char* const* envp,
                     const std::function<bool()>& become_user);

}  // namespace nbs::jobs
