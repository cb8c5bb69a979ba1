#include "cli/progress_display.hpp"

#include "cli/exit_code.hpp"
#include "cli/json_fields.hpp"

namespace nbs::cli {

namespace json = boost::json;

namespace {

long long integer_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && (v->is_int64() || v->is_uint64()) ? v->to_number<long long>() : 0;
}

std::optional<SystemTime> time_at(const json::object& times, std::string_view key) {
  const std::string text = string_at(times, key);
  return text.empty() ? std::nullopt : parse_utc(text);
}

// Cuts to `width` characters, counting a UTF-8 sequence as one and never splitting it.
std::string cut_to_width(const std::string& text, std::size_t width) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xC0) != 0x80 && ++chars > width) {
      return text.substr(0, i);
    }
  }
  return text;
}

}  // namespace

StatusView status_view(const json::object& answer) {
  StatusView view;
  view.job_id = string_at(answer, "job_id");
  view.status = string_at(answer, "status");
  view.phase = string_at(answer, "phase");
  view.waiting_reason = string_at(answer, "waiting_reason");
  if (const json::value* p = answer.if_contains("progress"); p != nullptr && p->is_object()) {
    view.step = integer_at(p->get_object(), "step");
    view.steps = integer_at(p->get_object(), "steps");
    view.step_text = string_at(p->get_object(), "text");
  }
  if (const json::value* t = answer.if_contains("times"); t != nullptr && t->is_object()) {
    view.started = time_at(t->get_object(), "job_start");
    view.ended = time_at(t->get_object(), "job_end");
  }
  return view;
}

std::string format_elapsed(std::chrono::seconds elapsed) {
  const long long total = std::max<long long>(0, elapsed.count());
  const long long h = total / 3600;
  const long long m = total / 60 % 60;
  const long long s = total % 60;
  auto two = [](long long n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  if (h > 0) {
    return std::to_string(h) + "h" + two(m) + "m" + two(s) + "s";
  }
  if (m > 0) {
    return std::to_string(m) + "m" + two(s) + "s";
  }
  return std::to_string(s) + "s";
}

std::chrono::seconds job_elapsed(const StatusView& view, SystemTime now) {
  if (!view.started) {
    return std::chrono::seconds(0);
  }
  const SystemTime end = view.ended.value_or(now);
  return std::max(std::chrono::seconds(0),
                  std::chrono::duration_cast<std::chrono::seconds>(end - *view.started));
}

std::string progress_text(const StatusView& view) {
  std::string text = view.status.empty() ? "UNKNOWN" : view.status;
  if (is_final_status(view.status)) {
    return text;
  }
  if (!view.phase.empty()) {
    text += " " + view.phase;
  }
  if (view.steps > 0) {
    text += "  STEP " + std::to_string(view.step) + "/" + std::to_string(view.steps);
    if (!view.step_text.empty()) {
      text += " " + view.step_text;
    }
  } else if (!view.waiting_reason.empty()) {
    text += "  (" + view.waiting_reason + ")";
  }
  return text;
}

std::string live_line(const StatusView& view, std::chrono::seconds elapsed, std::size_t width) {
  const std::string time = "  " + format_elapsed(elapsed);
  std::string text = progress_text(view);
  if (width > 0) {
    // The time stays visible: the text gives way first.
    text = cut_to_width(text, width > time.size() ? width - time.size() : 0);
    return cut_to_width(text + time, width);
  }
  return text + time;
}

std::string plain_line(const StatusView& view, std::chrono::seconds elapsed) {
  return "[" + format_elapsed(elapsed) + "] " + progress_text(view);
}

ProgressDisplay::ProgressDisplay(std::ostream& out, DisplayMode mode, std::size_t width, Clock now)
    : out_(out), mode_(mode), width_(width), now_(std::move(now)) {}

void ProgressDisplay::update(const json::object& answer) {
  std::lock_guard guard(mutex_);
  view_ = status_view(answer);
  const std::string text = progress_text(*view_);
  if (mode_ == DisplayMode::plain) {
    if (text != last_text_) {
      out_ << plain_line(*view_, job_elapsed(*view_, now_())) << std::endl;
    }
  } else {
    draw_locked();
  }
  last_text_ = text;
}

void ProgressDisplay::tick() {
  std::lock_guard guard(mutex_);
  if (mode_ == DisplayMode::live && view_) {
    draw_locked();
  }
}

void ProgressDisplay::finish() {
  std::lock_guard guard(mutex_);
  if (line_open_) {
    out_ << "\n" << std::flush;
    line_open_ = false;
  }
}

void ProgressDisplay::clear() {
  std::lock_guard guard(mutex_);
  if (line_open_) {
    out_ << "\r\033[K" << std::flush;
    line_open_ = false;
  }
}

void ProgressDisplay::draw_locked() {
  // Carriage return, then erase to the end of the line (ANSI EL).
  out_ << "\r\033[K" << live_line(*view_, job_elapsed(*view_, now_()), width_) << std::flush;
  line_open_ = true;
}

}  // namespace nbs::cli
