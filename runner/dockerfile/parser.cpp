#include "runner/dockerfile/parser.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include "common/text.hpp"
#include "runner/dockerfile/words.hpp"

namespace nbs::runner::dockerfile {
namespace {

constexpr std::string_view k_bom = "\xEF\xBB\xBF";

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

bool is_comment(std::string_view line) {
  line = trim_left_blanks(line);
  return !line.empty() && line.front() == '#';
}

// Lines as Go's bufio.ScanLines gives them: split at \n, one trailing \r dropped, no empty last line.
std::vector<std::string_view> split_lines(std::string_view text) {
  if (text.substr(0, k_bom.size()) == k_bom) {
    text.remove_prefix(k_bom.size());
  }
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

// Removes a trailing escape character (and the blanks after it); true when the line continues.
bool strip_continuation(std::string& line, char escape) {
  auto end = line.find_last_not_of(" \t");
  if (end == std::string::npos || line[end] != escape) {
    return false;
  }
  line.erase(end);
  return true;
}

std::size_t skip_blanks(std::string_view s, std::size_t at) {
  while (at < s.size() && (s[at] == ' ' || s[at] == '\t')) {
    ++at;
  }
  return at;
}

struct Directive {
  std::string key;  // lower case
  std::string value;
};

// `# key=value` at the top of the file. The classic parser knows only `escape`, takes the first
// character after `=` and stops at any other line; BuildKit knows escape, syntax and check.
std::optional<Directive> read_directive(std::string_view line, Dialect dialect) {
  line = trim_left_blanks(line);
  if (line.empty() || line.front() != '#') {
    return std::nullopt;
  }
  auto at = skip_blanks(line, 1);
  auto key_end = at;
  while (key_end < line.size() && std::isalnum(static_cast<unsigned char>(line[key_end]))) {
    ++key_end;
  }
  if (key_end == at || !std::isalpha(static_cast<unsigned char>(line[at]))) {
    return std::nullopt;
  }
  const auto key = lower(line.substr(at, key_end - at));
  at = skip_blanks(line, key_end);
  if (at >= line.size() || line[at] != '=') {
    return std::nullopt;
  }
  auto value_start = at + 1;
  auto value_at = skip_blanks(line, value_start);
  if (dialect == Dialect::classic) {
    if (key != "escape") {
      return std::nullopt;
    }
    // The regex `=[ \t]*(.)` takes a blank itself when nothing else follows.
    if (value_at == line.size()) {
      if (value_at == value_start) {
        return std::nullopt;
      }
      --value_at;
    }
    return Directive{key, std::string(line.substr(value_at, 1))};
  }
  auto value = trim_blanks(line.substr(value_at));
  if (value.empty() || (key != "escape" && key != "syntax" && key != "check")) {
    return std::nullopt;
  }
  return Directive{key, std::string(value)};
}

// Reads the directives at the top; returns the escape character, or records a problem.
char read_directives(const std::vector<std::string_view>& lines, Dialect dialect,
                     std::vector<Finding>& problems) {
  char escape = '\\';
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto d = read_directive(lines[i], dialect);
    if (!d) {
      break;
    }
    const int line = static_cast<int>(i) + 1;
    if (std::find(seen.begin(), seen.end(), d->key) != seen.end()) {
      problems.push_back({FindingClass::dockerfile_syntax, line,
                          "only one " + clip(d->key) + " parser directive can be used"});
      continue;
    }
    seen.push_back(d->key);
    if (d->key != "escape") {
      continue;
    }
    if (d->value != "\\" && d->value != "`") {
      problems.push_back({FindingClass::dockerfile_syntax, line,
                          "invalid escape directive '" + clip(d->value) + "': must be ` or \\"});
      continue;
    }
    escape = d->value.front();
  }
  return escape;
}

// The leading `--flag` words of `text` (quotes and escapes inside them removed) and the rest, as the
// classic parser's extractBuilderFlags splits them.
std::pair<std::vector<std::string>, std::string_view> split_flags(std::string_view text) {
  std::vector<std::string> flags;
  std::size_t at = 0;
  while (true) {
    at = text.find_first_not_of(k_blanks, at);
    if (at == std::string_view::npos) {
      return {flags, {}};
    }
    if (text.substr(at, 2) != "--") {
      return {flags, text.substr(at)};
    }
    std::string word;
    bool quoted_blank_ok = false;
    char quote = 0;
    std::size_t pos = at;
    for (; pos < text.size(); ++pos) {
      char c = text[pos];
      if (quote == 0 && k_blanks.find(c) != std::string_view::npos) {
        break;
      }
      if (quote == 0 && (c == '\'' || c == '"')) {
        quote = c;
        quoted_blank_ok = true;
        continue;
      }
      if (quote != 0 && c == quote) {
        quote = 0;
        continue;
      }
      if (c == '\\') {
        if (pos + 1 == text.size()) {
          continue;  // a trailing backslash is dropped
        }
        c = text[++pos];
      }
      word += c;
    }
    if (word == "--") {
      return {flags, trim_left_blanks(text.substr(pos))};
    }
    if (quoted_blank_ok || !word.empty()) {
      flags.push_back(std::move(word));
    }
    at = pos;
  }
}

bool takes_json(std::string_view keyword) {
  for (std::string_view k : {"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"}) {
    if (keyword == k) {
      return true;
    }
  }
  return false;
}

std::optional<std::vector<std::string>> parse_json_strings(std::string_view args) {
  if (args.empty() || args.front() != '[') {
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto value = boost::json::parse(args, ec);
  if (ec || !value.is_array()) {
    return std::nullopt;
  }
  std::vector<std::string> words;
  for (const auto& item : value.as_array()) {
    if (!item.is_string()) {
      return std::nullopt;
    }
    words.emplace_back(item.as_string());
  }
  return words;
}

// The heredocs a word such as `<<EOF`, `<<-'EOF'` or `2<<EOF` opens (BuildKit's rule: a word that
// starts with optional digits and `<<`).
std::optional<Heredoc> heredoc_of(std::string_view word) {
  auto at = word.find_first_not_of("0123456789");
  if (at == std::string_view::npos || word.substr(at, 2) != "<<" || word.substr(at + 2, 1) == "<") {
    return std::nullopt;
  }
  Heredoc h;
  at += 2;
  if (word.substr(at, 1) == "-") {
    h.strip_tabs = true;
    ++at;
  }
  for (char c : word.substr(at)) {
    if (c == '\'' || c == '"') {
      continue;
    }
    if (std::string_view("<>|&;()").find(c) != std::string_view::npos) {
      break;
    }
    h.delimiter += c;
  }
  if (h.delimiter.empty()) {
    return std::nullopt;
  }
  return h;
}

bool may_have_heredocs(const Instruction& ins, char escape) {
  if (ins.json) {
    return false;
  }
  std::string_view k = ins.keyword;
  if (k == "ONBUILD") {
    auto words = split_words(ins.args, escape);
    if (words.empty()) {
      return false;
    }
    k = words.front();
    auto sub = upper(k);
    return sub == "RUN" || sub == "COPY" || sub == "ADD";
  }
  return k == "RUN" || k == "COPY" || k == "ADD";
}

std::vector<Heredoc> heredocs_of(const Instruction& ins, char escape) {
  std::vector<Heredoc> out;
  if (!may_have_heredocs(ins, escape)) {
    return out;
  }
  for (auto word : split_words(ins.args, escape)) {
    if (auto h = heredoc_of(word)) {
      out.push_back(*h);
    }
  }
  return out;
}

// Finds the body lines of each heredoc, starting at line index `next`. Returns the index after the
// last delimiter, or nullopt when the file ends before one.
std::optional<std::size_t> locate_bodies(const std::vector<std::string_view>& lines, std::size_t next,
                                         std::vector<Heredoc>& heredocs) {
  for (auto& h : heredocs) {
    h.first_line = static_cast<int>(next) + 1;
    while (true) {
      if (next >= lines.size()) {
        return std::nullopt;
      }
      auto line = lines[next++];
      if (h.strip_tabs) {
        line.remove_prefix(std::min(line.find_first_not_of('\t'), line.size()));
      }
      if (line == h.delimiter) {
        h.last_line = static_cast<int>(next);
        break;
      }
    }
  }
  return next;
}

Instruction make_instruction(std::string_view line, int start, int end) {
  Instruction ins;
  ins.line = start;
  ins.end_line = end;
  line = trim_blanks(line);
  auto split = line.find_first_of(" \t\v\f\r");
  ins.keyword = upper(line.substr(0, split));
  if (split != std::string_view::npos) {
    auto [flags, rest] = split_flags(line.substr(split));
    ins.flags = std::move(flags);
    ins.args = std::string(trim_blanks(rest));
  }
  if (takes_json(ins.keyword)) {
    ins.json = parse_json_strings(ins.args);
  }
  return ins;
}

}  // namespace

const std::vector<std::string>& known_instructions() {
  static const std::vector<std::string> k_known{
      "ADD",   "ARG",        "CMD",     "COPY", "ENTRYPOINT", "ENV",        "EXPOSE", "FROM",   "HEALTHCHECK",
      "LABEL", "MAINTAINER", "ONBUILD", "RUN",  "SHELL",      "STOPSIGNAL", "USER",   "VOLUME", "WORKDIR"};
  return k_known;
}

bool is_known_instruction(std::string_view keyword) {
  const auto& known = known_instructions();
  return std::find(known.begin(), known.end(), keyword) != known.end();
}

std::optional<std::string> flag_value(const Instruction& instruction, std::string_view name) {
  for (const auto& flag : instruction.flags) {
    std::string_view f = flag;
    if (f.substr(0, 2) != "--" || f.substr(2, name.size()) != name) {
      continue;
    }
    auto rest = f.substr(2 + name.size());
    if (rest.empty()) {
      return std::string();
    }
    if (rest.front() == '=') {
      return std::string(rest.substr(1));
    }
  }
  return std::nullopt;
}

std::vector<std::string> argument_words(const Instruction& instruction) {
  if (instruction.json) {
    return *instruction.json;
  }
  std::vector<std::string> words;
  std::string_view rest = instruction.args;
  while (true) {
    auto at = rest.find_first_not_of(" \t\v\f\r");
    if (at == std::string_view::npos) {
      return words;
    }
    rest.remove_prefix(at);
    auto end = rest.find_first_of(" \t\v\f\r");
    words.emplace_back(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
}

Dockerfile parse(std::string_view text, Dialect dialect) {
  Dockerfile file;
  auto lines = split_lines(text);
  file.escape = read_directives(lines, dialect, file.problems);
  std::size_t next = 0;
  while (next < lines.size()) {
    std::string line(is_comment(lines[next]) ? std::string_view() : trim_left_blanks(lines[next]));
    ++next;
    const int start = static_cast<int>(next);
    bool continues = strip_continuation(line, file.escape);
    if (!continues && line.empty()) {
      continue;
    }
    // Comment lines and blank lines inside a continuation are skipped (Buildah warns about the latter).
    while (continues && next < lines.size()) {
      auto raw = lines[next++];
      if (is_comment(raw) || trim_left_blanks(raw).empty()) {
        continue;
      }
      std::string part(raw);
      continues = strip_continuation(part, file.escape);
      line += part;
    }
    auto ins = make_instruction(line, start, static_cast<int>(next));
    ins.heredocs = heredocs_of(ins, file.escape);
    if (!ins.heredocs.empty()) {
      auto after = locate_bodies(lines, next, ins.heredocs);
      if (dialect == Dialect::heredoc) {
        if (!after) {
          file.problems.push_back({FindingClass::dockerfile_syntax, ins.line,
                                   "unterminated heredoc: no line '" + clip(ins.heredocs.back().delimiter) +
                                       "' ends the heredoc <<" + clip(ins.heredocs.back().delimiter)});
          after = lines.size();
        }
        next = *after;
        ins.end_line = static_cast<int>(next);
      }
    }
    file.instructions.push_back(std::move(ins));
  }
  return file;
}

}  // namespace nbs::runner::dockerfile
