// The health assessment pipeline.
#include "health/assessor.h"

namespace mlgitops {

std::string_view HealthSourceName(HealthSource source) {
  switch (source) {
    case HealthSource::kDeletion:
      return "deletion";
    case HealthSource::kLua:
      return "lua";
    case HealthSource::kBuiltin:
      return "builtin";
    case HealthSource::kReadyCondition:
      return "ready-condition";
    case HealthSource::kNone:
      return "none";
  }
  return "none";
}

namespace {
// kubectl-tree's trick for custom resources: a Ready condition says most of what matters.
std::optional<HealthStatus> FromReadyCondition(const Object& obj) {
  const JsonValue* ready = FindCondition(obj.json(), "Ready");
  if (!ready) return std::nullopt;
  std::string status = MemberString(*ready, "status");
  std::string message = MemberString(*ready, "message");
  if (message.empty()) message = MemberString(*ready, "reason");
  if (status == "True") return HealthStatus{HealthCode::kHealthy, message};
  if (status == "False") return HealthStatus{HealthCode::kDegraded, message};
  return HealthStatus{HealthCode::kProgressing, message};
}
}  // namespace

Assessment HealthAssessor::Assess(const Object& obj, const HealthContext& ctx) const {
  if (auto deleting = DeletionHealth(obj)) return {*deleting, HealthSource::kDeletion};
  if (lua_) {
    if (auto lua = AssessWithLua(*lua_, obj)) return {*lua, HealthSource::kLua};
  }
  if (HealthFn builtin = BuiltinHealth().Find(obj.group(), obj.kind())) {
    if (auto status = builtin(obj, ctx)) return {*status, HealthSource::kBuiltin};
  }
  if (auto ready = FromReadyCondition(obj)) return {*ready, HealthSource::kReadyCondition};
  return {HealthStatus{HealthCode::kHealthy, ""}, HealthSource::kNone};
}

}  // namespace mlgitops
