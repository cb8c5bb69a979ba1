// Serialises a validated JobRequest with every field, so parse_job_request(to_json(r)) == r.
#include "common/job_request_fields.hpp"
#include "common/job_request_parser.hpp"

namespace nbs {

namespace json = boost::json;
using namespace fields;

namespace {

class SerializeVisitor {
 public:
  json::object& result() { return out_; }

  void string(std::string_view name, const std::string& value, const StringRule&) {
    if (!value.empty()) {
      out_[name] = value;
    }
  }
  void boolean(std::string_view name, bool value, std::string_view) { out_[name] = value; }
  void legacy_bool(std::string_view, const std::optional<bool>&, std::string_view) {}
  void legacy_string(std::string_view, const std::optional<std::string>&, const StringRule&) {}
  void integer(std::string_view name, const std::optional<int>& value, const IntRule&) {
    if (value) {
      out_[name] = *value;
    }
  }
  void integer(std::string_view name, int value, const IntRule&) { out_[name] = value; }
  void duration(std::string_view name, std::chrono::seconds value, const DurationRule&) {
    out_[name] = grammar::format_duration(value);
  }
  void string_list(std::string_view name, const std::vector<std::string>& value, const ListRule&) {
    if (!value.empty()) {
      out_[name] = json::array(value.begin(), value.end());
    }
  }
  void legacy_list(std::string_view, const std::optional<std::vector<std::string>>&, const ListRule&) {}
  void string_map(std::string_view name, const std::map<std::string, std::string>& value, const MapRule&) {
    if (!value.empty()) {
      json::object o;
      for (const auto& [k, v] : value) {
        o[k] = v;
      }
      out_[name] = std::move(o);
    }
  }
  template <class T, class Describe>
  void object(std::string_view name, T& value, const ObjectRule&, Describe&& describe_child) {
    json::object o = serialize(value, describe_child);
    if (!o.empty()) {
      out_[name] = std::move(o);
    }
  }
  template <class T, class Describe>
  void object(std::string_view name, std::optional<T>& value, const ObjectRule&, Describe&& describe_child) {
    if (value) {
      out_[name] = serialize(*value, describe_child);
    }
  }
  template <class T, class Describe>
  void object_list(std::string_view name, std::vector<T>& value, const ObjectRule&,
                   Describe&& describe_child) {
    if (!value.empty()) {
      json::array a;
      for (auto& item : value) {
        a.push_back(serialize(item, describe_child));
      }
      out_[name] = std::move(a);
    }
  }
  void removed(std::string_view, std::string_view) {}

 private:
  template <class T, class Describe>
  static json::object serialize(T& value, Describe& describe_child) {
    SerializeVisitor child;
    describe_child(child, value);
    return std::move(child.out_);
  }

  json::object out_;
};

}  // namespace

json::object to_json(const JobRequest& request) {
  JobRequest copy = request;  // the field definitions take mutable references (the parser writes them)
  LegacyAliases aliases;
  SerializeVisitor visitor;
  describe(visitor, copy, aliases);
  return std::move(visitor.result());
}

}  // namespace nbs
