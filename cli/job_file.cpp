#include "cli/job_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include <boost/json/stream_parser.hpp>

#include "common/yaml_to_json.hpp"

namespace nbs::cli {

namespace json = boost::json;

namespace {

Error file_error(std::string_view origin, const std::string& what) {
  return make_error(ErrorKind::invalid_argument, std::string(origin) + ": " + what);
}

// 1-based line and column of a byte offset.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const std::size_t line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t last_newline = before.rfind('\n');
  const std::size_t column = last_newline == std::string_view::npos ? offset + 1 : offset - last_newline;
  return {line, column};
}

Result<json::value> parse_json(std::string_view text, std::string_view origin) {
  json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t used = parser.write(text.data(), text.size(), ec);
  if (!ec) {
    parser.finish(ec);
  }
  if (ec) {
    auto [line, column] = line_and_column(text, ec == json::error::incomplete ? text.size() : used);
    return file_error(std::string(origin) + ":" + std::to_string(line) + ":" + std::to_string(column),
                      ec.message());
  }
  return parser.release();
}

// yaml_to_json's "yaml: line N, column M: what" becomes "<origin>:N:M: what".
Error yaml_error(const Error& error, std::string_view origin) {
  static const std::regex k_position(R"(^yaml: line (\d+)(?:, column (\d+))?: (.*)$)");
  std::smatch m;
  if (std::regex_match(error.message, m, k_position)) {
    std::string where = std::string(origin) + ":" + m[1].str();
    if (m[2].matched) {
      where += ":" + m[2].str();
    }
    return file_error(where, m[3].str());
  }
  std::string what = error.message;
  if (what.starts_with("yaml: ")) {
    what.erase(0, 6);
  }
  return file_error(origin, what);
}

// YAML 1.2 reads JSON too, so only a .json file is taken as strict JSON.
bool is_json_file(std::string_view origin) {
  return origin.ends_with(".json");
}

std::string_view kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::array:
      return "a list";
    case json::kind::string:
      return "a string";
    case json::kind::bool_:
      return "a boolean";
    default:
      return "a number";
  }
}

}  // namespace

Result<json::object> parse_job_document(std::string_view text, std::string_view origin) {
  Result<json::value> doc = is_json_file(origin) ? parse_json(text, origin) : yaml_to_json(text);
  if (!doc) {
    return is_json_file(origin) ? doc.error() : yaml_error(doc.error(), origin);
  }
  if (doc->is_null()) {
    return json::object{};
  }
  if (!doc->is_object()) {
    return file_error(origin, "must be a mapping of job fields, found " + std::string(kind_name(*doc)));
  }
  return std::move(doc->get_object());
}

Result<json::object> read_job_document(const std::string& path, std::istream& stdin_stream) {
  std::stringstream text;
  if (path == "-") {
    text << stdin_stream.rdbuf();
    return parse_job_document(text.str(), "<stdin>");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return file_error(path, std::string("cannot read: ") + std::strerror(errno));
  }
  text << in.rdbuf();
  if (in.bad()) {
    return file_error(path, "cannot read");
  }
  return parse_job_document(text.str(), path);
}

json::object merge_job(json::object defaults, const json::object& job) {
  for (const auto& [key, value] : job) {
    if (value.is_null()) {
      defaults.erase(key);
      continue;
    }
    json::value* base = defaults.if_contains(key);
    if (base != nullptr && base->is_object() && value.is_object()) {
      *base = merge_job(std::move(base->get_object()), value.get_object());
    } else {
      defaults[key] = value;
    }
  }
  return defaults;
}

std::vector<std::string> split_tags(std::string_view text) {
  std::vector<std::string> tags;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view tag = text.substr(start, end - start);
    const std::size_t first = tag.find_first_not_of(" \t");
    if (first != std::string_view::npos) {
      tag = tag.substr(first, tag.find_last_not_of(" \t") - first + 1);
      tags.emplace_back(tag);
    }
    start = end + 1;
  }
  return tags;
}

Result<json::object> load_job(const JobFileOptions& options, std::istream& stdin_stream) {
  if (options.global_path == "-" && options.job_path == "-") {
    return make_error(ErrorKind::invalid_argument, "--global: standard input is already the job file");
  }
  json::object defaults;
  if (!options.global_path.empty()) {
    auto global = read_job_document(options.global_path, stdin_stream);
    if (!global) {
      return global.error();
    }
    defaults = std::move(*global);
  }
  auto job = read_job_document(options.job_path, stdin_stream);
  if (!job) {
    return job.error();
  }
  json::object merged = merge_job(std::move(defaults), *job);
  if (options.image_tags) {
    const auto tags = split_tags(*options.image_tags);
    merged["image_tags"] = json::array(tags.begin(), tags.end());
  }
  return merged;
}

}  // namespace nbs::cli
