// nbs-job-schema: prints the job request's JSON Schema (common/job_request_schema.cpp), the source of
// docs/job-config.md. Usage: nbs-job-schema > schema.json
#include <iostream>

#include <boost/json/serialize.hpp>

#include "common/job_request_parser.hpp"

int main() {
  std::cout << boost::json::serialize(nbs::job_request_schema()) << '\n';
  return std::cout.good() ? 0 : 1;
}
