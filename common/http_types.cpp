#include "common/http_types.hpp"

#include <boost/algorithm/string/predicate.hpp>

namespace nbs {

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (boost::algorithm::iequals(key, name)) {
      return value;
    }
  }
  return std::nullopt;
}

ErrorKind error_kind_of_status(int status) {
  switch (status) {
    case 401:
    case 403:
      return ErrorKind::unauthorized;
    case 404:
      return ErrorKind::not_found;
    case 409:
      return ErrorKind::conflict;
    case 408:
    case 504:
      return ErrorKind::timeout;
    case 429:
      return ErrorKind::rate_limited;
    case 500:
      return ErrorKind::internal;
    default:
      break;
  }
  if (status >= 500) {
    return ErrorKind::unavailable;  // 502, 503: down or overloaded, worth another try
  }
  return status >= 400 ? ErrorKind::invalid_argument : ErrorKind::internal;
}

}  // namespace nbs
