// Nomad's wire conventions (ref §1): Unix-nanosecond and RFC3339 times, Go duration strings, UUIDs,
// go-multierror text, and small accessors for decoded JSON bodies (base64: common/base64.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "common/base64.hpp"

namespace nbs::nomad_sim {

namespace json = boost::json;

std::int64_t now_ns();

// Go's time.Time JSON form: RFC3339 with trailing-zero-trimmed nanoseconds; 0 gives the zero time
// "0001-01-01T00:00:00Z".
std::string rfc3339(std::int64_t unix_ns);

// A random version-4 UUID in canonical form.
std::string new_uuid();

// Go's time.ParseDuration ("15s", "1m30s", "300000ms", "1.5h"); nullopt for anything else.
std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

// Go's time.Duration.String() ("15s", "1m0s", "500ms").
std::string format_go_duration(std::chrono::nanoseconds d);

// go-multierror's ListFormatFunc: "1 error occurred:\n\t* x\n\n" or "N errors occurred:\n\t* a\n\t* b\n\n".
std::string multierror_text(const std::vector<std::string>& errors);

// Accessors that tolerate absent or null fields and numbers of any JSON kind.
const json::value* find_field(const json::object& obj, std::string_view key);
std::int64_t int_field(const json::object& obj, std::string_view key, std::int64_t fallback = 0);
std::string string_field(const json::object& obj, std::string_view key, std::string_view fallback = "");
bool bool_field(const json::object& obj, std::string_view key, bool fallback = false);
const json::object* object_field(const json::object& obj, std::string_view key);
const json::array* array_field(const json::object& obj, std::string_view key);
std::optional<std::int64_t> as_int(const json::value& v);

// A JSON value's string content, or "" when it is not a string.
std::string as_text(const json::value& v);

}  // namespace nbs::nomad_sim
