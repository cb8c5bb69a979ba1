#include "jobs/nomad/jobs.hpp"

#include <boost/json/serialize.hpp>

#include "jobs/nomad/json_fields.hpp"

namespace nbs::jobs::nomad {
namespace json = boost::json;

JobInfo job_info_from_json(const json::object& o) {
  JobInfo j;
  j.id = fields::str(o, "ID");
  j.name = fields::str(o, "Name");
  j.namespace_name = fields::str(o, "Namespace");
  j.type = fields::str(o, "Type");
  j.status = fields::str(o, "Status");
  j.status_description = fields::str(o, "StatusDescription");
  j.stop = fields::boolean(o, "Stop");
  j.version = fields::u64(o, "Version");
  j.create_index = fields::u64(o, "CreateIndex");
  j.modify_index = fields::u64(o, "ModifyIndex");
  j.job_modify_index = fields::u64(o, "JobModifyIndex");
  j.submit_time_ns = fields::i64(o, "SubmitTime");
  j.meta = fields::string_map(o, "Meta");
  if (const auto* groups = fields::array(o, "TaskGroups")) {
    for (const auto& g : *groups) {
      if (g.is_object()) {
        j.task_groups.push_back(fields::str(g.as_object(), "Name"));
      }
    }
  }
  return j;
}

JobListStub job_list_stub_from_json(const json::object& o) {
  JobListStub j;
  j.id = fields::str(o, "ID");
  j.parent_id = fields::str(o, "ParentID");
  j.name = fields::str(o, "Name");
  j.namespace_name = fields::str(o, "Namespace");
  j.type = fields::str(o, "Type");
  j.status = fields::str(o, "Status");
  j.status_description = fields::str(o, "StatusDescription");
  j.stop = fields::boolean(o, "Stop");
  j.create_index = fields::u64(o, "CreateIndex");
  j.modify_index = fields::u64(o, "ModifyIndex");
  j.job_modify_index = fields::u64(o, "JobModifyIndex");
  j.submit_time_ns = fields::i64(o, "SubmitTime");
  j.meta = fields::string_map(o, "Meta");
  if (const auto* summary = fields::object(o, "JobSummary")) {
    j.summary_modify_index = fields::u64(*summary, "ModifyIndex");
    if (const auto* groups = fields::object(*summary, "Summary")) {
      for (const auto& [name, g] : *groups) {
        if (g.is_object()) {
          const auto& c = g.as_object();
          j.summary[std::string(name)] = TaskGroupSummary{
              fields::i64(c, "Queued"),  fields::i64(c, "Complete"), fields::i64(c, "Failed"),
              fields::i64(c, "Running"), fields::i64(c, "Starting"), fields::i64(c, "Lost"),
              fields::i64(c, "Unknown")};
        }
      }
    }
  }
  return j;
}

Result<RegisterResponse> Jobs::do_register(const Job& job, const std::uint64_t* modify_index,
                                           const WriteOptions& options) {
  json::object body{{"Job", to_json(job)}};
  if (modify_index != nullptr) {
    body["EnforceIndex"] = true;
    body["JobModifyIndex"] = *modify_index;
  }
  auto reply = client_.write("PUT", "/v1/jobs", json::serialize(body), options);
  if (!reply) {
    return reply.error();
  }
  return fields::parse_object<RegisterResponse>(reply->body, "nomad: register", [&](const json::object& o) {
    return RegisterResponse{fields::str(o, "EvalID"), fields::u64(o, "EvalCreateIndex"),
                            fields::u64(o, "JobModifyIndex"), fields::str(o, "Warnings"),
                            WriteMeta{reply->meta.last_index}};
  });
}

Result<RegisterResponse> Jobs::register_job(const Job& job, const WriteOptions& options) {
  return do_register(job, nullptr, options);
}

Result<RegisterResponse> Jobs::enforce_register(const Job& job, std::uint64_t modify_index,
                                                const WriteOptions& options) {
  return do_register(job, &modify_index, options);
}

Result<Queried<JobInfo>> Jobs::info(std::string_view job_id, const QueryOptions& query) {
  auto reply = client_.read("/v1/job/" + escape_segment(job_id), query);
  if (!reply) {
    return reply.error();
  }
  auto job = fields::parse_object<JobInfo>(reply->body, "nomad: job", job_info_from_json);
  if (!job) {
    return job.error();
  }
  return Queried<JobInfo>{std::move(*job), reply->meta};
}

Result<Queried<std::vector<JobListStub>>> Jobs::list(const QueryOptions& query) {
  auto reply = client_.read("/v1/jobs", query, {{"meta", "true"}});
  if (!reply) {
    return reply.error();
  }
  auto jobs = fields::parse_list<JobListStub>(reply->body, "nomad: jobs", job_list_stub_from_json);
  if (!jobs) {
    return jobs.error();
  }
  return Queried<std::vector<JobListStub>>{std::move(*jobs), reply->meta};
}

Result<Queried<std::vector<Allocation>>> Jobs::allocations(std::string_view job_id, const QueryOptions& query,
                                                           AllAllocations all) {
  Params params;
  if (all == AllAllocations::yes) {
    params.emplace_back("all", "true");
  }
  auto reply = client_.read("/v1/job/" + escape_segment(job_id) + "/allocations", query, std::move(params));
  if (!reply) {
    return reply.error();
  }
  auto allocs = fields::parse_list<Allocation>(reply->body, "nomad: job allocations", allocation_from_json);
  if (!allocs) {
    return allocs.error();
  }
  return Queried<std::vector<Allocation>>{std::move(*allocs), reply->meta};
}

Result<Queried<std::vector<Evaluation>>> Jobs::evaluations(std::string_view job_id,
                                                           const QueryOptions& query) {
  auto reply = client_.read("/v1/job/" + escape_segment(job_id) + "/evaluations", query);
  if (!reply) {
    return reply.error();
  }
  auto evals = fields::parse_list<Evaluation>(reply->body, "nomad: job evaluations", evaluation_from_json);
  if (!evals) {
    return evals.error();
  }
  return Queried<std::vector<Evaluation>>{std::move(*evals), reply->meta};
}

Result<DeregisterResponse> Jobs::deregister(std::string_view job_id, Purge purge,
                                            const WriteOptions& options) {
  Params params;
  if (purge == Purge::yes) {
    params.emplace_back("purge", "true");
  }
  auto reply = client_.write("DELETE", "/v1/job/" + escape_segment(job_id), "", options, std::move(params));
  if (!reply) {
    return reply.error();
  }
  return fields::parse_object<DeregisterResponse>(
      reply->body, "nomad: deregister", [&](const json::object& o) {
        return DeregisterResponse{fields::str(o, "EvalID"), fields::u64(o, "EvalCreateIndex"),
                                  fields::u64(o, "JobModifyIndex"), WriteMeta{reply->meta.last_index}};
      });
}

}  // namespace nbs::jobs::nomad
