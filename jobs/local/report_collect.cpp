#include "jobs/local/report_collect.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fd.hpp"

namespace nbs::jobs {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t k_max_stderr = 4096;

bool write_file(const std::string& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return false;
  }
  write_all(fd, content);
  ::close(fd);
  return true;
}

// The manifest is line- and tab-separated: a name from the archive must not break it.
std::string one_field(std::string_view text) {
  std::string out(text);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
  return out;
}

struct Child {
  pid_t pid = -1;
  int out = -1;  // its stdout, or -1
  int err = -1;  // its stderr
};

Child start(const std::vector<std::string>& args, char* const* envp, const std::function<bool()>& become_user,
            bool capture_stdout) {
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  if (capture_stdout && ::pipe2(out, O_CLOEXEC) != 0) {
    return {};
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    if (capture_stdout) {
      ::close(out[0]);
      ::close(out[1]);
    }
    return {};
  }
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(capture_stdout ? out[1] : null, 1);
    ::dup2(err[1], 2);
    if (become_user()) {
      ::execve(argv[0], argv.data(), envp);
    }
    ::_exit(127);
  }
  ::close(err[1]);
  if (capture_stdout) {
    ::close(out[1]);
  }
  if (pid < 0) {
    ::close(err[0]);
    if (capture_stdout) {
      ::close(out[0]);
    }
    return {};
  }
  return Child{pid, capture_stdout ? out[0] : -1, err[0]};
}

struct Finished {
  int status = -1;  // as waitpid reports it
  std::string err;
  bool timed_out = false;
};

// Reads the child's stdout into `reader` (when it has one) and up to k_max_stderr of its stderr, until
// both end or `timeout`; a reader that wants nothing more gets its stream closed (podman then stops on
// EPIPE). Kills the child on timeout.
Finished finish(Child child, TarReader* reader, std::chrono::seconds timeout) {
  Finished f;
  const auto deadline = Clock::now() + timeout;
  char buf[65536];
  while (child.out >= 0 || child.err >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      f.timed_out = true;
      ::kill(child.pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{.fd = child.out, .events = POLLIN, .revents = 0},
                     {.fd = child.err, .events = POLLIN, .revents = 0}};
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      break;
    }
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? child.out : child.err;
      if (fd < 0 || fds[i].revents == 0) {
        continue;
      }
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      bool close_it = n <= 0;
      if (n > 0 && i == 0) {
        close_it = !reader->feed(std::string_view(buf, static_cast<std::size_t>(n)));
      } else if (n > 0 && f.err.size() < k_max_stderr) {
        f.err.append(buf, std::min(static_cast<std::size_t>(n), k_max_stderr - f.err.size()));
      }
      if (close_it) {
        ::close(fd);
        fd = -1;
      }
    }
  }
  for (int fd : {child.out, child.err}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  while (::waitpid(child.pid, &f.status, 0) < 0 && errno == EINTR) {
  }
  return f;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

void collect_reports(const ReportCollection& c, char* const* envp, const std::function<bool()>& become_user) {
  const auto podman = [&](std::initializer_list<std::string> rest) {
    std::vector<std::string> argv = c.podman;
    argv.insert(argv.end(), rest.begin(), rest.end());
    return argv;
  };
  ::mkdir(c.dir.c_str(), 0700);
  std::string manifest;
  std::size_t index = 0;
  TarLimits left = c.limits;
  for (const auto& path : c.paths) {
    TarReader reader(left);
    const Child child = start(podman({"cp", c.container + ":" + path, "-"}), envp, become_user, true);
    if (child.pid < 0) {
      manifest += "error\t" + one_field(path) + "\tcannot start podman\n";
      continue;
    }
    const Finished f = finish(child, &reader, c.timeout);
    for (const TarFile& file : reader.files()) {
      const std::string stored = c.dir + "/" + std::to_string(index);
      if (!write_file(stored, file.data)) {
        manifest += "error\t" + one_field(report_entry_path(path, file.name)) + "\tcannot store it\n";
        continue;
      }
      manifest += "file\t" + std::to_string(index++) + "\t" + std::to_string(file.size) + "\t" +
                  std::to_string(file.data.size()) + "\t" + one_field(report_entry_path(path, file.name)) +
                  "\n";
    }
    left.total_bytes -= std::min(left.total_bytes, reader.kept_bytes());
    left.max_files -= std::min(left.max_files, reader.files().size());
    const bool exited_ok = WIFEXITED(f.status) && WEXITSTATUS(f.status) == 0;
    if (reader.incomplete() || (!reader.files().empty() && !reader.complete() && !exited_ok)) {
      manifest += "incomplete\t" + one_field(path) + "\n";
    } else if (f.timed_out) {
      manifest += "error\t" + one_field(path) + "\tpodman cp did not finish in " +
                  std::to_string(c.timeout.count()) + " s\n";
    } else if (reader.files().empty() && f.err.find("could not be found") != std::string::npos) {
      manifest += "missing\t" + one_field(path) + "\n";
    } else if (reader.files().empty() && !exited_ok) {
      manifest += "error\t" + one_field(path) + "\t" + one_field(trimmed(f.err)) + "\n";
    } else if (!reader.error().empty()) {
      manifest += "error\t" + one_field(path) + "\t" + reader.error() + "\n";
    }
  }
  // The container stays after `podman run` only for the copies above.
  const Child rm = start(podman({"rm", "--force", "--time", "0", c.container}), envp, become_user, false);
  if (rm.pid >= 0) {
    finish(rm, nullptr, c.timeout);
  }
  const std::string tmp = c.dir + "/manifest.tmp";
  if (write_file(tmp, manifest)) {
    ::rename(tmp.c_str(), (c.dir + "/manifest").c_str());
  }
}

}  // namespace nbs::jobs
