#include "common/error.hpp"

namespace nbs {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_argument:
      return "invalid_argument";
    case ErrorKind::unauthorized:
      return "unauthorized";
    case ErrorKind::not_found:
      return "not_found";
    case ErrorKind::conflict:
      return "conflict";
    case ErrorKind::unavailable:
      return "unavailable";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::rate_limited:
      return "rate_limited";
    case ErrorKind::internal:
      return "internal";
  }
  return "internal";
}

std::string Error::describe() const {
  if (fields.empty()) {
    return message;
  }
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) {
      out += '\n';
    }
    out += f.path.empty() ? f.reason : f.path + ": " + f.reason;
  }
  return out;
}

Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message), {}};
}

Error make_field_errors(std::vector<FieldError> fields) {
  std::string message;
  for (const auto& f : fields) {
    if (!message.empty()) {
      message += "; ";
    }
    message += f.path.empty() ? f.reason : f.path + ": " + f.reason;
  }
  return Error{ErrorKind::invalid_argument, std::move(message), std::move(fields)};
}

ErrorException::ErrorException(Error error) : std::runtime_error(error.message), error_(std::move(error)) {}

void throw_exception_from_error(const Error& error, const boost::source_location&) {
  throw ErrorException(error);
}

}  // namespace nbs
