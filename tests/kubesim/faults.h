// Fault injection for reliability tests: latency, 429 with Retry-After, 500 and dropped
// connections at given rates. Never applied to /healthz, /readyz or /livez.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <set>
#include <string>

#include "object/status.h"

namespace mlgitops::kubesim {

/// --faults SPEC, comma-separated key=value:
///   latency=50ms        delay every affected request (ms or s suffix)
///   429=0.1             fraction answered 429 TooManyRequests with Retry-After
///   500=0.05            fraction answered 500 InternalError
///   drop=0.02           fraction whose connection is cut before a complete response
///   retry-after=1       seconds in the Retry-After header and details.retryAfterSeconds
///   seed=42             make the random choices repeatable
///   verbs=create+patch  only requests with these verbs are affected (default: all)
struct FaultSpec {
  int64_t latency_ms = 0;
  double rate_429 = 0;
  double rate_500 = 0;
  double rate_drop = 0;
  int retry_after_seconds = 1;
  uint64_t seed = 0;  // 0: random
  std::set<std::string> verbs;

  static Result<FaultSpec> Parse(const std::string& text);
  bool any() const { return latency_ms > 0 || rate_429 > 0 || rate_500 > 0 || rate_drop > 0; }
};

enum class FaultAction { kNone, kTooManyRequests, kInternalError, kDrop };

class FaultInjector {
 public:
  explicit FaultInjector(FaultSpec spec);
  /// Whether this request (by verb) is subject to faults at all.
  bool Applies(const std::string& verb) const;
  /// Rolls the dice for one request.
  FaultAction Decide();
  const FaultSpec& spec() const { return spec_; }

 private:
  FaultSpec spec_;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

}  // namespace mlgitops::kubesim
