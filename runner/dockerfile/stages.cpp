#include "runner/dockerfile/stages.hpp"

#include <algorithm>

#include "runner/dockerfile/suggest.hpp"

namespace nbs::runner::dockerfile {
namespace {

std::string stage_name(const Instruction& from) {
  auto words = argument_words(from);
  if (words.size() == 3 && equal_ignoring_case(words[1], "AS")) {
    return words[2];
  }
  return "";
}

// `from=` in a `--mount=type=bind,from=stage,target=/x` flag.
std::optional<std::string> mount_source(std::string_view mount) {
  while (!mount.empty()) {
    auto comma = mount.find(',');
    auto field = mount.substr(0, comma);
    mount.remove_prefix(comma == std::string_view::npos ? mount.size() : comma + 1);
    if (field.substr(0, 5) == "from=") {
      return std::string(field.substr(5));
    }
  }
  return std::nullopt;
}

std::optional<std::size_t> find_target(const StageGraph& graph, std::string_view target) {
  if (target.empty()) {
    return graph.stages.size() - 1;
  }
  for (const auto& s : graph.stages) {
    if (!s.preamble && s.name == target) {
      return s.index;
    }
  }
  // Buildah names an unnamed stage by its index; accepting any index in range stays on the safe side.
  if (auto index = stage_index(target); index && *index < graph.stages.size()) {
    return *index;
  }
  return std::nullopt;
}

void mark_built(const Dockerfile& file, StageGraph& graph) {
  if (graph.stages[*graph.target].preamble) {
    return;  // `--target 0` naming the lines before FROM: nothing the preflight can plan
  }
  std::vector<std::size_t> pending{*graph.target};
  graph.stages[*graph.target].built = true;
  while (!pending.empty()) {
    auto& stage = graph.stages[pending.back()];
    pending.pop_back();
    for (const auto& ref : stage_references(file, stage)) {
      auto used = find_stage(graph, ref, stage.index);
      if (used && !graph.stages[*used].built && !graph.stages[*used].preamble) {
        graph.stages[*used].built = true;
        pending.push_back(*used);
      }
    }
  }
}

}  // namespace

std::optional<std::size_t> stage_index(std::string_view ref) {
  if (ref.empty() || ref.size() > 9 || ref.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(std::stoul(std::string(ref)));
}

std::optional<std::size_t> find_stage(const StageGraph& graph, std::string_view ref, std::size_t before) {
  before = std::min(before, graph.stages.size());
  if (auto named = graph.first_named.find(std::string(ref)); named != graph.first_named.end()) {
    if (named->second < before) {
      return named->second;
    }
  }
  if (auto index = stage_index(ref); index && *index < before) {
    return *index;
  }
  return std::nullopt;
}

std::vector<std::string> stage_references(const Dockerfile& file, const Stage& stage) {
  std::vector<std::string> refs;
  if (stage.preamble) {
    return refs;
  }
  auto from_words = argument_words(file.instructions[stage.begin]);
  if (!from_words.empty()) {
    refs.push_back(from_words.front());
  }
  for (auto i = stage.begin + 1; i < stage.end; ++i) {
    const auto& ins = file.instructions[i];
    if (ins.keyword == "COPY") {
      if (auto from = flag_value(ins, "from")) {
        refs.push_back(*from);
      }
    } else if (ins.keyword == "RUN") {
      for (const auto& flag : ins.flags) {
        if (flag.rfind("--mount=", 0) == 0) {
          if (auto from = mount_source(std::string_view(flag).substr(8))) {
            refs.push_back(*from);
          }
        }
      }
    }
  }
  return refs;
}

StageGraph build_stage_graph(const Dockerfile& file, std::string_view target) {
  StageGraph graph;
  const auto& ins = file.instructions;
  auto first_from = static_cast<std::size_t>(
      std::find_if(ins.begin(), ins.end(), [](const Instruction& i) { return i.keyword == "FROM"; }) -
      ins.begin());
  bool preamble = false;
  for (std::size_t i = 0; i < first_from; ++i) {
    if (ins[i].keyword == "ARG") {
      graph.global_args.push_back(i);
    } else {
      preamble = true;
    }
  }
  if (preamble) {
    graph.stages.push_back({.index = 0, .preamble = true, .begin = 0, .end = first_from});
  }
  for (auto i = first_from; i < ins.size(); ++i) {
    if (ins[i].keyword != "FROM") {
      continue;
    }
    if (!graph.stages.empty() && !graph.stages.back().preamble) {
      graph.stages.back().end = i;
    }
    graph.stages.push_back(
        {.index = graph.stages.size(), .name = stage_name(ins[i]), .begin = i, .end = ins.size()});
    if (!graph.stages.back().name.empty()) {
      graph.first_named.emplace(graph.stages.back().name, graph.stages.back().index);
    }
  }
  if (first_from == ins.size()) {
    return graph;
  }
  graph.target = find_target(graph, target);
  if (graph.target) {
    mark_built(file, graph);
  }
  return graph;
}

}  // namespace nbs::runner::dockerfile
