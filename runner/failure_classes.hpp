// The failure class of each way a runner phase can fail (common/failure.hpp). Where a structured
// signal exists (libgit2's codes as ErrorKind, the registry client's HTTP statuses) it decides; Buildah
// reports only text, so for its pulls, pushes and builds the text does.
#pragma once

#include <string_view>

#include "common/error.hpp"
#include "common/failure.hpp"

namespace nbs::runner {

// A fetch or checkout error (runner/git_support.cpp gives auth failures ErrorKind::unauthorized and
// unknown refs ErrorKind::not_found with the field git_ref).
FailureClass git_failure_class(const Error& error);

// A registry error as Buildah or podman print it: TLS trouble, refused credentials, or (the only
// transient kind, worth a retry) no answer; base_image_not_found for "manifest unknown" and the like;
// internal when the text says none of these.
FailureClass registry_failure_class(std::string_view output);

// An error of the registry client (registry-side publish), from its ErrorKind.
FailureClass registry_failure_class(const Error& error);

// One line for a registry error as Buildah prints it, a chain "context: context: cause": `what` ("FROM",
// "push of"), the image of the chain's first docker:// reference, and the cause (the chain's last two
// links, once when they repeat): "FROM 127.0.0.1:5000/nope:1: manifest unknown". The whole chain stays
// in the log and the evidence.
std::string registry_error_summary(std::string_view what, std::string_view error);

// Whether a failed `buildah bud`'s last lines show the node's transient trouble rather than the build's:
// the kernel refusing (EBUSY) to seal the memfd copy of the binary a RUN step starts through.
bool is_transient_buildah_failure(std::string_view output);

// A failed `buildah bud`: `failing_step` is the header of the step that was running ("STEP 2/3: COPY
// app.txt /app/", empty before the first), `output` the last lines Buildah printed.
FailureClass bud_failure_class(std::string_view failing_step, std::string_view output);

}  // namespace nbs::runner
