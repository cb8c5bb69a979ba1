// nbs: the command-line client of nbs-mcpd's REST mirror. See cli/README.md for the commands and
// the exit codes; this file only wires the command line to them.
#include <cstdlib>
#include <iostream>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/logs_command.hpp"

namespace {

using namespace nbs;
using namespace nbs::cli;

// A live progress line is open when Ctrl-C arrives: end it, so the shell prompt starts on its own line.
extern "C" void on_interrupt(int signal) {
  const char newline = '\n';
  [[maybe_unused]] auto written = ::write(STDOUT_FILENO, &newline, 1);
  ::raise(signal);  // SA_RESETHAND restored the default action: die of the signal, as expected
}

void set_up_terminal(Console& console) {
  const char* term = std::getenv("TERM");
  if (console.json() || ::isatty(STDOUT_FILENO) == 0 ||
      (term != nullptr && std::string_view(term) == "dumb")) {
    return;
  }
  console.display = DisplayMode::live;
  struct winsize size {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    console.width = size.ws_col - 1u;  // the last column would wrap on some terminals
  }
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &sa, nullptr);
}

std::string help_footer() {
  return "\nThe options --url, --token, --ca-file and --json may also follow the command.\n"
         "Environment: NBS_URL (--url), NBS_TOKEN (--token), NBS_CA_FILE (--ca-file).\n" +
         std::string(exit_code_help());
}

}  // namespace

// What can throw outside the two trys below is CLI11's set-up of the options (on a duplicate name: a bug
// that every run shows) and std::bad_alloc; std::terminate is the right end for both.
// NOLINTNEXTLINE(bugprone-exception-escape): only a bug or an exhausted heap throws outside the trys
int main(int argc, char** argv) {
  CLI::App app{"nbs: submit and follow Nomad Build Service jobs (the client of nbs-mcpd's REST mirror)",
               "nbs"};
  app.require_subcommand(1);
  app.fallthrough();  // the global options may also come after the subcommand and its arguments
  app.footer(help_footer());
  app.set_version_flag("--version", std::string("nbs ") + NBS_VERSION);
  DaemonOptions daemon;
  bool json_output = false;
  app.add_option("--url", daemon.url, "the daemon's base URL")->envname("NBS_URL")->capture_default_str();
  app.add_option("--token", daemon.token, "bearer token for the daemon")->envname("NBS_TOKEN");
  app.add_option("--ca-file", daemon.ca_file, "PEM CA bundle to verify an https daemon")
      ->envname("NBS_CA_FILE");
  app.add_flag("--json", json_output, "print the daemon's answer as one JSON document (for scripts)");

  SubmitOptions submit;
  bool submit_watch = false;
  std::string image_tags;
  auto* submit_cmd = app.add_subcommand("submit", "submit a job file; prints the job id");
  submit_cmd->add_option("job", submit.job.job_path, "the job file (YAML or JSON), or - for standard input")
      ->required();
  submit_cmd->add_option("--global", submit.job.global_path,
                         "YAML or JSON defaults merged under the job file (the job file wins, maps merge)");
  auto* tags_option =
      submit_cmd->add_option("--image-tags", image_tags, "comma-separated tags; replaces image_tags");
  submit_cmd->add_flag("--watch,-w", submit_watch, "follow the job to its end; exit with its outcome");

  std::string job_id;
  int wait_seconds = -1;
  auto* status_cmd = app.add_subcommand("status", "show a job's status");
  status_cmd->add_option("id", job_id, "the job id")->required();
  status_cmd->add_option("--wait", wait_seconds, "follow the job up to S seconds; exit with its outcome")
      ->check(CLI::NonNegativeNumber);

  auto* watch_cmd = app.add_subcommand("watch", "follow a job to its end; exit with its outcome");
  watch_cmd->add_option("id", job_id, "the job id")->required();

  LogsOptions logs;
  bool follow = false;
  int tail = 0;
  int context = 0;
  auto* logs_cmd = app.add_subcommand("logs", "print a phase's log (default: the failed or current phase)");
  logs_cmd->add_option("id", logs.job_id, "the job id")->required();
  logs_cmd->add_option("--phase", logs.phase, "build, test, publish or cleanup")
      ->check(CLI::IsMember({"build", "test", "publish", "cleanup"}));
  logs_cmd->add_option("--task", logs.task, "one task of the phase, e.g. cmd-1 or entry-point");
  auto* tail_option =
      logs_cmd->add_option("--tail", tail, "the last N lines (default 200)")->check(CLI::Range(0, 2000));
  auto* grep_option = logs_cmd->add_option(
      "--grep", logs.grep,
      "lines matching this RE2 regular expression (linear time; no backreferences or lookaround)");
  logs_cmd->add_option("--context", context, "with --grep: lines of context around each match")
      ->check(CLI::Range(0, 10))
      ->needs(grep_option);
  tail_option->excludes(grep_option);
  logs_cmd->add_flag("--follow,-f", follow, "keep printing new lines until the phase ends");

  auto* kill_cmd = app.add_subcommand("kill", "stop a job (it ends KILLED)");
  kill_cmd->add_option("id", job_id, "the job id")->required();

  bool cleanup_all = false;
  auto* cleanup_cmd =
      app.add_subcommand("cleanup", "remove a finished job's phases and logs (its record stays)");
  auto* cleanup_id = cleanup_cmd->add_option("id", job_id, "a finished job");
  auto* all_flag = cleanup_cmd->add_flag(
      "--all", cleanup_all,
      "instead: the phases of every finished job, and records beyond the history limit");
  cleanup_id->excludes(all_flag);

  HistoryOptions history;
  auto* history_cmd = app.add_subcommand("history", "list finished jobs, newest first");
  history_cmd->add_option("--owner", history.owner, "only this owner's jobs");
  history_cmd->add_option("--limit", history.limit, "at most N jobs (1-100, default 10)");
  history_cmd->add_option("--offset", history.offset, "skip the newest K jobs");

  auto* health_cmd = app.add_subcommand("health", "check that the daemon is alive and ready");

  try {
    app.parse(argc, argv);
    if (*cleanup_cmd && job_id.empty() && !cleanup_all) {
      throw CLI::ValidationError("cleanup: give a job id or --all");
    }
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : to_int(ExitCode::usage);
  }
  submit.watch = submit_watch ? Watch::yes : Watch::no;
  if (*tags_option) {
    submit.job.image_tags = image_tags;
  }
  if (*tail_option) {
    logs.tail = tail;
  }
  if (context > 0) {
    logs.context = context;
  }
  logs.follow = follow ? Follow::yes : Follow::no;

  Console console;
  console.format = json_output ? OutputFormat::json : OutputFormat::human;
  set_up_terminal(console);
  try {
    auto client = DaemonClient::create(daemon);
    if (!client) {
      return to_int(report_error(console, client.error()));
    }
    if (*submit_cmd) {
      return to_int(submit_command(*client, console, submit));
    }
    if (*status_cmd) {
      std::optional<WatchOptions> wait;
      if (wait_seconds >= 0) {
        wait.emplace();
        wait->limit = std::chrono::seconds(wait_seconds);
      }
      return to_int(status_command(*client, console, job_id, wait));
    }
    if (*watch_cmd) {
      return to_int(status_command(*client, console, job_id, WatchOptions{}));
    }
    if (*logs_cmd) {
      return to_int(logs_command(*client, console, logs));
    }
    if (*kill_cmd) {
      return to_int(kill_command(*client, console, job_id));
    }
    if (*cleanup_cmd) {
      return to_int(cleanup_command(*client, console, cleanup_all ? "" : job_id));
    }
    if (*history_cmd) {
      return to_int(history_command(*client, console, history));
    }
    (void)health_cmd;
    return to_int(health_command(*client, console));
  } catch (const std::exception& e) {
    std::cerr << "nbs: internal error: " << e.what() << "\n";
    return to_int(ExitCode::unavailable);
  }
}
