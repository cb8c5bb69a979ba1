// The jobs resource: register (plain, or check-and-set with EnforceIndex), read, list by prefix, the
// job's allocations and evaluations, and stop or purge. Wire types of the answers are here too.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/nomad/allocations.hpp"
#include "jobs/nomad/client.hpp"
#include "jobs/nomad/evaluations.hpp"
#include "jobs/nomad/job.hpp"

namespace nbs::jobs::nomad {

// The server's view of a job (GET /v1/job/:id), the fields we use.
struct JobInfo {
  std::string id;
  std::string name;
  std::string namespace_name;
  std::string type;
  std::string status;  // "pending" | "running" | "dead" (a finished batch job is dead either way)
  std::string status_description;
  bool stop = false;
  std::uint64_t version = 0;
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
  std::uint64_t job_modify_index = 0;
  std::int64_t submit_time_ns = 0;
  std::map<std::string, std::string> meta;
  std::vector<std::string> task_groups;  // names
};

// JobSummary.Summary[group]: the group's allocations by client status, and how many wait for placement.
struct TaskGroupSummary {
  std::int64_t queued = 0;
  std::int64_t complete = 0;
  std::int64_t failed = 0;
  std::int64_t running = 0;
  std::int64_t starting = 0;
  std::int64_t lost = 0;
  std::int64_t unknown = 0;
  friend bool operator==(const TaskGroupSummary&, const TaskGroupSummary&) = default;
};

struct JobListStub {
  std::string id;
  std::string parent_id;
  std::string name;
  std::string namespace_name;
  std::string type;
  std::string status;
  std::string status_description;
  bool stop = false;
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
  std::uint64_t job_modify_index = 0;
  std::int64_t submit_time_ns = 0;
  std::map<std::string, std::string> meta;  // only when listed with meta
  // JobSummary: it changes as the job's allocations change state, while ModifyIndex moves only when
  // the job itself (or its Status) changes.
  std::map<std::string, TaskGroupSummary> summary;
  std::uint64_t summary_modify_index = 0;
};

struct RegisterResponse {
  std::string eval_id;  // empty when no evaluation was created
  std::uint64_t eval_create_index = 0;
  std::uint64_t job_modify_index = 0;
  std::string warnings;
  WriteMeta meta;
};

struct DeregisterResponse {
  std::string eval_id;
  std::uint64_t eval_create_index = 0;
  std::uint64_t job_modify_index = 0;
  WriteMeta meta;
};

enum class Purge { no, yes };
enum class AllAllocations { no, yes };  // include allocations of an earlier job with the same id

JobInfo job_info_from_json(const boost::json::object& o);
JobListStub job_list_stub_from_json(const boost::json::object& o);

class Jobs {
 public:
  explicit Jobs(Client& client) : client_(client) {}

  // PUT /v1/jobs. Validation failures come back as invalid_argument with Nomad's text.
  Result<RegisterResponse> register_job(const Job& job, const WriteOptions& options = {});
  // Registers only if the job's JobModifyIndex is `modify_index`; 0 means "only if it does not exist".
  // A lost check-and-set is ErrorKind::conflict, so registering the same job twice creates it once.
  Result<RegisterResponse> enforce_register(const Job& job, std::uint64_t modify_index,
                                            const WriteOptions& options = {});

  Result<Queried<JobInfo>> info(std::string_view job_id, const QueryOptions& query = {});
  // GET /v1/jobs?prefix=query.prefix (with Meta).
  Result<Queried<std::vector<JobListStub>>> list(const QueryOptions& query = {});
  Result<Queried<std::vector<Allocation>>> allocations(std::string_view job_id,
                                                       const QueryOptions& query = {},
                                                       AllAllocations all = AllAllocations::no);
  Result<Queried<std::vector<Evaluation>>> evaluations(std::string_view job_id,
                                                       const QueryOptions& query = {});
  // DELETE /v1/job/:id: stops the job (tasks get their kill signal), or with Purge::yes also forgets it.
  // Deleting a job that does not exist succeeds, as in Nomad.
  Result<DeregisterResponse> deregister(std::string_view job_id, Purge purge,
                                        const WriteOptions& options = {});

 private:
  Result<RegisterResponse> do_register(const Job& job, const std::uint64_t* modify_index,
                                       const WriteOptions& options);
  Client& client_;
};

}  // namespace nbs::jobs::nomad
