// Arguments as Buildah reads them: words split at blanks outside quotes, and `$NAME`, `${NAME}`,
// `${NAME:-word}`, `${NAME:+word}` replaced by the values the Dockerfile gives its ARG and ENV
// variables. A variable the Dockerfile does not define may still come from the base image, so a word
// that uses one has no known value, and the preflight then leaves it alone.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nbs::runner::dockerfile {

// The variables of one stage at one instruction. ENV wins over ARG, as in Buildah. A stage built FROM
// another starts with that stage's ENV values, shared rather than copied (a chain of stages would
// otherwise hold each ENV value once per later stage), up to 64 stages up: further up they are unknown.
class Variables {
 public:
  Variables() = default;
  // A stage built FROM the stage whose ENV values `base` holds (see env_only()).
  explicit Variables(std::shared_ptr<const Variables> base);

  void set_env(const std::string& name, std::optional<std::string> value);
  void set_arg(const std::string& name, std::optional<std::string> value);
  // The value, or nullopt when it is unknown (undefined here, or defined from something unknown).
  std::optional<std::string> get(std::string_view name) const;
  // What a stage built FROM this one starts with: the ENV values, not the ARGs.
  std::shared_ptr<const Variables> env_only() const;

 private:
  static constexpr int k_max_depth = 64;

  std::map<std::string, std::optional<std::string>, std::less<>> env_;
  std::map<std::string, std::optional<std::string>, std::less<>> args_;
  std::shared_ptr<const Variables> base_;  // the ENV values of the stage this one is built FROM
  int depth_ = 0;                          // how many stages up `base_` reaches
  bool cut_ = false;                       // stages further up than k_max_depth were left out
};

// White space as Buildah sees it (Go's unicode.IsSpace, in ASCII): common/text's trim() keeps \v and
// \f, which Buildah strips from a line (a `!a.txt\v` exception in .dockerignore is `!a.txt` to it).
inline constexpr std::string_view k_blanks = " \t\n\v\f\r";
std::string_view trim_blanks(std::string_view text);
std::string_view trim_left_blanks(std::string_view text);

// Words split at blanks outside quotes, quotes and escapes kept.
std::vector<std::string_view> split_words(std::string_view text, char escape = '\\');

// `word` with its variables replaced and its quotes and escapes removed; nullopt when a variable's
// value is unknown or the word is malformed (an unclosed quote or brace).
std::optional<std::string> expand_word(std::string_view word, const Variables& vars, char escape);

// `NAME=value` (or a bare `NAME`, value nullopt) as ARG and ENV declare them.
struct Assignment {
  std::string name;
  std::optional<std::string> value;  // expanded; nullopt when absent or unknown
  bool has_value = false;
};

// The assignments of an ARG or ENV instruction's arguments (`ENV NAME value` included).
std::vector<Assignment> parse_assignments(std::string_view keyword, std::string_view args,
                                          const Variables& vars, char escape);

}  // namespace nbs::runner::dockerfile
