#include "mcpd/webhooks/webhook_metrics.hpp"

#include <gtest/gtest.h>

namespace nbs::mcpd {
namespace {

TEST(WebhookMetrics, CountsOutcomesAndRetriesThenCallsNext) {
  MetricsRegistry metrics;
  std::vector<WebhookOutcome> seen;
  auto reporter =
      webhook_metrics_reporter(metrics, [&seen](const WebhookReport& r) { seen.push_back(r.outcome); });
  // Registered before the first report, so /metrics lists the families from the start.
  EXPECT_NE(metrics.render().find("# TYPE nbs_webhook_deliveries_total counter"), std::string::npos);
  for (auto outcome :
       {WebhookOutcome::retrying, WebhookOutcome::retrying, WebhookOutcome::sent, WebhookOutcome::failed,
        WebhookOutcome::refused, WebhookOutcome::dropped, WebhookOutcome::dropped}) {
    reporter(WebhookReport{.outcome = outcome});
  }
  const std::string text = metrics.render();
  EXPECT_NE(text.find("nbs_webhook_deliveries_total{outcome=\"sent\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("nbs_webhook_deliveries_total{outcome=\"failed\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("nbs_webhook_deliveries_total{outcome=\"refused\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("nbs_webhook_deliveries_total{outcome=\"dropped\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("nbs_webhook_retries_total 2\n"), std::string::npos) << text;
  EXPECT_EQ(seen.size(), 7u);
}

}  // namespace
}  // namespace nbs::mcpd
