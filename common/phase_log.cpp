#include "common/phase_log.hpp"

#include <boost/json.hpp>

namespace nbs {

namespace json = boost::json;

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::phase_start:
      return "phase_start";
    case EventKind::step:
      return "step";
    case EventKind::line:
      return "line";
    case EventKind::error:
      return "error";
    case EventKind::result:
      return "result";
    case EventKind::phase_end:
      return "phase_end";
  }
  return "line";
}

std::string_view to_string(LogStream stream) {
  switch (stream) {
    case LogStream::out:
      return "stdout";
    case LogStream::err:
      return "stderr";
    case LogStream::none:
      break;
  }
  return "";
}

std::optional<EventKind> parse_event_kind(std::string_view text) {
  for (auto kind : {EventKind::phase_start, EventKind::step, EventKind::line, EventKind::error,
                    EventKind::result, EventKind::phase_end}) {
    if (to_string(kind) == text) {
      return kind;
    }
  }
  return std::nullopt;
}

std::string to_json_line(const PhaseEvent& e) {
  json::object o;
  o["ts"] = e.ts;
  o["job"] = e.job;
  o["phase"] = e.phase;
  o["seq"] = e.seq;
  o["kind"] = to_string(e.kind);
  if (e.stream != LogStream::none) {
    o["stream"] = to_string(e.stream);
  }
  if (!e.text.empty()) {
    o["text"] = e.text;
  }
  if (e.kind == EventKind::step) {
    o["step"] = e.step;
    o["steps"] = e.steps;
    if (!e.stage.empty()) {
      o["stage"] = e.stage;
    }
  }
  if (e.exit_code) {
    o["exit_code"] = *e.exit_code;
  }
  if (!e.digest.empty()) {
    o["digest"] = e.digest;
  }
  if (e.duration_ms) {
    o["duration_ms"] = *e.duration_ms;
  }
  if (!e.failure_class.empty()) {
    o["class"] = e.failure_class;
  }
  if (!e.location.empty()) {
    o["location"] = e.location;
  }
  return json::serialize(o);
}

namespace {

// Reads the optional field `key` of `o` into `out` if it has type T; records an error otherwise.
class FieldReader {
 public:
  explicit FieldReader(const json::object& o) : o_(o) {}

  void string(std::string_view key, std::string& out, bool required) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr) {
      if (required) {
        fail(key, "is required");
      }
      return;
    }
    if (!v->is_string()) {
      fail(key, "must be a string");
      return;
    }
    out = std::string(v->get_string());
  }

  std::optional<std::int64_t> integer(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr) {
      return std::nullopt;
    }
    if (v->is_int64()) {
      return v->get_int64();
    }
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
      return static_cast<std::int64_t>(v->get_uint64());
    }
    fail(key, "must be an integer");
    return std::nullopt;
  }

  void fail(std::string_view key, std::string reason) {
    errors_.push_back({std::string(key), std::move(reason)});
  }
  std::vector<FieldError>& errors() { return errors_; }

 private:
  const json::object& o_;
  std::vector<FieldError> errors_;
};

int to_int_clamped(std::int64_t v) {
  return static_cast<int>(std::clamp<std::int64_t>(v, INT32_MIN, INT32_MAX));
}

}  // namespace

Result<PhaseEvent> parse_phase_event(std::string_view line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec || !v.is_object()) {
    return make_error(ErrorKind::invalid_argument, "phase event: not a JSON object");
  }
  const json::object& o = v.get_object();
  FieldReader r(o);
  PhaseEvent e;
  std::string kind, stream;
  r.string("ts", e.ts, true);
  r.string("job", e.job, false);
  r.string("phase", e.phase, false);
  r.string("kind", kind, true);
  r.string("stream", stream, false);
  r.string("text", e.text, false);
  r.string("digest", e.digest, false);
  r.string("class", e.failure_class, false);
  r.string("location", e.location, false);
  r.string("stage", e.stage, false);
  if (auto seq = r.integer("seq"); seq && *seq >= 0) {
    e.seq = static_cast<std::uint64_t>(*seq);
  } else if (seq) {
    r.fail("seq", "must not be negative");
  }
  if (auto k = parse_event_kind(kind)) {
    e.kind = *k;
  } else if (!kind.empty()) {
    r.fail("kind", "unknown event kind '" + kind + "'");
  }
  if (stream == "stdout") {
    e.stream = LogStream::out;
  } else if (stream == "stderr") {
    e.stream = LogStream::err;
  } else if (!stream.empty()) {
    r.fail("stream", "must be stdout or stderr");
  }
  if (auto step = r.integer("step")) {
    e.step = to_int_clamped(*step);
  }
  if (auto steps = r.integer("steps")) {
    e.steps = to_int_clamped(*steps);
  }
  if (auto code = r.integer("exit_code")) {
    e.exit_code = to_int_clamped(*code);
  }
  e.duration_ms = r.integer("duration_ms");
  if (!r.errors().empty()) {
    return make_field_errors(std::move(r.errors()));
  }
  return e;
}

std::string to_text(const PhaseEvent& e) {
  // "2026-11-26T18:54:44.123Z" → "18:54:44.123": the date adds nothing within one build.
  std::string out = e.ts.size() == 24 ? e.ts.substr(11, 12) : e.ts;
  out += ' ';
  out += e.phase;
  switch (e.kind) {
    case EventKind::phase_start:
      out += " ▶ start";
      break;
    case EventKind::step:
      out += " STEP " + std::to_string(e.step) + "/" + std::to_string(e.steps) + ": " + e.text;
      return out;
    case EventKind::line:
      out += e.stream == LogStream::err ? " stderr| " : " | ";
      out += e.text;
      return out;
    case EventKind::error:
      out += " ERROR";
      break;
    case EventKind::result:
      out += " result";
      if (!e.digest.empty()) {
        out += " " + e.digest;
      }
      break;
    case EventKind::phase_end:
      out += " ■ end";
      if (e.exit_code) {
        out += " exit=" + std::to_string(*e.exit_code);
      }
      if (e.duration_ms) {
        out += " (" + std::to_string(*e.duration_ms) + " ms)";
      }
      break;
  }
  if (!e.text.empty()) {
    out += ": " + e.text;
  }
  return out;
}

}  // namespace nbs
