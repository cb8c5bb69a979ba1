#include "runner/dockerfile/words.hpp"

#include <cctype>

namespace nbs::runner::dockerfile {
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Nested `${A:-${B:-…}}` deeper than this has no known value (and cannot exhaust the stack).
constexpr int k_max_nesting = 16;

class Expander {
 public:
  Expander(std::string_view word, const Variables& vars, char escape, int depth = 0)
      : word_(word), vars_(vars), escape_(escape), depth_(depth) {}

  std::optional<std::string> run() {
    std::string out;
    while (at_ < word_.size()) {
      const char c = word_[at_++];
      if (c == '\'') {
        auto end = word_.find('\'', at_);
        if (end == std::string_view::npos) {
          return std::nullopt;
        }
        out += word_.substr(at_, end - at_);
        at_ = end + 1;
      } else if (c == '"') {
        if (!double_quoted(out)) {
          return std::nullopt;
        }
      } else if (c == '$') {
        if (!dollar(out)) {
          return std::nullopt;
        }
      } else if (c == escape_) {
        if (at_ < word_.size()) {
          out += word_[at_++];
        }
      } else {
        out += c;
      }
    }
    return out;
  }

 private:
  bool double_quoted(std::string& out) {
    while (at_ < word_.size()) {
      const char c = word_[at_++];
      if (c == '"') {
        return true;
      }
      if (c == '$') {
        if (!dollar(out)) {
          return false;
        }
        continue;
      }
      if (c == escape_ && at_ < word_.size()) {
        const char next = word_[at_];
        if (next == '"' || next == '$' || next == escape_) {
          out += next;
          ++at_;
          continue;
        }
      }
      out += c;
    }
    return false;
  }

  // After a `$`: a name, `{…}`, or a literal `$`.
  bool dollar(std::string& out) {
    if (at_ < word_.size() && word_[at_] == '{') {
      return braced(out);
    }
    auto start = at_;
    while (at_ < word_.size() && is_name_char(word_[at_])) {
      ++at_;
    }
    if (at_ == start) {
      out += '$';
      return true;
    }
    auto value = vars_.get(word_.substr(start, at_ - start));
    if (!value) {
      return false;
    }
    out += *value;
    return true;
  }

  bool braced(std::string& out) {
    const auto close = matching_brace(at_);
    if (close == std::string_view::npos) {
      return false;
    }
    auto inner = word_.substr(at_ + 1, close - at_ - 1);
    at_ = close + 1;
    std::size_t name_end = 0;
    while (name_end < inner.size() && is_name_char(inner[name_end])) {
      ++name_end;
    }
    auto value = vars_.get(inner.substr(0, name_end));
    auto modifier = inner.substr(name_end);
    if (modifier.empty()) {
      if (!value || name_end == 0) {
        return false;
      }
      out += *value;
      return true;
    }
    if (!value || modifier.size() < 2 || modifier[0] != ':' || (modifier[1] != '-' && modifier[1] != '+')) {
      return false;  // unknown, or a modifier the preflight does not evaluate
    }
    const bool set = !value->empty();
    if ((modifier[1] == '-' && set) || (modifier[1] == '+' && !set)) {
      out += modifier[1] == '-' ? *value : "";
      return true;
    }
    if (depth_ >= k_max_nesting) {
      return false;
    }
    auto alternative = Expander(modifier.substr(2), vars_, escape_, depth_ + 1).run();
    if (!alternative) {
      return false;
    }
    out += *alternative;
    return true;
  }

  std::size_t matching_brace(std::size_t open) const {
    int depth = 0;
    for (auto i = open; i < word_.size(); ++i) {
      if (word_[i] == '{') {
        ++depth;
      } else if (word_[i] == '}' && --depth == 0) {
        return i;
      }
    }
    return std::string_view::npos;
  }

  std::string_view word_;
  const Variables& vars_;
  char escape_;
  int depth_;
  std::size_t at_ = 0;
};

}  // namespace

Variables::Variables(std::shared_ptr<const Variables> base) {
  if (!base) {
    return;
  }
  if (base->depth_ >= k_max_depth) {
    cut_ = true;  // and no link: the chain (and the destructors' recursion) stays bounded
    return;
  }
  depth_ = base->depth_ + 1;
  cut_ = base->cut_;
  base_ = std::move(base);
}

void Variables::set_env(const std::string& name, std::optional<std::string> value) {
  env_[name] = std::move(value);
}

void Variables::set_arg(const std::string& name, std::optional<std::string> value) {
  args_[name] = std::move(value);
}

std::optional<std::string> Variables::get(std::string_view name) const {
  for (const auto* vars = this; vars != nullptr; vars = vars->base_.get()) {
    if (auto e = vars->env_.find(name); e != vars->env_.end()) {
      return e->second;
    }
  }
  if (cut_) {
    return std::nullopt;  // an ENV further up may set it
  }
  if (auto a = args_.find(name); a != args_.end()) {
    return a->second;
  }
  return std::nullopt;
}

std::shared_ptr<const Variables> Variables::env_only() const {
  auto v = std::make_shared<Variables>();
  v->env_ = env_;
  v->base_ = base_;
  v->depth_ = depth_;
  v->cut_ = cut_;
  return v;
}

std::string_view trim_left_blanks(std::string_view text) {
  auto at = text.find_first_not_of(k_blanks);
  return at == std::string_view::npos ? std::string_view() : text.substr(at);
}

std::string_view trim_blanks(std::string_view text) {
  text = trim_left_blanks(text);
  return text.substr(0, text.find_last_not_of(k_blanks) + 1);
}

std::vector<std::string_view> split_words(std::string_view text, char escape) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    if (k_blanks.find(text[i]) != std::string_view::npos) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    char quote = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (quote == 0 && k_blanks.find(c) != std::string_view::npos) {
        break;
      }
      if (quote != 0) {
        quote = c == quote ? '\0' : quote;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == escape) {
        ++i;  // the escaped character belongs to the word
      }
      ++i;
    }
    i = std::min(i, text.size());
    words.push_back(text.substr(start, i - start));
  }
  return words;
}

std::optional<std::string> expand_word(std::string_view word, const Variables& vars, char escape) {
  return Expander(word, vars, escape).run();
}

std::vector<Assignment> parse_assignments(std::string_view keyword, std::string_view args,
                                          const Variables& vars, char escape) {
  std::vector<Assignment> out;
  auto words = split_words(args, escape);
  // The old form `ENV NAME the rest of the line`.
  if (keyword == "ENV" && !words.empty() && words.front().find('=') == std::string_view::npos) {
    auto rest = args.substr(words.front().size());
    rest.remove_prefix(std::min(rest.find_first_not_of(k_blanks), rest.size()));
    out.push_back({std::string(words.front()), expand_word(rest, vars, escape), true});
    return out;
  }
  for (auto word : words) {
    auto eq = word.find('=');
    if (eq == std::string_view::npos) {
      out.push_back({std::string(word), std::nullopt, false});
      continue;
    }
    out.push_back({std::string(word.substr(0, eq)), expand_word(word.substr(eq + 1), vars, escape), true});
  }
  return out;
}

}  // namespace nbs::runner::dockerfile
