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

}  // namespace nbs
