// Where the values of a job's secret build args wait for its build phase: `secrets/<id>` in the record
// store (a Nomad Variable on a cluster, an owner-only file locally), apart from the job record that
// getStatus, getHistory and webhooks read and that shows *** in their place. Written at submit, read
// when a build phase starts, removed when the job ends.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/job_request.hpp"
#include "jobs/record_store.hpp"

namespace nbs::mcpd {

std::string secrets_key(std::string_view job_id);

// Creates the job's entry; an empty `values` writes nothing.
Status store_build_arg_secrets(jobs::RecordStore& store, const std::string& job_id,
                               const std::map<std::string, std::string>& values);

// Puts the stored values back into `request`. Errors: invalid_argument when the request marks build
// args secret and their values are gone (the job cannot be built as asked), or the store's error.
Status load_build_arg_secrets(jobs::RecordStore& store, const std::string& job_id, JobRequest& request);

// Removes the job's entry if there is one.
Status drop_build_arg_secrets(jobs::RecordStore& store, const std::string& job_id);

}  // namespace nbs::mcpd
