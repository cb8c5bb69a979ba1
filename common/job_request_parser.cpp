#include "common/job_request_parser.hpp"

#include <cmath>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/build_secrets.hpp"
#include "common/job_request_fields.hpp"
#include "common/secret_build_args.hpp"
#include "common/secret_masker.hpp"
#include "common/yaml_to_json.hpp"

namespace nbs {

namespace json = boost::json;
using namespace fields;

namespace {

bool is_identifier(std::string_view s) {
  return !s.empty() && !grammar::env_name(s) && s.size() <= 64;
}

std::string type_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "unknown";
}

// Walks the field definitions over one JSON object tree, storing values and collecting errors.
class ParseVisitor {
 public:
  ParseVisitor(const json::object& root, std::vector<FieldError>& errors) : errors_(errors) {
    frames_.push_back({&root, "", {}});
  }

  void string(std::string_view name, std::string& out, const StringRule& rule) {
    const json::value* v = lookup(name);
    if (v == nullptr) {
      if (rule.required) {
        fail(path(name), "is required");
      }
      return;
    }
    if (auto s = read_string(path(name), *v, rule)) {
      if (s->empty() && rule.required) {
        fail(path(name), "is required and must not be empty");
      } else if (!s->empty()) {
        out = std::move(*s);
      }
    }
  }

  void boolean(std::string_view name, bool& out, std::string_view) {
    if (const json::value* v = lookup(name)) {
      if (v->is_bool()) {
        out = v->get_bool();
      } else {
        fail(path(name), "must be true or false, not " + type_name(*v));
      }
    }
  }

  void legacy_bool(std::string_view name, std::optional<bool>& out, std::string_view description) {
    if (has(name)) {
      bool value = false;
      boolean(name, value, description);
      out = value;
    }
  }

  void legacy_string(std::string_view name, std::optional<std::string>& out, const StringRule& rule) {
    if (has(name)) {
      std::string value;
      string(name, value, rule);
      out = std::move(value);
    }
  }

  void integer(std::string_view name, std::optional<int>& out, const IntRule& rule) {
    if (const json::value* v = lookup(name)) {
      out = read_integer(path(name), *v, rule);
    }
  }

  void integer(std::string_view name, int& out, const IntRule& rule) {
    std::optional<int> value;
    integer(name, value, rule);
    if (value) {
      out = *value;
    }
  }

  void duration(std::string_view name, std::chrono::seconds& out, const DurationRule& rule) {
    const json::value* v = lookup(name);
    if (v == nullptr) {
      return;
    }
    const std::string p = path(name);
    std::string text;
    if (v->is_string()) {
      text = std::string(v->get_string());
    } else if (v->is_int64() || v->is_uint64()) {
      text = v->is_int64() ? std::to_string(v->get_int64()) : std::to_string(v->get_uint64());
    } else {
      fail(p, "must be a duration string such as 30m, or a number of seconds, not " + type_name(*v));
      return;
    }
    auto d = grammar::parse_duration(text);
    if (!d) {
      fail(p, d.error().message);
    } else if (*d < rule.min || *d > rule.max) {
      fail(p, "must be between " + grammar::format_duration(rule.min) + " and " +
                  grammar::format_duration(rule.max));
    } else {
      out = *d;
    }
  }

  void string_list(std::string_view name, std::vector<std::string>& out, const ListRule& rule) {
    if (const json::value* v = lookup(name)) {
      if (auto list = read_list(path(name), *v, rule)) {
        out = std::move(*list);
      }
    }
  }

  void legacy_list(std::string_view name, std::optional<std::vector<std::string>>& out,
                   const ListRule& rule) {
    if (const json::value* v = lookup(name)) {
      out = read_list(path(name), *v, rule);
    }
  }

  void string_map(std::string_view name, std::map<std::string, std::string>& out, const MapRule& rule) {
    const json::value* v = lookup(name);
    if (v == nullptr) {
      return;
    }
    const std::string p = path(name);
    if (!v->is_object()) {
      fail(p, "must be an object of name → string, not " + type_name(*v));
      return;
    }
    const json::object& o = v->get_object();
    if (o.size() > rule.max_entries) {
      fail(p, "must have at most " + std::to_string(rule.max_entries) + " entries");
      return;
    }
    std::map<std::string, std::string> result;
    bool ok = true;
    for (const auto& kv : o) {
      const std::string key(kv.key());
      const std::string kp = member_path(p, key);
      if (auto reason = rule.key(key)) {
        fail(kp, "has an invalid name: " + *reason);
        ok = false;
        continue;
      }
      // Scalars are accepted as their text: YAML users write `PORT: 8080` for an environment variable.
      std::optional<std::string> value;
      if (kv.value().is_int64() || kv.value().is_uint64() || kv.value().is_bool()) {
        value = json::serialize(kv.value());
      } else {
        value = read_string(kp, kv.value(), rule.value);
      }
      if (!value) {
        ok = false;
        continue;
      }
      result.emplace(key, std::move(*value));
    }
    if (ok) {
      out = std::move(result);
    }
  }

  template <class T, class Describe>
  void object(std::string_view name, T& out, const ObjectRule&, Describe&& describe_child) {
    const json::value* v = lookup(name);
    if (v == nullptr || v->is_null()) {
      return;
    }
    walk_object(path(name), *v, out, describe_child);
  }

  template <class T, class Describe>
  void object(std::string_view name, std::optional<T>& out, const ObjectRule& rule,
              Describe&& describe_child) {
    const json::value* v = lookup(name);
    if (v == nullptr || v->is_null()) {
      return;
    }
    T value{};
    if (walk_object(path(name), *v, value, describe_child)) {
      out = std::move(value);
    }
    (void)rule;
  }

  template <class T, class Describe>
  void object_list(std::string_view name, std::vector<T>& out, const ObjectRule& rule,
                   Describe&& describe_child) {
    const json::value* v = lookup(name);
    if (v == nullptr) {
      return;
    }
    const std::string p = path(name);
    if (!v->is_array()) {
      fail(p, "must be an array of objects, not " + type_name(*v));
      return;
    }
    if (v->get_array().size() > rule.max_items) {
      fail(p, "must have at most " + std::to_string(rule.max_items) + " items");
      return;
    }
    std::vector<T> result;
    bool ok = true;
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
      T item{};
      ok = walk_object(p + "[" + std::to_string(i) + "]", v->get_array()[i], item, describe_child) && ok;
      result.push_back(std::move(item));
    }
    if (ok) {
      out = std::move(result);
    }
  }

  void removed(std::string_view name, std::string_view reason) {
    if (lookup(name) != nullptr) {
      fail(path(name), std::string(reason));
    }
  }

  // Reports the keys of the current object that no field definition asked for.
  void finish_object() {
    const Frame& f = frames_.back();
    for (const auto& kv : *f.object) {
      if (f.known.count(kv.key()) == 0) {
        fail(member_path(f.path, kv.key()), "unknown field");
      }
    }
  }

 private:
  struct Frame {
    const json::object* object;
    std::string path;
    std::set<std::string_view> known;
  };

  bool has(std::string_view name) const { return frames_.back().object->contains(name); }

  const json::value* lookup(std::string_view name) {
    frames_.back().known.insert(name);
    return frames_.back().object->if_contains(name);
  }

  std::string path(std::string_view name) const { return member_path(frames_.back().path, name); }

  static std::string member_path(const std::string& parent, std::string_view key) {
    if (!is_identifier(key)) {
      json::string quoted(key);
      return parent + "[" + json::serialize(quoted) + "]";
    }
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
  }

  void fail(std::string p, std::string reason) { errors_.push_back({std::move(p), std::move(reason)}); }

  template <class T, class Describe>
  bool walk_object(const std::string& p, const json::value& v, T& out, Describe& describe_child) {
    if (!v.is_object()) {
      fail(p, "must be an object, not " + type_name(v));
      return false;
    }
    const std::size_t errors_before = errors_.size();
    frames_.push_back({&v.get_object(), p, {}});
    describe_child(*this, out);
    finish_object();
    frames_.pop_back();
    return errors_.size() == errors_before;
  }

  std::optional<std::string> read_string(const std::string& p, const json::value& v, const StringRule& rule) {
    if (!v.is_string()) {
      fail(p, "must be a string, not " + type_name(v));
      return std::nullopt;
    }
    std::string_view s = v.get_string();
    if (s.size() > rule.max_length) {
      fail(p, "must be at most " + std::to_string(rule.max_length) + " bytes (got " +
                  std::to_string(s.size()) + ")");
      return std::nullopt;
    }
    auto reason = rule.multi_line ? grammar::multi_line(s) : grammar::single_line(s);
    if (!reason && rule.check && !s.empty()) {
      reason = rule.check(s);
    }
    if (reason) {
      fail(p, *reason);
      return std::nullopt;
    }
    return std::string(s);
  }

  std::optional<int> read_integer(const std::string& p, const json::value& v, const IntRule& rule) {
    long long n = 0;
    if (v.is_int64()) {
      n = v.get_int64();
    } else if (v.is_uint64()) {
      n = v.get_uint64() > 1'000'000'000'000ULL ? 1'000'000'000'000LL
                                                : static_cast<long long>(v.get_uint64());
    } else if (v.is_double() && std::isfinite(v.get_double()) &&
               std::trunc(v.get_double()) == v.get_double() && std::fabs(v.get_double()) < 1e12) {
      n = static_cast<long long>(v.get_double());
    } else if (v.is_string() && !v.get_string().empty() && v.get_string().size() <= 12 &&
               std::all_of(v.get_string().begin(), v.get_string().end(),
                           [](char c) { return c >= '0' && c <= '9'; })) {
      n = std::stoll(std::string(v.get_string()));
    } else {
      fail(p, "must be a whole number (or a string of digits), not " +
                  (v.is_string() ? "'" + std::string(v.get_string().subview(0, 32)) + "'" : type_name(v)));
      return std::nullopt;
    }
    if (n < rule.min || n > rule.max) {
      fail(p, "must be between " + std::to_string(rule.min) + " and " + std::to_string(rule.max) + " (got " +
                  std::to_string(n) + ")");
      return std::nullopt;
    }
    return static_cast<int>(n);
  }

  std::optional<std::vector<std::string>> read_list(const std::string& p, const json::value& v,
                                                    const ListRule& rule) {
    if (rule.accepts_single_string && v.is_string()) {
      // Older clients send one tag as a string, or the whole list as a JSON array inside a string.
      std::string_view s = v.get_string();
      boost::system::error_code ec;
      json::value inner = s.starts_with("[") ? json::parse(s, ec) : json::value(nullptr);
      if (!ec && inner.is_array()) {
        return read_list(p, inner, rule);
      }
      json::array one;
      one.emplace_back(s);
      return read_list(p, one, rule);
    }
    if (!v.is_array()) {
      fail(p, "must be an array of strings, not " + type_name(v));
      return std::nullopt;
    }
    const json::array& a = v.get_array();
    if (a.size() > rule.max_items) {
      fail(p, "must have at most " + std::to_string(rule.max_items) + " items");
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string ip = p + "[" + std::to_string(i) + "]";
      auto s = read_string(ip, a[i], rule.item);
      if (!s) {
        ok = false;
        continue;
      }
      if (s->empty()) {
        fail(ip, "must not be empty");
        ok = false;
        continue;
      }
      if (rule.unique && std::find(out.begin(), out.end(), *s) != out.end()) {
        fail(ip, "repeats '" + *s + "'");
        ok = false;
        continue;
      }
      out.push_back(std::move(*s));
    }
    return ok ? std::optional(std::move(out)) : std::nullopt;
  }

  std::vector<Frame> frames_;
  std::vector<FieldError>& errors_;
};

// Folds the deprecated fields into their new places; the two spellings may not both be given.
void apply_aliases(const json::object& root, LegacyAliases& aliases, JobRequest& r,
                   std::vector<FieldError>& errors) {
  auto conflicts = [&](std::string_view alias, std::string_view field) {
    const json::value* test = root.if_contains("test");
    if (test && test->is_object() && test->get_object().contains(field)) {
      errors.push_back({std::string(alias), "conflicts with test." + std::string(field) + "; give only one"});
      return true;
    }
    return false;
  };
  if (aliases.test_commands && !conflicts("test_commands", "commands")) {
    if (!r.test) {
      r.test.emplace();
    }
    r.test->commands = std::move(*aliases.test_commands);
  }
  if (aliases.test_entry_point && !conflicts("test_entry_point", "entry_point")) {
    if (!r.test) {
      r.test.emplace();
    }
    r.test->entry_point = *aliases.test_entry_point;
  }
  if (aliases.platform && !aliases.platform->empty()) {
    if (root.contains("platforms")) {
      errors.push_back({"platform", "conflicts with platforms; give only platforms"});
    } else {
      r.platforms = {std::move(*aliases.platform)};
    }
  }
}

// Each secret build arg names a build arg whose value is long enough to mask.
void check_secret_build_args(const JobRequest& r, std::vector<FieldError>& errors) {
  const bool build_args_failed = std::any_of(errors.begin(), errors.end(), [](const FieldError& e) {
    return e.path.starts_with("build_args");  // then the names are not known: no second error for each
  });
  for (std::size_t i = 0; i < r.secret_build_args.size() && !build_args_failed; ++i) {
    const std::string path = "secret_build_args[" + std::to_string(i) + "]";
    const auto arg = r.build_args.find(r.secret_build_args[i]);
    if (arg == r.build_args.end()) {
      errors.push_back({path, "names no key of build_args ('" + r.secret_build_args[i] + "')"});
    } else if (arg->second.size() < SecretMasker::k_min_length && arg->second != k_masked_value) {
      // (k_masked_value: what a stored job record holds in its place)
      errors.push_back({path, "marks build_args." + arg->first + " secret, but its value is shorter than " +
                                  std::to_string(SecretMasker::k_min_length) +
                                  " characters: too short to mask in logs"});
    }
  }
}

// Buildah takes one secret (one SSH key) per id: a second one of an id would silently win.
void check_build_secret_ids(const JobRequest& r, std::vector<FieldError>& errors) {
  const auto entries = build_secret_entries(r);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (entries[i].ssh == entries[j].ssh && !entries[i].secret->id.empty() &&
          entries[i].secret->id == entries[j].secret->id) {
        errors.push_back({entries[i].field + ".id",
                          "repeats the id of " + entries[j].field + " ('" + entries[i].secret->id + "')"});
        break;
      }
    }
  }
}

void check_cross_fields(const JobRequest& r, std::vector<FieldError>& errors) {
  const auto failed = [&](std::string_view path) {
    return std::any_of(errors.begin(), errors.end(), [&](const FieldError& e) { return e.path == path; });
  };
  if (r.registry_url.empty() || failed("registry_url") || failed("image_name")) {
    return;
  }
  const ImageTarget target = image_target(r);
  if (target.repository.empty()) {
    errors.push_back({"image_name", "is required when registry_url has no repository path"});
  } else if (target.repository.size() > 255) {
    errors.push_back({"image_name", "makes the repository path longer than 255 characters"});
  }
}

}  // namespace

Result<JobRequest> parse_job_request(const json::value& value) {
  if (!value.is_object()) {
    return make_field_errors({{"", "the job request must be an object, not " + type_name(value)}});
  }
  std::vector<FieldError> errors;
  JobRequest request;
  LegacyAliases aliases;
  ParseVisitor visitor(value.get_object(), errors);
  describe(visitor, request, aliases);
  visitor.finish_object();
  apply_aliases(value.get_object(), aliases, request, errors);
  check_secret_build_args(request, errors);
  check_build_secret_ids(request, errors);
  check_cross_fields(request, errors);
  if (!errors.empty()) {
    return make_field_errors(std::move(errors));
  }
  return request;
}

Result<JobRequest> parse_job_request_json(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) {
    return make_field_errors({{"", "not valid JSON: " + ec.message()}});
  }
  return parse_job_request(value);
}

Result<JobRequest> parse_job_request_yaml(std::string_view text) {
  auto value = yaml_to_json(text);
  if (!value) {
    return make_field_errors({{"", value.error().message}});
  }
  return parse_job_request(*value);
}

}  // namespace nbs
