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

// ---- Lenient field readers (conditions, phases, counters) for the Argo CD kinds. ----

/// `status` when it is a map; nullptr when absent or malformed (a string, a list, null).
const JsonValue* StatusOf(const Object& obj);

/// The map-valued elements of the array at `path`, in order; empty when it is not an array.
std::vector<const JsonValue*> MapEntries(const JsonValue& root, std::string_view path);

/// The map-valued entries of status.conditions, in order (MapEntries).
std::vector<const JsonValue*> Conditions(const JsonValue& root);

/// True when the condition has this type and this status.
bool ConditionIs(const JsonValue& condition, std::string_view type, std::string_view status);

/// The first entry of status.conditions with this type and status, or nullptr.
const JsonValue* FindConditionWithStatus(const JsonValue& root, std::string_view type,
                                         std::string_view status);

/// True when `member` is a string equal to `want`. Lua's `==` never equates a string with a
/// boolean or a number, so neither does this (ConditionStatus, by contrast, reads booleans).
bool MemberIs(const JsonValue& v, const char* member, std::string_view want);

/// Two optional fields compared as Argo CD's Lua scripts compare them with `==`: absent and
/// null are both nil and equal each other, numbers compare by value, strings and booleans by
/// content, and values of different types (a number and a string) differ.
bool LuaEqual(const JsonValue* a, const JsonValue* b);

/// The member's text when it is a string, else `fallback` (absent, null or another type).
std::string MemberOr(const JsonValue& v, const char* member, std::string_view fallback);

/// A scalar identifier as text: strings as they are, integers in decimal (an all-digit hash
/// written unquoted in YAML parses as a number). nullopt when absent or not a scalar.
std::optional<std::string> ScalarText(const JsonValue& root, std::string_view path);

/// True when the value at `path` is the boolean true.
bool IsTrue(const JsonValue& root, std::string_view path);

/// True when `path` holds a value other than null.
bool IsSet(const JsonValue& root, std::string_view path);

/// Number of entries when `path` holds an array, else 0.
size_t ArraySize(const JsonValue& root, std::string_view path);

}  // namespace mlgitops::health_util
