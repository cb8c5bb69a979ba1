#include "runner/buildah_output.hpp"

#include <algorithm>
#include <charconv>

namespace nbs::runner {
namespace {

// Reads "<int>/<int>" at the start of `text`, advancing it.
bool read_fraction(std::string_view& text, int& a, int& b) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return false;
  }
  auto r1 = std::from_chars(text.data(), text.data() + slash, a);
  if (r1.ec != std::errc() || r1.ptr != text.data() + slash) {
    return false;
  }
  auto r2 = std::from_chars(text.data() + slash + 1, text.data() + text.size(), b);
  if (r2.ec != std::errc() || r2.ptr == text.data() + slash + 1) {
    return false;
  }
  text.remove_prefix(static_cast<std::size_t>(r2.ptr - text.data()));
  return a >= 1 && b >= a;
}

bool consume(std::string_view& text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) != prefix) {
    return false;
  }
  text.remove_prefix(prefix.size());
  return true;
}

}  // namespace

std::optional<StepLine> parse_step_line(std::string_view line) {
  StepLine s;
  if (consume(line, "[")) {
    if (!read_fraction(line, s.stage, s.stages) || !consume(line, "] ")) {
      return std::nullopt;
    }
  }
  if (!consume(line, "STEP ") || !read_fraction(line, s.step, s.steps) || !consume(line, ":")) {
    return std::nullopt;
  }
  consume(line, " ");
  s.instruction = std::string(line);
  return s;
}

bool is_cache_hit(std::string_view line) {
  return line.substr(0, 16) == "--> Using cache ";
}

std::optional<int> parse_failed_exit_status(std::string_view line) {
  if (line.substr(0, 7) != "Error: ") {
    return std::nullopt;
  }
  constexpr std::string_view k_marker = "exit status ";
  auto at = line.rfind(k_marker);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  int status = 0;
  auto rest = line.substr(at + k_marker.size());
  auto r = std::from_chars(rest.data(), rest.data() + rest.size(), status);
  if (r.ec != std::errc()) {
    return std::nullopt;
  }
  return status;
}

std::string buildah_error_line(std::string_view output) {
  const auto at = output.rfind("Error: ");
  if (at == std::string_view::npos) {
    return {};
  }
  const auto start = at + 7;
  return std::string(output.substr(start, output.find('\n', start) - start));
}

std::string step_event_text(const StepLine& step) {
  if (!step.stage_label.empty()) {
    return "[" + step.stage_label + "] " + step.instruction;
  }
  if (step.stages > 0) {
    return "[" + std::to_string(step.stage) + "/" + std::to_string(step.stages) + "] " + step.instruction;
  }
  return step.instruction;
}

std::optional<StepLine> BuildOutputTracker::feed(LogStream, std::string_view line) {
  if (auto step = parse_step_line(line)) {
    const auto* planned = plan_ ? plan_->find(step->stage) : nullptr;
    // The Dockerfile's own steps of this stage: the plan's count, or without one Buildah's less the
    // LABEL steps it appends to the last stage.
    const bool last_stage = step->stages == 0 || step->stage == step->stages;
    const int own_steps = planned      ? planned->steps
                          : last_stage ? std::max(step->steps - label_steps_, 0)
                                       : step->steps;
    in_label_step_ = step->step > own_steps;
    if (in_label_step_) {
      return std::nullopt;
    }
    const int buildah_steps = step->steps;
    step->steps = own_steps;
    ++steps_seen_;
    step->overall_step = step->step;
    step->overall_steps = step->steps;
    if (plan_) {
      // Buildah prints each step's header once, whatever order it builds the stages in.
      step->overall_step = steps_seen_;
      step->overall_steps = std::max(plan_->total_steps, steps_seen_);
      if (planned) {
        const bool show = planned->named || step->stages > 0;
        step->stage_label = show ? planned->label : "";
        if (step->step <= static_cast<int>(planned->lines.size())) {
          step->line = planned->lines[static_cast<std::size_t>(step->step - 1)];
        }
      }
    }
    current_step_ = std::string(line);
    if (buildah_steps != own_steps) {
      // Buildah's m counts the LABEL steps it adds for --label: a failing step's header says what the
      // Dockerfile has ("STEP 3/4", not "STEP 3/7").
      const std::string counted =
          "STEP " + std::to_string(step->step) + "/" + std::to_string(buildah_steps) + ":";
      if (const auto at = current_step_.find(counted); at != std::string::npos) {
        current_step_.replace(at, counted.size(),
                              "STEP " + std::to_string(step->step) + "/" + std::to_string(own_steps) + ":");
      }
    }
    last_step_ = step;
    step_lines_.clear();
    return step;
  }
  if (is_cache_hit(line) && !in_label_step_) {
    ++cached_;
  }
  if (auto status = parse_failed_exit_status(line)) {
    failed_status_ = status;
  }
  step_lines_.emplace_back(line);
  if (step_lines_.size() > k_max_excerpt_lines) {
    step_lines_.pop_front();
  }
  return std::nullopt;
}

std::string BuildOutputTracker::failure_excerpt() const {
  std::string out = current_step_;
  for (const auto& line : step_lines_) {
    if (!out.empty()) {
      out += '\n';
    }
    out += line;
  }
  return out;
}

}  // namespace nbs::runner
