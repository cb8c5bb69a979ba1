// Job ids: 128 random bits printed as a version-4 UUID ("3f2b…-…"); also a valid image tag.
#pragma once

#include <string>
#include <string_view>

namespace nbs {

// Uses the operating system's random source (OpenSSL RAND_bytes).
std::string new_job_id();

// True for the lower-case 8-4-4-4-12 hex form new_job_id() prints.
bool is_job_id(std::string_view text);

}  // namespace nbs
