// Readers shared by the built-in health checks: counters, conditions, timestamps, pod failures.
// Internal to shared/health; every function tolerates missing or mistyped fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "health/health.h"
#include "object/object.h"

namespace mlgitops::health_util {

inline HealthStatus Healthy(std::string message = "") {
  return {HealthCode::kHealthy, std::move(message)};
}
inline HealthStatus Suspended(std::string message) {
  return {HealthCode::kSuspended, std::move(message)};
}
inline HealthStatus Progressing(std::string message) {
  return {HealthCode::kProgressing, std::move(message)};
}
inline HealthStatus Degraded(std::string message) {
  return {HealthCode::kDegraded, std::move(message)};
}
inline HealthStatus Unknown(std::string message) {
  return {HealthCode::kUnknown, std::move(message)};
}

/// "a: b", or whichever of the two is not empty.
std::string JoinColon(const std::string& a, const std::string& b);

/// The integer at `path`, or `fallback` when absent or not a number.
int64_t IntOr(const JsonValue& v, std::string_view path, int64_t fallback = 0);
/// True when `path` holds a non-empty array (or a non-empty map).
bool HasEntries(const JsonValue& v, std::string_view path);
/// A timestamp field (RFC 3339) as Unix seconds.
std::optional<int64_t> TimeAt(const JsonValue& v, std::string_view path);

/// A condition's status as "True" / "False" / "Unknown" ("" when absent); YAML booleans count.
std::string ConditionStatus(const JsonValue& condition);
/// The condition of `type` when its status is "True", else nullptr.
const JsonValue* TrueCondition(const JsonValue& obj, std::string_view type);
/// The condition's message, else its reason, else `fallback`.
std::string ConditionText(const JsonValue& condition, std::string_view fallback = "");

/// Go's %q for the plain strings Kubernetes names are: "name" with \ and " escaped.
std::string Quoted(std::string_view s);

/// The Pods among `ctx.children`.
std::vector<const Object*> ChildPods(const HealthContext& ctx);
/// Why a Pod cannot make progress on its own: a container in CrashLoopBackOff,
/// ImagePullBackOff, ErrImagePull or InvalidImageName, or OOMKilled more than once.
/// The message names pod, container and reason:
/// "pod train-abc container trainer: CrashLoopBackOff (last exit: OOMKilled)".
std::optional<std::string> PodFailure(const Object& pod);

/// Turns `status` Degraded when a child Pod fails (PodFailure). Run-to-completion kinds pass
/// `finished_is_healthy = true`: a Healthy (finished) job is left alone; long-running kinds are
/// checked while Healthy too. Degraded, Suspended and Unknown results are never changed.
HealthStatus WithChildPodFailures(HealthStatus status, const HealthContext& ctx,
                                  bool finished_is_healthy);

}  // namespace mlgitops::health_util
