#include "mcpd/webhooks/webhook_metrics.hpp"

namespace nbs::mcpd {

std::function<void(const WebhookReport&)> webhook_metrics_reporter(
    MetricsRegistry& metrics, std::function<void(const WebhookReport&)> next) {
  // Families are created now, so /metrics shows them (empty) before the first webhook.
  Counter& deliveries =
      metrics.counter("nbs_webhook_deliveries_total",
                      "Webhook deliveries by how they ended (sent, failed, refused, dropped).", {"outcome"});
  Counter& retries = metrics.counter("nbs_webhook_retries_total", "Webhook attempts after the first.", {});
  return [&deliveries, &retries, next = std::move(next)](const WebhookReport& report) {
    if (report.outcome == WebhookOutcome::retrying) {
      retries.inc({});
    } else {
      deliveries.inc({std::string(to_string(report.outcome))});
    }
    if (next) {
      next(report);
    }
  };
}

}  // namespace nbs::mcpd
