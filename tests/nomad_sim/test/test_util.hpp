// Job bodies and waits shared by the simulator's tests.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "tests/nomad_sim/test/sim_client.hpp"

namespace nbs::nomad_sim::test {

namespace json = boost::json;

// {"Job": {...}} for a batch job with one group "g" and one raw_exec task "t" running argv, with
// the policies our daemon sends (RestartPolicy attempts 0 mode fail, ReschedulePolicy attempts 0).
json::object batch_job(const std::string& id, const std::vector<std::string>& argv);

// The task object inside a register body (TaskGroups[0].Tasks[0]).
json::object& first_task(json::object& body);

// Registers and returns the response (fails the test on a non-200).
json::object register_job(const SimClient& client, const json::object& body);

// Polls until the job has an allocation; returns its ID ("" after the timeout).
std::string wait_first_alloc(const SimClient& client, const std::string& job_id,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Polls GET /v1/allocation/:id until `done(alloc)`; returns the last allocation seen.
json::object wait_alloc(const SimClient& client, const std::string& alloc_id,
                        const std::function<bool(const json::object&)>& done,
                        std::chrono::milliseconds timeout = std::chrono::seconds(15));

bool alloc_terminal(const json::object& alloc);

// Event types of a task, in order.
std::vector<std::string> event_types(const json::object& alloc, const std::string& task);
// The first event of `type`, or an empty object.
json::object find_event(const json::object& alloc, const std::string& task, const std::string& type);

// Percent-encodes for a URL path segment (as Go's url.PathEscape does for '/').
std::string path_escape(const std::string& s);

// Decodes concatenated StreamFrame objects ({...}{...}) into the concatenated base64-decoded Data.
std::string decode_frames(const std::string& body, std::vector<json::object>* frames = nullptr);

}  // namespace nbs::nomad_sim::test
