// The built-in health registry and gitops-engine's entry point.
#include <mutex>

#include "health/health.h"

namespace mlgitops {

namespace {
constexpr const char* kHookFinalizer = "argocd.argoproj.io/hook-finalizer";

bool HasFinalizer(const Object& obj, std::string_view name) {
  const JsonValue* f = Find(obj.json(), "metadata.finalizers");
  if (!f || !f->IsArray()) return false;
  for (const auto& e : f->GetArray()) {
    if (e.IsString() && name == e.GetString()) return true;
  }
  return false;
}
}  // namespace

std::string_view HealthCodeName(HealthCode code) {
  switch (code) {
    case HealthCode::kHealthy:
      return "Healthy";
    case HealthCode::kSuspended:
      return "Suspended";
    case HealthCode::kProgressing:
      return "Progressing";
    case HealthCode::kMissing:
      return "Missing";
    case HealthCode::kDegraded:
      return "Degraded";
    case HealthCode::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

std::optional<HealthCode> ParseHealthCode(std::string_view name) {
  for (HealthCode c : {HealthCode::kHealthy, HealthCode::kSuspended, HealthCode::kProgressing,
                       HealthCode::kMissing, HealthCode::kDegraded, HealthCode::kUnknown}) {
    if (HealthCodeName(c) == name) return c;
  }
  return std::nullopt;
}

void HealthRegistry::Add(std::string group, std::string kind, HealthFn fn) {
  fns_[{std::move(group), std::move(kind)}] = fn;
}

HealthFn HealthRegistry::Find(std::string_view group, std::string_view kind) const {
  auto it = fns_.find(std::make_pair(std::string(group), std::string(kind)));
  return it == fns_.end() ? nullptr : it->second;
}

const HealthRegistry& BuiltinHealth() {
  static const HealthRegistry* registry = [] {
    auto* r = new HealthRegistry();
    RegisterCoreHealth(*r);
    RegisterTrainingHealth(*r);
    RegisterServingHealth(*r);
    RegisterPipelineHealth(*r);
    RegisterArgoprojHealth(*r);
    RegisterPlatformHealth(*r);
    RegisterStreamingHealth(*r);
    return r;
  }();
  return *registry;
}

std::optional<HealthStatus> DeletionHealth(const Object& obj) {
  const JsonValue* deleting = Find(obj.json(), "metadata.deletionTimestamp");
  if (deleting && !deleting->IsNull() && !HasFinalizer(obj, kHookFinalizer)) {
    return HealthStatus{HealthCode::kProgressing, "Pending deletion"};
  }
  return std::nullopt;
}

std::optional<HealthStatus> AssessBuiltin(const Object& obj, const HealthContext& ctx) {
  if (auto deleting = DeletionHealth(obj)) return deleting;
  HealthFn fn = BuiltinHealth().Find(obj.group(), obj.kind());
  if (!fn) return std::nullopt;
  return fn(obj, ctx);
}

HealthStatus Worst(const std::vector<HealthStatus>& statuses) {
  HealthStatus worst;
  for (const auto& s : statuses) {
    if (IsWorse(s.code, worst.code)) worst = s;
  }
  return worst;
}

}  // namespace mlgitops
