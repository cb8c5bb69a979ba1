#include "tests/nomad_sim/template_renderer.hpp"

#include <cctype>
#include <utility>
#include <vector>

namespace nbs::nomad_sim {

namespace {

namespace json = boost::json;

struct Token {
  bool action = false;
  std::string text;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

void rtrim(std::string& s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.pop_back();
  }
}

nbs::Result<std::vector<Token>> tokenize(std::string_view text, const TemplateData& data) {
  std::vector<Token> tokens;
  bool trim_next = false;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t open = text.find(data.left_delim, pos);
    std::string chunk{text.substr(pos, open == std::string_view::npos ? std::string_view::npos : open - pos)};
    if (trim_next) {
      chunk.erase(0, chunk.find_first_not_of(" \t\r\n") == std::string::npos
                         ? chunk.size()
                         : chunk.find_first_not_of(" \t\r\n"));
    }
    if (open == std::string_view::npos) {
      tokens.push_back({false, chunk});
      break;
    }
    const std::size_t body = open + data.left_delim.size();
    const std::size_t close = text.find(data.right_delim, body);
    if (close == std::string_view::npos) {
      return nbs::make_error(nbs::ErrorKind::invalid_argument, "template: unclosed action");
    }
    std::string_view action = text.substr(body, close - body);
    if (!action.empty() && action.front() == '-') {
      rtrim(chunk);
      action.remove_prefix(1);
    }
    trim_next = !action.empty() && action.back() == '-';
    if (trim_next) {
      action.remove_suffix(1);
    }
    tokens.push_back({false, chunk});
    tokens.push_back({true, std::string(trim(action))});
    pos = close + data.right_delim.size();
  }
  return tokens;
}

// The quoted argument of `fn "arg"`, or nullopt when `expr` is not that call.
std::optional<std::string> call_arg(std::string_view expr, std::string_view fn) {
  if (expr.substr(0, fn.size()) != fn || expr.size() <= fn.size() || expr[fn.size()] != ' ') {
    return std::nullopt;
  }
  std::string_view arg = trim(expr.substr(fn.size()));
  if (arg.size() < 2 || arg.front() != '"' || arg.back() != '"') {
    return std::nullopt;
  }
  return std::string(arg.substr(1, arg.size() - 2));
}

nbs::Result<json::value> evaluate(std::string_view expr, const json::value& ctx, const TemplateData& data) {
  if (auto name = call_arg(expr, "env")) {
    const auto it = data.env->find(*name);
    return json::value(it == data.env->end() ? "" : it->second);
  }
  if (auto path = call_arg(expr, "secret")) {
    const json::value* secret =
        data.vault_secrets != nullptr ? data.vault_secrets->if_contains(*path) : nullptr;
    if (secret == nullptr) {
      return nbs::make_error(nbs::ErrorKind::not_found,
                             "vault.read(" + *path + "): no secret exists at " + *path);
    }
    return json::value(json::object{{"Data", *secret}});
  }
  if (auto path = call_arg(expr, "nomadVar")) {
    auto items = data.nomad_var ? data.nomad_var(*path) : std::nullopt;
    if (!items) {
      return nbs::make_error(nbs::ErrorKind::not_found, "nomadVar: variable \"" + *path + "\" not found");
    }
    return json::value(std::move(*items));
  }
  if (!expr.empty() && expr.front() == '"' && expr.back() == '"' && expr.size() >= 2) {
    return json::value(std::string(expr.substr(1, expr.size() - 2)));
  }
  // `index .Data.data "a-key"`: a key that a dotted path cannot name. Missing keys fail the template, as
  // Nomad's error_on_missing_key does (the only way nbs-mcpd's templates use it).
  if (expr.substr(0, 6) == "index ") {
    const std::string_view args = trim(expr.substr(6));
    const auto space = args.find(' ');
    const std::string_view quoted = space == std::string_view::npos ? "" : trim(args.substr(space + 1));
    if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') {
      return nbs::make_error(
          nbs::ErrorKind::invalid_argument,
          "template: index takes a value and a quoted key (nomad-sim): " + std::string(expr));
    }
    auto object = evaluate(args.substr(0, space), ctx, data);
    if (!object) {
      return object.error();
    }
    const std::string name(quoted.substr(1, quoted.size() - 2));
    const json::value* value = object->is_object() ? object->get_object().if_contains(name) : nullptr;
    if (value == nullptr) {
      return nbs::make_error(nbs::ErrorKind::not_found,
                             "template: map has no entry for key \"" + name + "\"");
    }
    return *value;
  }
  if (!expr.empty() && expr.front() == '.') {
    json::value cur = ctx;
    std::string_view rest = expr.substr(1);
    while (!rest.empty()) {
      const std::size_t dot = rest.find('.');
      const std::string key{rest.substr(0, dot)};
      rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
      const json::value* next = cur.is_object() ? cur.get_object().if_contains(key) : nullptr;
      cur = next != nullptr ? *next : json::value(nullptr);
    }
    return cur;
  }
  return nbs::make_error(nbs::ErrorKind::invalid_argument,
                         "template: unsupported action \"" + std::string(expr) + "\" (nomad-sim)");
}

bool truthy(const json::value& v) {
  if (v.is_null()) {
    return false;
  }
  if (v.is_bool()) {
    return v.get_bool();
  }
  if (v.is_string()) {
    return !v.get_string().empty();
  }
  if (v.is_object()) {
    return !v.get_object().empty();
  }
  if (v.is_array()) {
    return !v.get_array().empty();
  }
  return true;
}

std::string as_output(const json::value& v) {
  if (v.is_string()) {
    return std::string(v.get_string());
  }
  if (v.is_null()) {
    return "<no value>";
  }
  return json::serialize(v);
}

struct BlockEnd {
  std::size_t next = 0;
  std::string terminator;  // "end", "else" or "" at the end of the text
};

// Renders tokens from `i` into `out` (skips them when out is null) until a matching end/else.
nbs::Result<BlockEnd> render_block(const std::vector<Token>& toks, std::size_t i, const json::value& ctx,
                                   std::string* out, const TemplateData& data) {
  while (i < toks.size()) {
    const Token& tok = toks[i++];
    if (!tok.action) {
      if (out != nullptr) {
        *out += tok.text;
      }
      continue;
    }
    const std::string_view act = tok.text;
    if (act == "end" || act == "else") {
      return BlockEnd{i, std::string(act)};
    }
    const bool is_with = act.substr(0, 5) == "with ";
    if (is_with || act.substr(0, 3) == "if ") {
      json::value value;
      bool truth = false;
      if (out != nullptr) {
        auto v = evaluate(trim(act.substr(is_with ? 5 : 3)), ctx, data);
        if (!v) {
          return v.error();
        }
        value = std::move(*v);
        truth = truthy(value);
      }
      auto body = render_block(toks, i, is_with && truth ? value : ctx, truth ? out : nullptr, data);
      if (!body) {
        return body.error();
      }
      i = body->next;
      if (body->terminator == "else") {
        body = render_block(toks, i, ctx, !truth ? out : nullptr, data);
        if (!body) {
          return body.error();
        }
        i = body->next;
      }
      if (body->terminator != "end") {
        return nbs::make_error(nbs::ErrorKind::invalid_argument,
                               "template: unexpected EOF, missing {{ end }}");
      }
      continue;
    }
    if (out != nullptr) {
      auto v = evaluate(act, ctx, data);
      if (!v) {
        return v.error();
      }
      *out += as_output(*v);
    }
  }
  return BlockEnd{i, ""};
}

}  // namespace

nbs::Result<std::string> render_template(std::string_view text, const TemplateData& data) {
  auto tokens = tokenize(text, data);
  if (!tokens) {
    return tokens.error();
  }
  std::string out;
  auto end = render_block(*tokens, 0, json::value(nullptr), &out, data);
  if (!end) {
    return end.error();
  }
  if (!end->terminator.empty()) {
    return nbs::make_error(nbs::ErrorKind::invalid_argument,
                           "template: unexpected {{ " + end->terminator + " }}");
  }
  return out;
}

}  // namespace nbs::nomad_sim
