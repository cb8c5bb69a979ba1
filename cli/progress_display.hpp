// The live view of a job while `nbs submit --watch` or `nbs status --wait` follows it. On a terminal
// one line is rewritten in place (status, phase, buildah STEP n/m, elapsed time); otherwise a plain
// line is printed only when something other than the time changed.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

#include <boost/json/object.hpp>

#include "common/clock.hpp"

namespace nbs::cli {

// What the display reads from a getStatus answer (missing fields stay empty).
struct StatusView {
  std::string job_id;
  std::string status;
  std::string phase;
  std::string waiting_reason;
  long long step = 0;  // buildah STEP step/steps, 0 when unknown
  long long steps = 0;
  std::string step_text;
  std::optional<SystemTime> started;  // times.job_start
  std::optional<SystemTime> ended;    // times.job_end
};

StatusView status_view(const boost::json::object& answer);

// "7s", "1m05s", "2h03m09s".
std::string format_elapsed(std::chrono::seconds elapsed);

// From the job's start to its end, or to `now` while it runs; never negative; 0 before it starts.
std::chrono::seconds job_elapsed(const StatusView& view, SystemTime now);

// The part of the line that is not the time: "BUILDING build  STEP 3/7 RUN make", "PENDING  (waiting
// for the build lock)". A final status stands alone ("SUCCEEDED").
std::string progress_text(const StatusView& view);

// The in-place line: progress_text plus "  1m05s", cut to `width` characters (0: no limit) so that it
// never wraps.
std::string live_line(const StatusView& view, std::chrono::seconds elapsed, std::size_t width);

// The plain line: "[1m05s] " plus progress_text.
std::string plain_line(const StatusView& view, std::chrono::seconds elapsed);

enum class DisplayMode { live, plain };

// Thread-safe: a ticker may call tick() while the watch loop calls update().
class ProgressDisplay {
 public:
  using Clock = std::function<SystemTime()>;
  ProgressDisplay(std::ostream& out, DisplayMode mode, std::size_t width = 0, Clock now = now_utc);

  // Shows a new getStatus answer (plain mode: only when progress_text changed).
  void update(const boost::json::object& answer);
  // Live mode: redraws the line with the current elapsed time. Plain mode: nothing.
  void tick();
  // Live mode: ends the line so that what follows starts on a fresh one.
  void finish();
  // Live mode: erases the line (a summary takes its place).
  void clear();

 private:
  void draw_locked();

  std::mutex mutex_;
  std::ostream& out_;
  DisplayMode mode_;
  std::size_t width_;
  Clock now_;
  std::optional<StatusView> view_;
  std::string last_text_;
  bool line_open_ = false;
};

}  // namespace nbs::cli
