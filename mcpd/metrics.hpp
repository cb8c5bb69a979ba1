// A small Prometheus registry: labelled counters, gauges and histograms, rendered in the text
// exposition format (version 0.0.4) for GET /metrics. Thread-safe; families live as long as the registry.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace nbs::mcpd {

// Label values, in the order of the family's label names.
using LabelValues = std::vector<std::string>;

class MetricFamily {
 public:
  virtual ~MetricFamily() = default;
  virtual void render(std::string& out) const = 0;
};

class Counter final : public MetricFamily {
 public:
  Counter(std::string name, std::string help, std::vector<std::string> label_names);
  void inc(const LabelValues& labels, double amount = 1.0);
  double value(const LabelValues& labels) const;
  void render(std::string& out) const override;

 private:
  std::string name_, help_;
  std::vector<std::string> label_names_;
  mutable std::mutex mutex_;
  std::map<LabelValues, double> values_;
};

class Gauge final : public MetricFamily {
 public:
  Gauge(std::string name, std::string help, std::vector<std::string> label_names);
  void set(const LabelValues& labels, double value);
  void add(const LabelValues& labels, double delta);
  double value(const LabelValues& labels) const;
  void render(std::string& out) const override;

 private:
  std::string name_, help_;
  std::vector<std::string> label_names_;
  mutable std::mutex mutex_;
  std::map<LabelValues, double> values_;
};

class Histogram final : public MetricFamily {
 public:
  // `buckets` are upper bounds in increasing order; +Inf is implied.
  Histogram(std::string name, std::string help, std::vector<std::string> label_names,
            std::vector<double> buckets);
  void observe(const LabelValues& labels, double value);
  std::uint64_t count(const LabelValues& labels) const;
  void render(std::string& out) const override;

 private:
  struct Series {
    std::vector<std::uint64_t> bucket_counts;  // per bound, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::vector<double> buckets_;
  mutable std::mutex mutex_;
  std::map<LabelValues, Series> series_;
};

class MetricsRegistry {
 public:
  // Each returns the family, created on first use; the reference stays valid for the registry's life.
  // Names must be valid Prometheus names; asking twice for one name returns the same family.
  Counter& counter(const std::string& name, const std::string& help, std::vector<std::string> label_names);
  Gauge& gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names);
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                       std::vector<double> buckets);

  // The whole registry in the text exposition format, families in name order.
  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_;
};

// Default latency buckets in seconds (5 ms … 60 s).
std::vector<double> default_duration_buckets();

// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(const std::string& value);

}  // namespace nbs::mcpd
