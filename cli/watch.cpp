#include "cli/watch.hpp"

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

namespace nbs::cli {

namespace json = boost::json;
using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Redraws the live line every second so that the elapsed time moves while a long poll is pending.
class Ticker {
 public:
  explicit Ticker(ProgressDisplay& display)
      : thread_([this, &display](const std::stop_token& stop) {
          std::unique_lock lock(mutex_);
          while (!cv_.wait_for(lock, stop, 1s, [] { return false; })) {
            if (stop.stop_requested()) {
              return;
            }
            display.tick();
          }
        }) {}

 private:
  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::jthread thread_;  // last: stopped and joined before the members it uses go
};

std::string status_of(const json::object& answer) {
  const json::value* v = answer.if_contains("status");
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool worth_retrying(const Error& error) {
  return error.kind == ErrorKind::unavailable || error.kind == ErrorKind::timeout;
}

}  // namespace

Result<json::object> watch_job(const DaemonClient& client, Console& console, const std::string& job_id,
                               const WatchOptions& options) {
  const auto start = Steady::now();
  const std::optional<Steady::time_point> deadline =
      options.limit ? std::optional(start + *options.limit) : std::nullopt;
  ProgressDisplay display(console.out, console.display, console.width);
  std::optional<Ticker> ticker;
  Steady::time_point failing_since{};  // when the daemon stopped answering
  bool failing = false;
  std::optional<json::object> last;
  std::string last_text;
  int wait = 0;  // the first answer comes at once, so the display starts with the current state
  while (true) {
    if (deadline && last) {
      const auto left = std::chrono::ceil<std::chrono::seconds>(*deadline - Steady::now());
      if (left <= 0s) {
        break;
      }
      wait = std::min<int>(wait, static_cast<int>(left.count()));
    }
    auto answer = client.status(job_id, wait);
    if (!answer || !answer->is_object()) {
      Error error = answer ? make_error(ErrorKind::internal, "getStatus: the answer is not a JSON object")
                           : answer.error();
      // Only a daemon that has answered before is waited for (a restart); one never reached is an error.
      const bool give_up = !worth_retrying(error) || !last ||
                           (failing && Steady::now() - failing_since > options.reconnect_for);
      if (give_up) {
        ticker.reset();
        display.finish();
        return error;
      }
      if (!failing) {
        failing = true;
        failing_since = Steady::now();
      }
      console.pause(2s);
      continue;
    }
    failing = false;
    last = std::move(answer->get_object());
    if (is_final_status(status_of(*last))) {
      break;  // the summary says it
    }
    if (!console.json()) {
      display.update(*last);
      if (console.display == DisplayMode::live && !ticker) {
        ticker.emplace(display);
      }
    }
    // getStatus waits for a change from what the job was when the call began, not from what this loop
    // last saw: after a change, look once more without waiting, so a stage that began in between is
    // shown rather than waited through.
    std::string text = progress_text(status_view(*last));
    wait = text == last_text ? options.poll_seconds : 0;
    last_text = std::move(text);
  }
  ticker.reset();
  display.clear();  // the summary takes the live line's place
  return std::move(*last);
}

}  // namespace nbs::cli
