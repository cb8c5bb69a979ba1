// Nomad answers errors as plain text with meaningful status codes; this maps them to nbs::Error
// kinds, keeping the status and the text in the message ("nomad: PUT /v1/jobs: 500 <text>").
#pragma once

#include <string_view>

#include "common/error.hpp"

namespace nbs::jobs::nomad {

// 400 invalid_argument, 401/403 unauthorized, 404 not_found, 409 conflict, 429 and 5xx unavailable.
// Exceptions, because Nomad reports job validation as 500: a write answered 500 is invalid_argument
// unless its text says the cluster itself is in trouble, and a lost EnforceIndex check-and-set
// ("Enforcing job modify index …") is conflict.
Error nomad_error(int status, std::string_view body, std::string_view method, std::string_view path);

}  // namespace nbs::jobs::nomad
