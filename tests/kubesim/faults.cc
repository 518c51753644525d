// Fault spec parsing and the per-request decision.
#include "kubesim/faults.h"

#include <cstdlib>

namespace mlgitops::kubesim {

namespace {

Result<double> ParseRate(const std::string& key, const std::string& value) {
  char* end = nullptr;
  double rate = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || rate < 0 || rate > 1) {
    return Status::InvalidArgument("--faults: " + key + "=" + value +
                                   ": expected a fraction between 0 and 1");
  }
  return rate;
}

Result<int64_t> ParseMillis(const std::string& value) {
  char* end = nullptr;
  double number = std::strtod(value.c_str(), &end);
  std::string unit = end ? end : "";
  if (value.empty() || number < 0 || end == value.c_str()) {
    return Status::InvalidArgument("--faults: latency=" + value + ": expected e.g. 50ms or 1s");
  }
  if (unit == "ms" || unit.empty()) return static_cast<int64_t>(number);
  if (unit == "s") return static_cast<int64_t>(number * 1000);
  return Status::InvalidArgument("--faults: latency=" + value + ": unit must be ms or s");
}

}  // namespace

Result<FaultSpec> FaultSpec::Parse(const std::string& text) {
  FaultSpec spec;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument("--faults: '" + item + "' is not key=value");
    }
    std::string key = item.substr(0, eq);
    std::string value = item.substr(eq + 1);
    if (key == "latency") {
      auto ms = ParseMillis(value);
      if (!ms.ok()) return ms.status();
      spec.latency_ms = *ms;
    } else if (key == "429" || key == "500" || key == "drop") {
      auto rate = ParseRate(key, value);
      if (!rate.ok()) return rate.status();
      (key == "429" ? spec.rate_429 : key == "500" ? spec.rate_500 : spec.rate_drop) = *rate;
    } else if (key == "retry-after") {
      int seconds = std::atoi(value.c_str());
      if (seconds < 0 || seconds > 3600 ||
          value.find_first_not_of("0123456789") != std::string::npos) {
        return Status::InvalidArgument("--faults: retry-after=" + value + ": expected seconds");
      }
      spec.retry_after_seconds = seconds;
    } else if (key == "seed") {
      spec.seed = std::strtoull(value.c_str(), nullptr, 10);
    } else if (key == "verbs") {
      size_t vstart = 0;
      while (vstart <= value.size()) {
        size_t plus = value.find('+', vstart);
        if (plus == std::string::npos) plus = value.size();
        if (plus > vstart) spec.verbs.insert(value.substr(vstart, plus - vstart));
        vstart = plus + 1;
      }
    } else {
      return Status::InvalidArgument(
          "--faults: unknown key '" + key +
          "' (known: latency, 429, 500, drop, retry-after, seed, verbs)");
    }
  }
  if (spec.rate_429 + spec.rate_500 + spec.rate_drop > 1.0) {
    return Status::InvalidArgument("--faults: 429 + 500 + drop rates add up to more than 1");
  }
  return spec;
}

FaultInjector::FaultInjector(FaultSpec spec)
    : spec_(std::move(spec)), rng_(spec_.seed ? spec_.seed : std::random_device{}()) {}

bool FaultInjector::Applies(const std::string& verb) const {
  return spec_.any() && (spec_.verbs.empty() || spec_.verbs.count(verb) > 0);
}

FaultAction FaultInjector::Decide() {
  double roll;
  {
    std::lock_guard<std::mutex> lock(mu_);
    roll = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }
  if (roll < spec_.rate_drop) return FaultAction::kDrop;
  roll -= spec_.rate_drop;
  if (roll < spec_.rate_429) return FaultAction::kTooManyRequests;
  roll -= spec_.rate_429;
  if (roll < spec_.rate_500) return FaultAction::kInternalError;
  return FaultAction::kNone;
}

}  // namespace mlgitops::kubesim
