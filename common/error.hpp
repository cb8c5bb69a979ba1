// Errors as values: every fallible call returns Result<T>. An Error has a kind (which maps to an HTTP
// status and a JSON-RPC code in one place, in mcpd/), a lower-case message that starts with its field
// or origin, and, for validation, every offending field with its reason.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

namespace nbs {

enum class ErrorKind {
  invalid_argument,  // the caller sent something wrong; fixing the input fixes it
  unauthorized,
  not_found,
  conflict,     // a check-and-set lost, or the thing already exists
  unavailable,  // a dependency is down or overloaded; retrying later may help
  timeout,
  rate_limited,  // the caller sent too many requests; the same call succeeds later
  internal,
};

std::string_view to_string(ErrorKind kind);

// One field of a request and what is wrong with it. `path` is a JSON path such as
// `test.commands[2]` or `build_args.HTTP_PROXY`; empty for the request as a whole.
struct FieldError {
  std::string path;
  std::string reason;

  friend bool operator==(const FieldError&, const FieldError&) = default;
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;
  std::vector<FieldError> fields;

  // One line per field ("path: reason"), or the message when there are none.
  std::string describe() const;
};

Error make_error(ErrorKind kind, std::string message);
// A validation error listing every field; the message is the fields joined by "; ".
Error make_field_errors(std::vector<FieldError> fields);

// Thrown by Result<T>::value() on an error; carries the Error for a catch site in main().
class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(Error error);
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

[[noreturn]] void throw_exception_from_error(const Error& error, const boost::source_location& location);

template <class T>
using Result = boost::system::result<T, Error>;

// For functions that return nothing but may fail.
using Status = boost::system::result<void, Error>;

}  // namespace nbs
