// Fuzzes JSON text → JobRequest: parsing must never crash, and an accepted request must survive a
// round trip through to_json unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/json/serialize.hpp>

#include "common/job_request_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = nbs::parse_job_request_json(text);
  if (parsed) {
    auto again = nbs::parse_job_request_json(boost::json::serialize(nbs::to_json(*parsed)));
    if (!again || !(*again == *parsed)) {
      std::abort();
    }
  } else if (parsed.error().fields.empty()) {
    std::abort();  // every validation error names at least one field (or the request as a whole)
  }
  (void)nbs::parse_job_request_yaml(text);
  return 0;
}
