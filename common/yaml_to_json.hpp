// Converts YAML text to the JSON value it denotes (YAML 1.2 core schema: plain scalars become null,
// booleans, integers or floats; quoted scalars stay strings), so YAML input can share JSON's parser.
#pragma once

#include <string_view>

#include <boost/json/value.hpp>

#include "common/error.hpp"

namespace nbs {

// Fails on invalid YAML ("yaml: line N, column M: ..."), duplicate keys, non-scalar keys, more than
// one document, nesting deeper than 64, or more than 100,000 nodes (alias bombs).
Result<boost::json::value> yaml_to_json(std::string_view text);

}  // namespace nbs
