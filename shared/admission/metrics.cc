#include "admission/metrics.h"

#include <algorithm>
#include <cstdio>

namespace mlgitops {
namespace {

const char* const kOperations[] = {"CREATE", "UPDATE", "DELETE", "CONNECT"};
const char* const kResults[] = {"allowed", "denied", "patched", "invalid", "error"};

template <size_t N>
std::string OneOf(const std::string& value, const char* const (&known)[N]) {
  for (const char* candidate : known) {
    if (value == candidate) return value;
  }
  return "other";
}

// Rule names come from the policy (a fixed set), but stay printable whatever they hold.
std::string LabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  return buffer;
}

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void CounterByLabel(std::string& out, const char* name, const char* label, const char* help,
                    const std::map<std::string, uint64_t>& values) {
  Header(out, name, "counter", help);
  for (const auto& [value, count] : values) {
    out += std::string(name) + "{" + label + "=\"" + LabelValue(value) + "\"} " +
           std::to_string(count) + "\n";
  }
}

}  // namespace

void WebhookMetrics::RecordRequest(const std::string& endpoint, const std::string& operation,
                                   const std::string& result, double seconds) {
  RequestKey key{endpoint, operation.empty() ? "" : OneOf(operation, kOperations),
                 OneOf(result, kResults)};
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[key];
  Histogram& histogram = latency_by_endpoint_[endpoint];
  auto bucket =
      std::lower_bound(kWebhookLatencyBuckets.begin(), kWebhookLatencyBuckets.end(), seconds);
  if (bucket != kWebhookLatencyBuckets.end()) {
    ++histogram.buckets[bucket - kWebhookLatencyBuckets.begin()];
  }
  ++histogram.count;
  histogram.sum += seconds;
}

void WebhookMetrics::RecordDenial(const std::string& rule) {
  std::lock_guard<std::mutex> lock(mu_);
  ++denials_[rule];
}

void WebhookMetrics::RecordWarning(const std::string& rule) {
  std::lock_guard<std::mutex> lock(mu_);
  ++warnings_[rule];
}

void WebhookMetrics::RecordConfigReload(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  ++config_reloads_[ok ? "success" : "failure"];
}

void WebhookMetrics::RecordCertReload(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  ++cert_reloads_[ok ? "success" : "failure"];
}

void WebhookMetrics::RecordShed(const char* reason, uint64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  shed_[reason] += count;
}

std::string WebhookMetrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  Header(out, "mlgitops_webhook_requests_total", "counter",
         "Admission reviews answered, by endpoint, operation and result.");
  for (const auto& [key, count] : requests_) {
    const auto& [endpoint, operation, result] = key;
    out += "mlgitops_webhook_requests_total{endpoint=\"" + endpoint + "\",operation=\"" +
           operation + "\",result=\"" + result + "\"} " + std::to_string(count) + "\n";
  }
  const char* histogram_name = "mlgitops_webhook_request_duration_seconds";
  Header(out, histogram_name, "histogram",
         "Time from the request read to the answer built, by endpoint.");
  for (const auto& [endpoint, histogram] : latency_by_endpoint_) {
    const std::string prefix = std::string(histogram_name) + "_bucket{endpoint=\"" + endpoint;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kWebhookLatencyBuckets.size(); ++i) {
      cumulative += histogram.buckets[i];
      out += prefix + "\",le=\"" + Number(kWebhookLatencyBuckets[i]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += prefix + "\",le=\"+Inf\"} " + std::to_string(histogram.count) + "\n";
    out += std::string(histogram_name) + "_sum{endpoint=\"" + endpoint + "\"} " +
           Number(histogram.sum) + "\n";
    out += std::string(histogram_name) + "_count{endpoint=\"" + endpoint + "\"} " +
           std::to_string(histogram.count) + "\n";
  }
  CounterByLabel(out, "mlgitops_webhook_denials_total", "rule",
                 "Admission denials, by the rule that denied.", denials_);
  CounterByLabel(out, "mlgitops_webhook_warnings_total", "rule",
                 "Admission warnings, by the rule that warned.", warnings_);
  CounterByLabel(out, "mlgitops_webhook_config_reloads_total", "result",
                 "Policy configuration reloads, by result.", config_reloads_);
  CounterByLabel(out, "mlgitops_webhook_cert_reloads_total", "result",
                 "Serving certificate reloads, by result.", cert_reloads_);
  CounterByLabel(out, "mlgitops_webhook_connections_shed_total", "reason",
                 "Connections closed to keep workers free, by reason.", shed_);
  return out;
}

}  // namespace mlgitops
