#include "common/yaml_to_json.hpp"

#include <cmath>
#include <regex>

#include <yaml-cpp/yaml.h>

namespace nbs {

namespace json = boost::json;

namespace {

constexpr int k_max_depth = 64;
constexpr std::size_t k_max_nodes = 100000;

// YAML 1.2 core schema resolution of a plain (unquoted) scalar.
json::value resolve_plain_scalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return nullptr;
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    return false;
  }
  static const std::regex k_int("[-+]?[0-9]+");
  static const std::regex k_float(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, k_int)) {
    try {
      return json::value(std::stoll(s));
    } catch (const std::out_of_range&) {
      return json::value(s);  // too large for an integer: keep the text, the field check will say why
    }
  }
  if (std::regex_match(s, k_float)) {
    try {
      return json::value(std::stod(s));
    } catch (const std::out_of_range&) {
      return json::value(s);  // beyond a double (1e999, 1e-999): keep the text, as for integers
    }
  }
  return json::value(s);
}

class Converter {
 public:
  Result<json::value> convert(const YAML::Node& node, int depth) {
    if (++nodes_ > k_max_nodes) {
      return make_error(ErrorKind::invalid_argument, "yaml: document too large (more than 100000 nodes)");
    }
    if (depth > k_max_depth) {
      return make_error(ErrorKind::invalid_argument, "yaml: nested deeper than 64 levels");
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return json::value(nullptr);
      case YAML::NodeType::Scalar:
        // yaml-cpp tags non-plain (quoted or block) scalars "!" and plain ones "?".
        return node.Tag() == "!" ? json::value(node.Scalar()) : resolve_plain_scalar(node.Scalar());
      case YAML::NodeType::Sequence: {
        json::array out;
        for (const auto& item : node) {
          auto v = convert(item, depth + 1);
          if (!v) {
            return v;
          }
          out.push_back(std::move(*v));
        }
        return json::value(std::move(out));
      }
      case YAML::NodeType::Map: {
        json::object out;
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) {
            return error_at(kv.first, "mapping keys must be plain strings");
          }
          const std::string& key = kv.first.Scalar();
          if (out.contains(key)) {
            return error_at(kv.first, "duplicate key '" + key + "'");
          }
          auto v = convert(kv.second, depth + 1);
          if (!v) {
            return v;
          }
          out[key] = std::move(*v);
        }
        return json::value(std::move(out));
      }
    }
    return json::value(nullptr);
  }

 private:
  static Error error_at(const YAML::Node& node, const std::string& what) {
    const auto mark = node.Mark();
    return make_error(ErrorKind::invalid_argument, "yaml: line " + std::to_string(mark.line + 1) +
                                                       ", column " + std::to_string(mark.column + 1) + ": " +
                                                       what);
  }

  std::size_t nodes_ = 0;
};

// The line number (1-based) of a document marker ("---" or "...") that starts a second document, or 0.
// A marker can only appear at column 0, where no scalar content of the first document can be.
std::size_t second_document_line(std::string_view text) {
  bool content_seen = false;
  std::size_t line = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    ++line;
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view l = text.substr(start, end - start);
    const bool marker = (l.starts_with("---") || l.starts_with("...")) &&
                        (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
    if (marker && content_seen) {
      return line;
    }
    if (!marker && !l.empty() && l.front() != '#' && l.find_first_not_of(" \t\r") != std::string_view::npos) {
      content_seen = true;
    }
    start = end + 1;
  }
  return 0;
}

}  // namespace

Result<json::value> yaml_to_json(std::string_view text) {
  // One document only. (YAML::LoadAll is avoided on purpose: yaml-cpp 0.7 loops forever in it on some
  // malformed input, yaml-cpp issue #1319; YAML::Load does not.)
  if (const std::size_t line = second_document_line(text)) {
    return make_error(ErrorKind::invalid_argument,
                      "yaml: line " + std::to_string(line) + ": expected one document, found a second");
  }
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& ex) {
    return make_error(ErrorKind::invalid_argument, "yaml: line " + std::to_string(ex.mark.line + 1) +
                                                       ", column " + std::to_string(ex.mark.column + 1) +
                                                       ": " + ex.msg);
  }
  return Converter{}.convert(doc, 0);
}

}  // namespace nbs
