// A small subset of consul-template, enough for the jobs we send: text, {{ env "X" }},
// {{ with secret "path" }}…{{ .Data.data.k }}…{{ end }} (fake secrets from --vault-secrets),
// {{ with nomadVar "path" }}…{{ .k }}…{{ end }} (the simulator's own variables), {{ if }}, {{ else }},
// and the {{- -}} trim markers. Anything else is an error, so a job that needs more fails visibly.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "common/error.hpp"
#include "tests/nomad_sim/task_env.hpp"

namespace nbs::nomad_sim {

struct TemplateData {
  const EnvMap* env = nullptr;
  const boost::json::object* vault_secrets = nullptr;                               // path → secret Data
  std::function<std::optional<boost::json::object>(const std::string&)> nomad_var;  // path → Items
  std::string left_delim = "{{";
  std::string right_delim = "}}";
};

// The rendered text, or an error naming the unsupported action or missing secret.
nbs::Result<std::string> render_template(std::string_view text, const TemplateData& data);

}  // namespace nbs::nomad_sim
