#include "common/job_id.hpp"

#include <array>
#include <stdexcept>

#include <openssl/rand.h>

#include "common/digest.hpp"

namespace nbs {

std::string new_job_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Without randomness ids could collide across replicas; there is no safe fallback.
    throw std::runtime_error("job id: the system random source failed");
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out = hex(bytes);
  for (std::size_t at : {20, 16, 12, 8}) {  // 8-4-4-4-12
    out.insert(at, 1, '-');
  }
  return out;
}

bool is_job_id(std::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace nbs
