// HorizontalPodAutoscaler controller (autoscaling/v2 and v1, one storage): one step after an
// HPA appears (or its spec changes) it reports what the real controller reports once metrics
// are readable: the target's replicas, the desired count clamped to [minReplicas, maxReplicas],
// AbleToScale/ScalingActive/ScalingLimited; a target it cannot read is AbleToScale False
// (FailedGetScale). It never scales the target (metrics are not simulated) and writes no
// lastScaleTime. Objects written as v1 carry their conditions in the annotation v1 uses.
#include <algorithm>
#include <string>

#include "kubesim/controller_support.h"
#include "kubesim/controllers.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

constexpr const char* kHpaManager = "horizontal-pod-autoscaler";
constexpr const char* kV1ConditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions";

struct ScaleReading {
  bool found = false;
  std::string error;  // why the scale could not be read
  int64_t spec_replicas = 0;
  int64_t status_replicas = 0;
};

ScaleReading ReadTargetScale(ControllerContext& ctx, const Object& hpa) {
  ScaleReading out;
  const JsonValue& v = hpa.json();
  std::string api_version = GetString(v, "spec.scaleTargetRef.apiVersion");
  std::string kind = GetString(v, "spec.scaleTargetRef.kind");
  std::string name = GetString(v, "spec.scaleTargetRef.name");
  auto type = ctx.TypeOfKind(api_version, kind);
  std::string resource = type ? type->plural + (type->group.empty() ? "" : "." + type->group)
                         : kind.empty() ? std::string("<none>")
                                        : kind;
  ObjectPtr target = type && type->has_scale ? ctx.Get(*type, hpa.namespace_(), name) : nullptr;
  if (!type || !type->has_scale) {
    out.error =
        "the HPA controller was unable to get the target's current scale: no scale "
        "subresource for " +
        resource;
    return out;
  }
  if (!target) {
    out.error = "the HPA controller was unable to get the target's current scale: " + resource +
                " \"" + name + "\" not found";
    return out;
  }
  out.found = true;
  out.spec_replicas = ReplicasAt(target->json(), "spec.replicas");
  out.status_replicas = GetInt(target->json(), "status.replicas").value_or(out.spec_replicas);
  return out;
}

/// The conditions the controller reports for this reading.
std::vector<Condition> HpaConditions(const ScaleReading& scale, int64_t desired, int64_t wanted) {
  if (!scale.found) return {{"AbleToScale", "False", "FailedGetScale", scale.error}};
  Condition limited{"ScalingLimited", "False", "DesiredWithinRange",
                    "the desired count is within the acceptable range"};
  if (desired > wanted) {
    limited = {"ScalingLimited", "True", "TooFewReplicas",
               "the desired replica count is less than the minimum replica count"};
  } else if (desired < wanted) {
    limited = {"ScalingLimited", "True", "TooManyReplicas",
               "the desired replica count is more than the maximum replica count"};
  }
  return {{"AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"},
          {"ScalingActive", "True", "ValidMetricFound",
           "the HPA was able to successfully calculate a replica count from cpu resource "
           "utilization (percentage of request)"},
          limited};
}

/// v2's currentMetrics for Resource metrics: at the target, as a settled autoscaler reads them.
JsonValue CurrentMetrics(const Object& hpa, JsonAllocator& a) {
  JsonValue out(rapidjson::kArrayType);
  const JsonValue* metrics = Find(hpa.json(), "spec.metrics");
  if (!metrics || !metrics->IsArray()) return out;
  for (const JsonValue& m : metrics->GetArray()) {
    if (GetString(m, "type") != "Resource") continue;
    JsonValue current(rapidjson::kObjectType);
    if (auto utilization = GetInt(m, "resource.target.averageUtilization")) {
      SetInt(current, "averageUtilization", *utilization, a);
    }
    JsonValue resource(rapidjson::kObjectType);
    SetString(resource, "name", GetString(m, "resource.name"), a);
    SetMember(resource, "current", std::move(current), a);
    JsonValue entry(rapidjson::kObjectType);
    SetString(entry, "type", "Resource", a);
    SetMember(entry, "resource", std::move(resource), a);
    out.PushBack(entry, a);
  }
  return out;
}

/// v1 keeps conditions as JSON text in an annotation; transition times survive unchanged
/// conditions as in status.conditions.
std::string V1ConditionsText(const Object& hpa, const std::vector<Condition>& conditions,
                             const std::string& now) {
  rapidjson::Document holder(rapidjson::kObjectType);
  auto& a = holder.GetAllocator();
  auto before = hpa.annotation(kV1ConditionsAnnotation);
  if (before) {
    rapidjson::Document parsed;
    parsed.Parse(before->c_str(), before->size());
    if (!parsed.HasParseError() && parsed.IsArray()) {
      holder.AddMember("conditions", JsonValue(parsed, a), a);
    }
  }
  for (const Condition& c : conditions) {
    SetCondition(holder, c, ConditionTimes::kTransition, now, a);
  }
  return ToJson(holder["conditions"]);
}

void ReconcileHpa(ControllerContext& ctx, const ResourceType& type, const ObjectPtr& hpa) {
  const JsonValue& v = hpa->json();
  if (Find(v, "metadata.deletionTimestamp")) return;
  int64_t generation = GetInt(v, "metadata.generation").value_or(1);
  if (!ctx.pacer().StepsElapsed("hpa/" + UidOf(*hpa), std::to_string(generation), 1,
                                ctx.OutcomeOf(*hpa).slow)) {
    return;
  }
  ScaleReading scale = ReadTargetScale(ctx, *hpa);
  int64_t min_replicas = GetInt(v, "spec.minReplicas").value_or(1);
  int64_t max_replicas =
      std::max(GetInt(v, "spec.maxReplicas").value_or(min_replicas), min_replicas);
  int64_t desired = std::clamp(scale.spec_replicas, min_replicas, max_replicas);
  std::vector<Condition> conditions = HpaConditions(scale, desired, scale.spec_replicas);
  std::string now = ctx.Now();
  bool v1 = hpa->api_version() == "autoscaling/v1";

  Object next = hpa->Clone();
  JsonAllocator& a = next.allocator();
  if (v1) {
    std::string text = V1ConditionsText(*hpa, conditions, now);
    if (hpa->annotation(kV1ConditionsAnnotation) != text) {
      // Metadata goes through the main resource; the status follows on the next pass.
      SetAnnotation(next.mutable_json(), kV1ConditionsAnnotation, text, a);
      ctx.writer().Replace(type, next, kHpaManager);
      return;
    }
  }
  JsonValue& status = EnsureObject(next.mutable_json(), "status", a);
  SetInt(status, "currentReplicas", scale.found ? scale.status_replicas : 0, a);
  SetInt(status, "desiredReplicas", scale.found ? desired : 0, a);
  if (v1) {
    if (auto cpu = GetInt(v, "spec.targetCPUUtilizationPercentage"); cpu && scale.found) {
      SetInt(status, "currentCPUUtilizationPercentage", *cpu, a);
    }
  } else {
    if (scale.found) SetMember(status, "currentMetrics", CurrentMetrics(*hpa, a), a);
    for (const Condition& c : conditions) {
      SetCondition(status, c, ConditionTimes::kTransition, now, a);
    }
  }
  WriteStatusIfChanged(ctx, type, *hpa, next, kHpaManager);
}

}  // namespace

void ReconcileHorizontalPodAutoscalers(ControllerContext& ctx) {
  // v1 and v2 share one storage: listing through either type sees every HPA once.
  auto type = ctx.Type("autoscaling", "horizontalpodautoscalers", "v2");
  if (!type) return;
  for (const ObjectPtr& hpa : ctx.List(*type)) {
    auto own = ctx.TypeOfKind(hpa->api_version(), "HorizontalPodAutoscaler");
    ReconcileHpa(ctx, own ? *own : *type, hpa);
  }
}

}  // namespace mlgitops::kubesim
