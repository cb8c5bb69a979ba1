#include "common/process.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "common/process_spawn.hpp"

namespace nbs {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// Splits one pipe's bytes into lines; a line too long is delivered in pieces.
class LineSplitter {
 public:
  LineSplitter(LogStream stream, std::size_t max_line) : stream_(stream), max_line_(max_line) {}

  void feed(std::string_view bytes, const LineHandler& on_line) {
    for (char c : bytes) {
      if (c == '\n') {
        flush(on_line);
        continue;
      }
      pending_ += c;
      if (pending_.size() >= max_line_) {
        flush(on_line);
      }
    }
  }

  void finish(const LineHandler& on_line) {
    if (!pending_.empty()) {
      flush(on_line);
    }
  }

 private:
  void flush(const LineHandler& on_line) {
    if (!pending_.empty() && pending_.back() == '\r') {
      pending_.pop_back();
    }
    on_line(stream_, pending_);
    pending_.clear();
  }

  LogStream stream_;
  std::size_t max_line_;
  std::string pending_;
};

// The stop state machine: when to send SIGTERM and SIGKILL to the group.
struct StopPlan {
  StopCause cause = StopCause::none;
  std::optional<TimePoint> term_at;
  std::optional<TimePoint> kill_at;
  bool term_sent = false;
  bool kill_sent = false;
};

int poll_timeout_ms(TimePoint now, std::initializer_list<std::optional<TimePoint>> wakeups) {
  int timeout = 200;  // also a periodic check that the child has not exited with its pipes held open
  for (const auto& at : wakeups) {
    if (!at) {
      continue;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*at - now).count();
    timeout = static_cast<int>(std::clamp<long long>(ms + 1, 0, timeout));
  }
  return timeout;
}

// Reads what is available; false at end of file.
bool drain(Fd& fd, LineSplitter& splitter, const LineHandler& on_line) {
  std::array<char, 16384> buf;
  while (true) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n > 0) {
      splitter.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)), on_line);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;
    }
    splitter.finish(on_line);
    fd.reset();
    return false;
  }
}

class Supervisor {
 public:
  Supervisor(SpawnedChild child, const LineHandler& on_line, const RunOptions& options)
      : child_(std::move(child)),
        on_line_(on_line),
        options_(options),
        out_(LogStream::out, options.max_line),
        err_(LogStream::err, options.max_line) {}

  RunResult run() {
    while (child_.out || child_.err || !status_) {
      auto now = SteadyClock::now();
      update_stop(now);
      if (!status_) {
        status_ = wait_child(child_.pid, true);
        if (status_) {
          reaped_at_ = now;
        }
      }
      // A grandchild may keep the pipes open after the child is gone: stop listening soon after.
      if (status_ && reaped_at_ && now - *reaped_at_ > std::chrono::seconds(2)) {
        break;
      }
      if (!child_.out && !child_.err) {
        if (!status_) {
          status_ = wait_child_until_stopped();
        }
        break;
      }
      poll_once(now);
    }
    out_.finish(on_line_);
    err_.finish(on_line_);
    return RunResult{.status = *status_, .stopped = plan_.cause};
  }

 private:
  void poll_once(TimePoint now) {
    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    for (Fd* fd : {&child_.out, &child_.err}) {
      fds[n++] = pollfd{.fd = fd->valid() ? fd->get() : -1, .events = POLLIN, .revents = 0};
    }
    bool watch_stop = options_.stop != nullptr && options_.stop->fd() >= 0 && plan_.cause == StopCause::none;
    fds[n++] = pollfd{.fd = watch_stop ? options_.stop->fd() : -1, .events = POLLIN, .revents = 0};
    int timeout = poll_timeout_ms(now, {options_.deadline, plan_.term_at, plan_.kill_at});
    int r = ::poll(fds.data(), n, timeout);
    if (r <= 0) {
      return;  // timeout or EINTR: the loop re-checks the clock and the child
    }
    // stdout before stderr within one wake-up; across wake-ups the order is the arrival order.
    if (fds[0].revents != 0 && child_.out) {
      drain(child_.out, out_, on_line_);
    }
    if (fds[1].revents != 0 && child_.err) {
      drain(child_.err, err_, on_line_);
    }
  }

  void update_stop(TimePoint now) {
    if (plan_.cause == StopCause::none) {
      if (options_.deadline && now >= *options_.deadline) {
        plan_.cause = StopCause::deadline;
        plan_.term_at = now;
      } else if (options_.stop != nullptr && options_.stop->requested()) {
        plan_.cause = StopCause::requested;
        plan_.term_at = now + options_.stop_delay;
      }
    } else if (plan_.cause == StopCause::requested && options_.deadline && now >= *options_.deadline &&
               !plan_.term_sent) {
      plan_.term_at = now;  // the deadline cuts a delayed stop short
    }
    if (status_) {
      return;  // reaped: the group id may be reused, send nothing
    }
    if (plan_.term_at && !plan_.term_sent && now >= *plan_.term_at) {
      ::kill(-child_.pid, SIGTERM);
      plan_.term_sent = true;
      plan_.kill_at = now + options_.kill_grace;
    }
    if (plan_.kill_at && !plan_.kill_sent && now >= *plan_.kill_at) {
      ::kill(-child_.pid, SIGKILL);
      plan_.kill_sent = true;
    }
  }

  // Both pipes are closed but the child still runs: keep enforcing the stop plan while waiting.
  ExitStatus wait_child_until_stopped() {
    while (true) {
      if (auto s = wait_child(child_.pid, true)) {
        return *s;
      }
      auto now = SteadyClock::now();
      update_stop(now);
      int timeout = poll_timeout_ms(now, {options_.deadline, plan_.term_at, plan_.kill_at});
      pollfd stop{.fd = options_.stop != nullptr && plan_.cause == StopCause::none ? options_.stop->fd() : -1,
                  .events = POLLIN,
                  .revents = 0};
      ::poll(&stop, 1, std::min(timeout, 50));
    }
  }

  SpawnedChild child_;
  const LineHandler& on_line_;
  const RunOptions& options_;
  LineSplitter out_;
  LineSplitter err_;
  StopPlan plan_;
  std::optional<ExitStatus> status_;
  std::optional<TimePoint> reaped_at_;
};

bool needs_quotes(std::string_view word) {
  if (word.empty()) {
    return true;
  }
  return std::any_of(word.begin(), word.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' || c == '\\' || c == '$' || c == '`';
  });
}

}  // namespace

std::string ExitStatus::describe() const {
  if (code) {
    return "exit code " + std::to_string(*code);
  }
  if (signal) {
    const char* name = ::strsignal(*signal);
    return "killed by signal " + std::to_string(*signal) + (name ? std::string(" (") + name + ")" : "");
  }
  return "unknown exit status";
}

Result<RunResult> run_process(const Command& command, const LineHandler& on_line, const RunOptions& options) {
  auto child = spawn_child(command);
  if (!child) {
    return child.error();
  }
  Supervisor supervisor(std::move(*child), on_line, options);
  return supervisor.run();
}

Result<Captured> capture_process(const Command& command, const RunOptions& options) {
  Captured captured;
  auto result = run_process(
      command,
      [&](LogStream stream, std::string_view line) {
        auto& target = stream == LogStream::err ? captured.err : captured.out;
        target.append(line);
        target += '\n';
      },
      options);
  if (!result) {
    return result.error();
  }
  captured.status = result->status;
  return captured;
}

std::string format_argv(const std::vector<std::string>& argv, const SecretMasker* masker) {
  std::string out;
  for (const auto& raw : argv) {
    std::string word = masker != nullptr ? masker->mask(raw) : raw;
    if (!out.empty()) {
      out += ' ';
    }
    if (!needs_quotes(word)) {
      out += word;
      continue;
    }
    out += '\'';
    for (char c : word) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += '\'';
  }
  return out;
}

}  // namespace nbs
