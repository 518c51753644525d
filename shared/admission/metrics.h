// The webhook's Prometheus metrics: request counts and latency (same buckets as the apiserver's
// own webhook histogram, so targets are checkable on both sides), denials, warnings, reloads and
// connections shed under load.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace mlgitops {

/// Upper bounds (seconds) of apiserver_admission_webhook_admission_duration_seconds.
inline constexpr std::array<double, 8> kWebhookLatencyBuckets = {0.005, 0.025, 0.1, 0.5,
                                                                 1.0,   2.5,   10,  25};

/// Thread-safe counters; Render() writes the Prometheus text exposition format (0.0.4).
class WebhookMetrics {
 public:
  /// One answered request. `endpoint` is mutate/validate; `operation` and `result` come from the
  /// handler and are folded to a fixed vocabulary so a caller cannot blow up the label space.
  void RecordRequest(const std::string& endpoint, const std::string& operation,
                     const std::string& result, double seconds);
  void RecordDenial(const std::string& rule);
  void RecordWarning(const std::string& rule);
  void RecordConfigReload(bool ok);
  void RecordCertReload(bool ok);
  /// A connection the server closed to keep its workers: "read_timeout" (a request, or a
  /// refused connection, not done in time), "over_limit" (answered 503 as over the connection
  /// limit), "refusal_backlog" (over the limit and closed unanswered).
  void RecordShed(const char* reason, uint64_t count = 1);

  std::string Render() const;

 private:
  struct Histogram {
    std::array<uint64_t, kWebhookLatencyBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;
  };
  using RequestKey = std::tuple<std::string, std::string, std::string>;

  mutable std::mutex mu_;
  std::map<RequestKey, uint64_t> requests_;
  std::map<std::string, Histogram> latency_by_endpoint_;
  std::map<std::string, uint64_t> denials_;
  std::map<std::string, uint64_t> warnings_;
  std::map<std::string, uint64_t> config_reloads_;
  std::map<std::string, uint64_t> cert_reloads_;
  std::map<std::string, uint64_t> shed_;
};

}  // namespace mlgitops
