// Webhook outcomes in the daemon's Prometheus registry.
#pragma once

#include <functional>

#include "mcpd/metrics.hpp"
#include "mcpd/webhooks/webhook_sender.hpp"

namespace nbs::mcpd {

// An on_report callback that counts nbs_webhook_deliveries_total{outcome="sent|failed|refused|dropped"}
// and nbs_webhook_retries_total, then calls `next` (when set). Use it as WebhookSenderOptions::on_report;
// `metrics` must outlive the sender.
std::function<void(const WebhookReport&)> webhook_metrics_reporter(
    MetricsRegistry& metrics, std::function<void(const WebhookReport&)> next = {});

}  // namespace nbs::mcpd
