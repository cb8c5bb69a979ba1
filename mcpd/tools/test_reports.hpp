// The test reports (test.reports) as getStatus summarises them and getArtifacts lists them.
#pragma once

#include <vector>

#include <boost/json.hpp>

#include "jobs/executor.hpp"
#include "mcpd/orchestrator/job_record.hpp"

namespace nbs::mcpd::tools {

// The test phase whose reports a job has; its attempt is the record's while the test phase is the
// active one (a retried test), else the first.
jobs::PhaseId test_phase_of(const JobRecord& record);

// Whether the job asked for reports and its test phase has started: only then is there anything to read.
bool may_have_reports(const JobRecord& record);

// getStatus's small `reports` object: the files and their JUnit totals, the first failure (its message
// cut shorter than getArtifacts shows it: a failing getStatus answer stays within 2 KiB), and how many
// files are missing, truncated or in error. Empty when there is no file.
boost::json::object reports_summary_json(const std::vector<jobs::ReportFile>& files);

// One file as getArtifacts lists it.
boost::json::object report_file_json(const jobs::ReportFile& file);

}  // namespace nbs::mcpd::tools
