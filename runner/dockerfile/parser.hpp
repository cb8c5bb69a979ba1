// Reads a Dockerfile the way Buildah does, into instructions with their line numbers, so that the
// preflight can check it before Buildah starts. Buildah before 1.33 reads it with imagebuilder's copy
// of the classic Docker parser (only the escape directive; `<<EOF` is plain text, so a heredoc's body
// lines are read as instructions); Buildah 1.33 and later read it as BuildKit does (the syntax, escape
// and check directives; heredocs after RUN, COPY and ADD).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runner/dockerfile/finding.hpp"

namespace nbs::runner::dockerfile {

enum class Dialect {
  classic,  // Buildah < 1.33
  heredoc,  // Buildah >= 1.33, BuildKit
};

// One here-document of an instruction (`RUN <<EOF`, `COPY <<-"EOF" /dst`). In the classic dialect
// the body is not read, but its lines are recorded, to explain why Buildah stumbles over them.
struct Heredoc {
  std::string delimiter;
  bool strip_tabs = false;  // <<-
  int first_line = 0;       // the body's first line
  int last_line = 0;        // the delimiter's line; 0 when the file ends before it
};

struct Instruction {
  std::string keyword;  // upper case: "COPY", "FROMM"
  int line = 0;         // where it starts
  int end_line = 0;     // its last line (continuations and, in the heredoc dialect, heredoc bodies)
  std::vector<std::string> flags;                // leading "--name=value" words, quotes removed
  std::string args;                              // the rest, continuation lines joined
  std::optional<std::vector<std::string>> json;  // the arguments in JSON form (["a", "b"])
  std::vector<Heredoc> heredocs;
};

struct Dockerfile {
  char escape = '\\';
  std::vector<Instruction> instructions;
  // What stops Buildah before any step: a bad escape directive, an unterminated heredoc.
  std::vector<Finding> problems;
};

Dockerfile parse(std::string_view text, Dialect dialect);

// True for the 18 instructions Buildah runs; `keyword` in upper case.
bool is_known_instruction(std::string_view keyword);
const std::vector<std::string>& known_instructions();

// The value of flag `--name=…` ("" for a bare `--name`), or nullopt.
std::optional<std::string> flag_value(const Instruction& instruction, std::string_view name);

// The arguments as words: the JSON form's strings, or the shell form split at white space.
std::vector<std::string> argument_words(const Instruction& instruction);

}  // namespace nbs::runner::dockerfile
