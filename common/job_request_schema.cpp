// JSON Schema (draft 2020-12) of the job request, generated from the field definitions. A shape that
// several fields share (the resources of a phase; a duration in the full detail, the string maps and
// lists in the advertised one) is defined once under "$defs", and the fields refer to it with "$ref" beside
// their own description. The advertised detail (submitJob's inputSchema, which every agent reads before its
// first call) leaves out the limits the parser enforces anyway, and closes only the top-level object (an
// unknown nested field is a field error naming it all the same); the full one keeps every rule for
// clients that validate first.
#include <functional>

#include "common/job_request_fields.hpp"
#include "common/job_request_parser.hpp"

namespace nbs {

namespace json = boost::json;
using namespace fields;

namespace {

constexpr std::string_view k_duration_pattern = "^([0-9]+h)?([0-9]+m)?([0-9]+s)?$|^[0-9]+$";

// Puts the schema's validation keywords on its nodes: all of them for SchemaDetail::full, only the
// structural ones (type, enum, required; additionalProperties: false at the top) for
// SchemaDetail::advertised.
class Keywords {
 public:
  explicit Keywords(SchemaDetail detail) : detail_(detail) {}

  // A limit the parser enforces anyway (length, pattern, range, count): left out of the advertised schema.
  void limit(json::object& schema, std::string_view key, json::value value) const {
    if (detail_ == SchemaDetail::full) {
      schema[key] = std::move(value);
    }
  }

  // Without the limits, what is worth a shared definition changes: every string map is the same object
  // of strings, and a duration only a string.
  bool has_limits() const { return detail_ == SchemaDetail::full; }

  json::object string_schema(const StringRule& rule) const {
    json::object s{{"type", "string"}};
    limit(s, "maxLength", rule.max_length);
    if (!rule.description.empty()) {
      s["description"] = rule.description;
    }
    if (!rule.pattern.empty()) {
      limit(s, "pattern", json::string(rule.pattern));
    }
    return s;
  }

 private:
  SchemaDetail detail_;
};

class SchemaVisitor {
 public:
  // `defs` collects the shared shapes of the whole schema, for this visitor and its children.
  SchemaVisitor(json::object& defs, Keywords keywords) : defs_(defs), keywords_(keywords) {}

  void string(std::string_view name, const std::string& value, const StringRule& rule) {
    json::object s = keywords_.string_schema(rule);
    if (rule.required) {
      required_.emplace_back(name);
      keywords_.limit(s, "minLength", 1);
    } else if (!value.empty()) {
      s["default"] = value;
    }
    properties_[name] = std::move(s);
  }

  void boolean(std::string_view name, bool value, std::string_view description) {
    json::object s{{"type", "boolean"}};
    if (!description.empty()) {
      s["description"] = description;
    }
    s["default"] = value;
    properties_[name] = std::move(s);
  }

  void legacy_bool(std::string_view name, const std::optional<bool>&, std::string_view description) {
    properties_[name] = {{"type", "boolean"}, {"description", description}, {"deprecated", true}};
  }

  void legacy_string(std::string_view name, const std::optional<std::string>&, const StringRule& rule) {
    string(name, {}, rule);
    properties_[name].as_object()["deprecated"] = true;
  }

  template <class Int>
  void integer(std::string_view name, const Int&, const IntRule& rule) {
    json::object s{{"type", "integer"}};
    if (!rule.description.empty()) {
      s["description"] = rule.description;
    }
    keywords_.limit(s, "minimum", rule.min);
    keywords_.limit(s, "maximum", rule.max);
    properties_[name] = std::move(s);
  }

  // Without its pattern and description a duration is only a string, shorter than a reference.
  void duration(std::string_view name, std::chrono::seconds value, const DurationRule& rule) {
    json::object s;
    if (keywords_.has_limits()) {
      share("duration", {{"type", "string"},
                         {"description", "e.g. 1h30m, 15m, 90s, or seconds."},
                         {"pattern", k_duration_pattern}});
      s = reference("duration", rule.description);
    } else {
      s = keywords_.string_schema(StringRule{rule.description});
    }
    s["default"] = grammar::format_duration(value);
    properties_[name] = std::move(s);
  }

  void string_list(std::string_view name, const std::vector<std::string>&, const ListRule& rule) {
    if (!keywords_.has_limits()) {  // without limits every list is the same array of strings
      share("strings", {{"type", "array"}, {"items", keywords_.string_schema(rule.item)}});
      properties_[name] = reference("strings", rule.description);
      return;
    }
    json::object s{
        {"type", "array"}, {"description", rule.description}, {"items", keywords_.string_schema(rule.item)}};
    keywords_.limit(s, "maxItems", rule.max_items);
    if (rule.unique) {
      keywords_.limit(s, "uniqueItems", true);
    }
    properties_[name] = std::move(s);
  }

  void legacy_list(std::string_view name, const std::optional<std::vector<std::string>>&,
                   const ListRule& rule) {
    string_list(name, {}, rule);
    properties_[name].as_object()["deprecated"] = true;
  }

  void string_map(std::string_view name, const std::map<std::string, std::string>&, const MapRule& rule) {
    json::object s{{"type", "object"}};
    if (keywords_.has_limits()) {
      s["description"] = rule.description;
    }
    s["additionalProperties"] = keywords_.string_schema(rule.value);
    keywords_.limit(s, "propertyNames", {{"pattern", rule.key_pattern}});
    keywords_.limit(s, "maxProperties", rule.max_entries);
    if (keywords_.has_limits()) {
      properties_[name] = std::move(s);
      return;
    }
    share("map", std::move(s));
    properties_[name] = reference("map", rule.description);
  }

  template <class T, class Describe>
  void object(std::string_view name, T&, const ObjectRule& rule, Describe&& describe_child) {
    properties_[name] = object_property<T>(rule, describe_child);
  }

  template <class T, class Describe>
  void object(std::string_view name, std::optional<T>&, const ObjectRule& rule, Describe&& describe_child) {
    properties_[name] = object_property<T>(rule, describe_child);
  }

  template <class T, class Describe>
  void object_list(std::string_view name, std::vector<T>&, const ObjectRule& rule,
                   Describe&& describe_child) {
    json::object items = child_schema<T>("", describe_child);
    if (!rule.shared_as.empty()) {
      share(rule.shared_as, std::move(items));
      items = reference(rule.shared_as, "");
    }
    json::object s{{"type", "array"}, {"description", rule.description}, {"items", std::move(items)}};
    keywords_.limit(s, "maxItems", rule.max_items);
    properties_[name] = std::move(s);
  }

  void removed(std::string_view, std::string_view) {}

  // `nested`: the shape of a field, closed only in the full detail.
  json::object as_object_schema(std::string_view description, bool nested) {
    json::object s{{"type", "object"}, {"properties", std::move(properties_)}};
    if (!nested || keywords_.has_limits()) {
      s["additionalProperties"] = false;
    }
    if (!description.empty()) {
      s["description"] = description;
    }
    if (!required_.empty()) {
      s["required"] = std::move(required_);
    }
    return s;
  }

 private:
  template <class T, class Describe>
  json::object child_schema(std::string_view description, Describe& describe_child) {
    SchemaVisitor child(defs_, keywords_);
    T sample{};
    describe_child(child, sample);
    return child.as_object_schema(description, true);
  }

  // The object inline, or a reference to its shared shape with the field's own description.
  template <class T, class Describe>
  json::object object_property(const ObjectRule& rule, Describe& describe_child) {
    if (rule.shared_as.empty()) {
      return child_schema<T>(rule.description, describe_child);
    }
    share(rule.shared_as, child_schema<T>("", describe_child));
    return reference(rule.shared_as, rule.description);
  }

  // {"$ref": "#/$defs/<name>"}, with the field's own description.
  static json::object reference(std::string_view name, std::string_view description) {
    json::object ref{{"$ref", "#/$defs/" + std::string(name)}};
    if (!description.empty()) {
      ref["description"] = description;
    }
    return ref;
  }

  // Defines `name` on first use. Every field naming it must describe the same shape: one that did not
  // would be validated as the first, which the golden test of the schema's validation keywords catches.
  void share(std::string_view name, json::object shape) {
    if (!defs_.contains(name)) {
      defs_[name] = std::move(shape);
    }
  }

  json::object& defs_;
  Keywords keywords_;
  json::object properties_;
  json::array required_;
};

// The advertised schema's prose: the top-level fields keep their one line, the fields of the nested
// objects (test, resource_limits, the shared shapes) only their names and types (job-config.md has the
// rest), and the deprecated aliases are not offered (the parser still reads them).
void compact_annotations(json::object& schema) {
  json::object& properties = schema["properties"].as_object();
  for (auto it = properties.begin(); it != properties.end();) {
    const json::value* deprecated = it->value().as_object().if_contains("deprecated");
    it = deprecated != nullptr && deprecated->as_bool() ? properties.stable_erase(it) : it + 1;
  }
  std::function<void(json::object&)> drop_descriptions = [&](json::object& node) {
    node.erase("description");
    for (const char* key : {"properties", "$defs"}) {
      if (auto* children = node.if_contains(key)) {
        for (auto& child : children->as_object()) {
          drop_descriptions(child.value().as_object());
        }
      }
    }
    if (auto* items = node.if_contains("items")) {
      drop_descriptions(items->as_object());
    }
  };
  for (auto& field : properties) {
    json::object& shape = field.value().as_object();
    if (auto* children = shape.if_contains("properties")) {
      for (auto& child : children->as_object()) {
        drop_descriptions(child.value().as_object());
      }
    }
  }
  for (auto& shape : schema["$defs"].as_object()) {
    drop_descriptions(shape.value().as_object());
  }
}

}  // namespace

json::object job_request_schema(SchemaDetail detail) {
  json::object defs;
  SchemaVisitor visitor(defs, Keywords(detail));
  JobRequest defaults;
  LegacyAliases aliases;
  describe(visitor, defaults, aliases);
  json::object schema = visitor.as_object_schema(
      "A request to build a Git ref into a container image, test it inside the image, and publish it to a "
      "registry. Unknown fields are rejected; integers may also be strings of digits.",
      false);
  json::object out{{"$schema", "https://json-schema.org/draft/2020-12/schema"}, {"title", "JobRequest"}};
  for (auto& kv : schema) {
    out[kv.key()] = std::move(kv.value());
  }
  out["$defs"] = std::move(defs);
  if (detail == SchemaDetail::advertised) {
    compact_annotations(out);
  }
  return out;
}

}  // namespace nbs
