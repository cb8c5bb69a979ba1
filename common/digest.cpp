#include "common/digest.hpp"

#include <openssl/evp.h>

namespace nbs {

std::string hex(std::span<const unsigned char> bytes) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += k_hex[b >> 4];
    out += k_hex[b & 0x0f];
  }
  return out;
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return hex({digest, length});
}

}  // namespace nbs
