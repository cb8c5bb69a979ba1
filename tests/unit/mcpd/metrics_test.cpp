#include "mcpd/metrics.hpp"

#include <gtest/gtest.h>

namespace nbs::mcpd {
namespace {

TEST(Metrics, RendersTheTextExpositionFormat) {
  MetricsRegistry registry;
  auto& requests = registry.counter("nbs_http_requests_total", "HTTP requests.", {"route", "code"});
  requests.inc({"/mcp", "200"});
  requests.inc({"/mcp", "200"});
  requests.inc({"/a\"b\\c\nd", "404"});
  auto& duration = registry.histogram("nbs_d_seconds", "Durations.", {"route"}, {0.1, 1});
  duration.observe({"/mcp"}, 0.05);
  duration.observe({"/mcp"}, 0.5);
  duration.observe({"/mcp"}, 3);
  registry.gauge("nbs_jobs", "Jobs.", {}).set({}, 4);
  EXPECT_EQ(registry.render(),
            "# HELP nbs_d_seconds Durations.\n"
            "# TYPE nbs_d_seconds histogram\n"
            "nbs_d_seconds_bucket{route=\"/mcp\",le=\"0.1\"} 1\n"
            "nbs_d_seconds_bucket{route=\"/mcp\",le=\"1\"} 2\n"
            "nbs_d_seconds_bucket{route=\"/mcp\",le=\"+Inf\"} 3\n"
            "nbs_d_seconds_sum{route=\"/mcp\"} 3.55\n"
            "nbs_d_seconds_count{route=\"/mcp\"} 3\n"
            "# HELP nbs_http_requests_total HTTP requests.\n"
            "# TYPE nbs_http_requests_total counter\n"
            "nbs_http_requests_total{route=\"/a\\\"b\\\\c\\nd\",code=\"404\"} 1\n"
            "nbs_http_requests_total{route=\"/mcp\",code=\"200\"} 2\n"
            "# HELP nbs_jobs Jobs.\n"
            "# TYPE nbs_jobs gauge\n"
            "nbs_jobs 4\n");
  EXPECT_EQ(&registry.counter("nbs_http_requests_total", "", {"route", "code"}), &requests);
  EXPECT_EQ(duration.count({"/mcp"}), 3u);
  EXPECT_THROW(requests.inc({"only-one"}), std::invalid_argument);
}

}  // namespace
}  // namespace nbs::mcpd
