// Reads the counts and the first failure out of a JUnit XML report (the format pytest, Maven Surefire,
// Gradle, go-junit-report and ctest --output-junit write). Parsing is pugixml's, which builds its tree
// without recursion, so neither a deep nesting nor a huge attribute costs more than the input's size; the
// input is at most a collected report's cap (1 MiB).
#pragma once

#include <optional>
#include <string_view>

#include "jobs/executor.hpp"

namespace nbs::jobs {

// The longest first-failure message kept: getStatus shows it, and must stay small.
inline constexpr std::size_t k_junit_message_bytes = 300;

// None when `xml` is not a JUnit report (its root is not <testsuites> or <testsuite>). A report cut
// off by a size cap is read as far as it goes.
std::optional<JUnitSummary> parse_junit(std::string_view xml);

// How many first bytes of a collected report junit_report() looks at when its name does not end in .xml.
inline constexpr std::size_t k_junit_sniff_bytes = 256;
// Whether a collected report is read as JUnit: its path ends in .xml, or its first bytes (`head`, of
// k_junit_sniff_bytes) hold a <testsuite.
bool looks_like_junit(std::string_view path, std::string_view head);
// The summary of a collected report that looks like JUnit and parses as such, the same on both executors.
std::optional<JUnitSummary> junit_report(std::string_view path, std::string_view bytes);

}  // namespace nbs::jobs
