#include "runner/dockerfile/checker.hpp"

#include <algorithm>

#include <climits>

#include "runner/dockerfile/suggest.hpp"

namespace nbs::runner::dockerfile {
namespace {

bool is_remote(std::string_view source) {
  return source.find("://") != std::string_view::npos || source.rfind("git@", 0) == 0;
}

bool is_heredoc_word(std::string_view word) {
  auto at = word.find_first_not_of("0123456789");
  return at != std::string_view::npos && word.substr(at, 2) == "<<";
}

// The source as written, and what it expands to when that differs.
std::string shown(std::string_view written, const std::string& expanded) {
  return written == expanded ? clip(expanded) : clip(written) + " (= " + clip(expanded) + ")";
}

}  // namespace

Checker::Checker(const Dockerfile& file, const StageGraph& graph, const PreflightOptions& options,
                 const BuildContext& context)
    : file_(file), graph_(graph), options_(options), context_(context) {
  for (const auto& stage : graph_.stages) {
    if (!stage.name.empty()) {
      names_.push_back(stage.name);
      named_index_.push_back(stage.index);
    }
  }
  for (auto i : graph_.global_args) {
    apply(file_.instructions[i], globals_);
  }
  for (const auto& stage : graph_.stages) {
    auto vars = stage_variables_at_start(stage);
    for (auto i = stage.begin + 1; i < stage.end && !stage.preamble; ++i) {
      apply(file_.instructions[i], vars);
    }
    stage_env_.push_back(vars.env_only());
  }
}

std::vector<Finding> Checker::run() {
  findings_ = file_.problems;
  if (!findings_.empty()) {
    return findings_;  // Buildah stops at these before reading any further
  }
  if (graph_.stages.empty() || (graph_.stages.size() == 1 && graph_.stages.front().preamble)) {
    check_without_from();
  } else if (!graph_.target) {
    check_target();
  } else {
    check_from_indexes();
    for (const auto& stage : graph_.stages) {
      if (stage.built) {
        check_stage(stage);
      }
    }
  }
  std::stable_sort(findings_.begin(), findings_.end(),
                   [](const Finding& a, const Finding& b) { return a.line < b.line; });
  return findings_;
}

void Checker::add(FindingClass kind, int line, std::string message) {
  findings_.push_back({kind, line, std::move(message)});
}

void Checker::check_without_from() {
  if (file_.instructions.empty()) {
    add(FindingClass::dockerfile_syntax, 1, "the Dockerfile has no instructions (it needs FROM <image>)");
    return;
  }
  bool suggested_from = false;
  for (const auto& ins : file_.instructions) {
    check_unknown(ins);
    suggested_from = suggested_from || (!is_known_instruction(ins.keyword) &&
                                        closest(ins.keyword, known_instructions()) == "FROM");
  }
  if (!suggested_from) {
    add(FindingClass::dockerfile_syntax, file_.instructions.front().line,
        "no FROM instruction: a build stage starts with FROM <image>");
  }
}

void Checker::check_target() {
  std::vector<std::string> names;
  for (const auto& s : graph_.stages) {
    if (!s.preamble) {
      names.push_back(s.label());
    }
  }
  constexpr std::size_t k_max_names = 10;
  auto near = closest(options_.target, names);
  std::string hint = "stages: ";
  for (std::size_t i = 0; i < names.size() && i < k_max_names; ++i) {
    hint += (i > 0 ? ", " : "") + clip(names[i]);
  }
  if (names.size() > k_max_names) {
    hint += " and " + std::to_string(names.size() - k_max_names) + " more";
  }
  if (near) {
    hint += "; did you mean '" + *near + "'?";
  }
  add(FindingClass::dockerfile_syntax, 0,
      "target: stage '" + clip(options_.target) + "' is not defined (" + hint + ")");
}

std::size_t Checker::stage_count() const {
  return graph_.target ? *graph_.target + 1 : graph_.stages.size();
}

std::span<const std::string> Checker::stage_names(std::size_t before) const {
  const auto end = std::lower_bound(named_index_.begin(), named_index_.end(), before);
  return std::span<const std::string>(names_).first(static_cast<std::size_t>(end - named_index_.begin()));
}

void Checker::check_from_indexes() {
  // Buildah 1.28 crashes (index out of range) on these, in any stage, before the first step.
  for (std::size_t s = 0; s < stage_count(); ++s) {
    const auto& stage = graph_.stages[s];
    for (auto i = stage.begin; i < stage.end; ++i) {
      const auto& ins = file_.instructions[i];
      auto from = ins.keyword == "COPY" ? flag_value(ins, "from") : std::nullopt;
      auto index = from ? stage_index(*from) : std::nullopt;
      if (index && *index >= stage_count()) {
        add(FindingClass::dockerfile_syntax, ins.line,
            "COPY --from=" + clip(*from) + ": there is no stage " + clip(*from) +
                " (stages are numbered 0 to " + std::to_string(stage_count() - 1) + ")");
      }
    }
  }
}

Variables Checker::stage_variables_at_start(const Stage& stage) {
  if (stage.preamble) {
    return {};
  }
  auto words = argument_words(file_.instructions[stage.begin]);
  if (!words.empty()) {
    if (auto base = find_stage(graph_, words.front(), stage.index); base && *base < stage_env_.size()) {
      return Variables(stage_env_[*base]);
    }
  }
  return {};
}

void Checker::apply(const Instruction& ins, Variables& vars) const {
  if (ins.keyword != "ARG" && ins.keyword != "ENV") {
    return;
  }
  const bool global = &vars == &globals_;
  for (auto& a : parse_assignments(ins.keyword, ins.args, vars, file_.escape)) {
    if (ins.keyword == "ENV") {
      vars.set_env(a.name, a.value);
      continue;
    }
    auto given = options_.build_args.find(a.name);
    if (given != options_.build_args.end()) {
      vars.set_arg(a.name, given->second);
    } else if (a.has_value || global) {
      vars.set_arg(a.name, a.value);
    } else {
      vars.set_arg(a.name, globals_.get(a.name));  // `ARG NAME` brings a global ARG into the stage
    }
  }
}

void Checker::check_stage(const Stage& stage) {
  check_from_line(file_.instructions[stage.begin]);
  auto vars = stage_variables_at_start(stage);
  int skip_to_line = 0;  // the end of a heredoc body Buildah would read as instructions
  for (auto i = stage.begin + 1; i < stage.end; ++i) {
    const auto& ins = file_.instructions[i];
    if (ins.line <= skip_to_line) {
      continue;
    }
    if (options_.dialect == Dialect::classic && !ins.heredocs.empty() &&
        check_classic_heredoc(stage, i, vars)) {
      const auto& last = ins.heredocs.back();
      skip_to_line = last.last_line == 0 ? INT_MAX : last.last_line;
      continue;
    }
    if (!is_known_instruction(ins.keyword)) {
      check_unknown(ins);
      continue;
    }
    apply(ins, vars);
    if (ins.keyword == "COPY" || ins.keyword == "ADD") {
      auto from = ins.keyword == "COPY" ? flag_value(ins, "from") : std::nullopt;
      if (from) {
        check_copy_from(stage, ins, *from);
      } else {
        check_sources(ins, vars);
      }
    }
  }
}

void Checker::check_from_line(const Instruction& from) {
  auto words = argument_words(from);
  if (words.size() == 1 || (words.size() == 3 && equal_ignoring_case(words[1], "AS"))) {
    return;
  }
  add(FindingClass::dockerfile_syntax, from.line,
      "FROM takes an image and an optional stage name: FROM <image> [AS <name>]");
}

void Checker::check_unknown(const Instruction& ins) {
  if (is_known_instruction(ins.keyword)) {
    return;
  }
  std::string message = "unknown instruction " + clip(ins.keyword);
  if (auto near = closest(ins.keyword, known_instructions())) {
    message += " (did you mean " + *near + "?)";
  }
  add(FindingClass::dockerfile_syntax, ins.line, std::move(message));
}

void Checker::check_copy_from(const Stage& stage, const Instruction& ins, const std::string& from) {
  const auto shown_from = clip(from);
  const std::string what = "COPY --from=" + shown_from + ": ";
  const std::string rule = " (a stage can only copy from an earlier one)";
  if (from.empty() || from.find('$') != std::string::npos || find_stage(graph_, from, stage.index)) {
    return;
  }
  if (auto index = stage_index(from)) {
    if (*index == stage.index) {
      add(FindingClass::dockerfile_syntax, ins.line,
          what + "stage " + shown_from + " is this stage itself" + rule);
    } else if (*index < stage_count()) {
      add(FindingClass::dockerfile_syntax, ins.line,
          what + "stage " + shown_from + " is defined later, on line " +
              std::to_string(file_.instructions[graph_.stages[*index].begin].line) + rule);
    }
    return;  // out of range: check_from_indexes()
  }
  if (auto named = graph_.first_named.find(from); named != graph_.first_named.end()) {
    const auto& other = graph_.stages[named->second];
    add(FindingClass::dockerfile_syntax, ins.line,
        what +
            (other.index == stage.index ? "'" + shown_from + "' is this stage itself"
                                        : "stage '" + shown_from + "' is defined later, on line " +
                                              std::to_string(file_.instructions[other.begin].line)) +
            rule);
    return;
  }
  // Anything else may be an image; a near miss of a stage name most likely is not.
  if (from.find_first_of("/:@") != std::string::npos) {
    return;
  }
  // Each near-miss search compares with every earlier stage name: a Dockerfile of 20,000 stages each
  // copying from a misspelt one took a minute. Past a budget of comparisons, no more suggestions.
  const auto names = stage_names(stage.index);
  if (names.size() > comparisons_left_) {
    return;
  }
  comparisons_left_ -= names.size();
  if (auto near = closest(from, names)) {
    add(FindingClass::dockerfile_syntax, ins.line,
        what + "no stage '" + shown_from + "' (did you mean stage '" + *near + "'?" +
            (equal_ignoring_case(*near, from) ? " stage names are case-sensitive)" : ")"));
  }
}

bool Checker::check_classic_heredoc(const Stage& stage, std::size_t at, const Variables& vars) {
  // Buildah before 1.33 reads `<<EOF` as plain text: a RUN runs it as a shell word, a COPY looks for
  // a file of that name, and the body's lines become instructions. Reported only when that fails.
  const auto& ins = file_.instructions[at];
  const auto& last = ins.heredocs.back();
  const int end = last.last_line == 0 ? INT_MAX : last.last_line;
  bool fails = false;
  for (auto i = at + 1; i < stage.end && file_.instructions[i].line <= end; ++i) {
    fails = fails || !is_known_instruction(file_.instructions[i].keyword);
  }
  if ((ins.keyword == "COPY" || ins.keyword == "ADD") && !flag_value(ins, "from")) {
    auto words = argument_words(ins);
    for (std::size_t w = 0; w + 1 < words.size(); ++w) {
      if (is_heredoc_word(words[w])) {
        auto source = expand_word(words[w], vars, file_.escape);
        fails = fails || (source && context_.find(*source) != SourceLookup::present);
      }
    }
  }
  if (!fails) {
    return false;
  }
  add(FindingClass::dockerfile_syntax, ins.line,
      ins.keyword + " <<" + clip(ins.heredocs.front().delimiter) +
          ": the node's Buildah reads no heredocs (Buildah 1.33 and later do) and would take lines " +
          std::to_string(ins.heredocs.front().first_line) + "-" +
          (last.last_line == 0 ? std::string("end") : std::to_string(last.last_line)) +
          " as instructions; put the text in a file of the build context and COPY it");
  return true;
}

void Checker::check_sources(const Instruction& ins, const Variables& vars) {
  auto words = argument_words(ins);
  if (words.size() < 2) {
    add(FindingClass::dockerfile_syntax, ins.line,
        ins.keyword + " needs a source and a destination: " + ins.keyword + " <source>... <destination>");
    return;
  }
  for (std::size_t w = 0; w + 1 < words.size(); ++w) {
    const auto& written = words[w];
    if (is_heredoc_word(written) || (ins.keyword == "ADD" && is_remote(written))) {
      continue;
    }
    auto source = expand_word(written, vars, file_.escape);
    if (!source || source->empty()) {
      continue;  // a value the preflight cannot know
    }
    auto found = context_.find(*source);
    if (found != SourceLookup::absent && found != SourceLookup::ignored) {
      continue;
    }
    const bool glob = source->find_first_of("*?[") != std::string::npos;
    std::string context = "context: " + options_.context_label;
    if (found == SourceLookup::ignored) {
      context += "; " + options_.ignore_file_label + (glob ? " excludes every match" : " excludes it");
    }
    add(FindingClass::copy_source_missing, ins.line,
        ins.keyword + " source " + shown(written, *source) +
            (glob ? " matches nothing in the build context (" : " is not in the build context (") + context +
            ")");
  }
}

}  // namespace nbs::runner::dockerfile
