// Plan building: one step per (object, phase), gitops-engine's sort, its dependency fix-ups.
#include "plan/plan.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <unordered_map>

namespace mlgitops {

namespace {

// Argo CD's kind order (taken from Helm's install order); unlisted kinds rank after these.
constexpr std::string_view kKindOrder[] = {
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
};
constexpr int kListedKinds = static_cast<int>(std::size(kKindOrder));

std::string SkipReason(const Object& obj, const HookInfo& hook) {
  if (hook.skip) return std::string(kHookAnnotation) + ": Skip (never synced)";
  if (auto argo = obj.annotation(kHookAnnotation)) {
    return std::string(kHookAnnotation) + " \"" + *argo +
           "\" names no sync phase (PreDelete/PostDelete hooks run when the app is deleted)";
  }
  return std::string(kHelmHookAnnotation) + " \"" +
         obj.annotation(kHelmHookAnnotation).value_or("") + "\" maps to no sync phase";
}

/// The sort order; the tie-breaks after the name only make equal keys deterministic.
bool RunsBefore(const PlanStep& a, const PlanStep& b) {
  if (a.phase != b.phase) return a.phase < b.phase;
  if (a.wave != b.wave) return a.wave < b.wave;
  int rank_a = KindRank(a.kind), rank_b = KindRank(b.kind);
  if (rank_a != rank_b) return rank_a < rank_b;
  return std::tie(a.name, a.namespace_, a.group, a.object_index) <
         std::tie(b.name, b.namespace_, b.group, b.object_index);
}

using DependencyKey = std::optional<std::string> (*)(const Object& obj);

std::optional<std::string> NamespaceName(const Object& obj) {
  if (obj.group().empty() && obj.kind() == "Namespace") return obj.name();
  return std::nullopt;
}

std::optional<std::string> NamespaceUsed(const Object& obj) {
  std::string ns = obj.namespace_();
  return ns.empty() ? std::nullopt : std::optional<std::string>(ns);
}

std::optional<std::string> CrdTarget(const Object& obj) {
  if (obj.group() != "apiextensions.k8s.io" || obj.kind() != "CustomResourceDefinition") {
    return std::nullopt;
  }
  const JsonValue* group = Find(obj.json(), "spec.group");
  const JsonValue* kind = Find(obj.json(), "spec.names.kind");
  if (!group || !group->IsString() || !kind || !kind->IsString()) return std::nullopt;
  return std::string(group->GetString()) + "/" + kind->GetString();
}

std::optional<std::string> GroupKind(const Object& obj) { return obj.group() + "/" + obj.kind(); }

/// Moves each dependency (a Namespace, a CRD) in front of the first earlier step that needs
/// it; the moved step takes that step's phase and wave.
void MoveDependenciesForward(std::vector<PlanStep>& steps, const std::vector<Object>& objects,
                             DependencyKey provides, DependencyKey needs) {
  std::unordered_map<std::string, size_t> first_user;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Object& obj = objects[steps[i].object_index];
    if (auto key = provides(obj)) {
      auto user = first_user.find(*key);
      if (user == first_user.end()) continue;
      size_t target = user->second;
      PlanStep moved = std::move(steps[i]);
      moved.phase = steps[target].phase;
      moved.wave = steps[target].wave;
      std::move_backward(steps.begin() + static_cast<std::ptrdiff_t>(target),
                         steps.begin() + static_cast<std::ptrdiff_t>(i),
                         steps.begin() + static_cast<std::ptrdiff_t>(i + 1));
      steps[target] = std::move(moved);
      for (auto& entry : first_user) entry.second += entry.second >= target ? 1 : 0;
    } else if (auto key = needs(obj)) {
      first_user.emplace(*key, i);
    }
  }
}

JsonValue JsonString(std::string_view s, JsonAllocator& a) {
  return JsonValue(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

JsonValue StepToJson(const PlanStep& step, JsonAllocator& a) {
  JsonValue v(rapidjson::kObjectType);
  v.AddMember("phase", JsonString(SyncPhaseName(step.phase), a), a);
  v.AddMember("wave", static_cast<int64_t>(step.wave), a);
  v.AddMember("kind", JsonString(step.kind, a), a);
  v.AddMember("namespace", JsonString(step.namespace_, a), a);
  v.AddMember("name", JsonString(step.name, a), a);
  v.AddMember("role", JsonString(step.role, a), a);
  v.AddMember("action", JsonString(step.action, a), a);
  v.AddMember("group", JsonString(step.group, a), a);
  v.AddMember("hook", step.hook, a);
  if (step.hook) {
    JsonValue policies(rapidjson::kArrayType);
    for (HookDeletePolicy p : step.delete_policies) {
      policies.PushBack(JsonString(HookDeletePolicyName(p), a), a);
    }
    v.AddMember("hookDeletePolicies", policies, a);
  }
  return v;
}

JsonValue SkippedToJson(const SkippedObject& skipped, JsonAllocator& a) {
  JsonValue v(rapidjson::kObjectType);
  v.AddMember("kind", JsonString(skipped.object.kind, a), a);
  v.AddMember("namespace", JsonString(skipped.object.namespace_, a), a);
  v.AddMember("name", JsonString(skipped.object.name, a), a);
  v.AddMember("reason", JsonString(skipped.reason, a), a);
  return v;
}

}  // namespace

int KindRank(std::string_view kind) {
  static const auto* ranks = [] {
    auto* map = new std::unordered_map<std::string_view, int>();
    for (int i = 0; i < kListedKinds; ++i) (*map)[kKindOrder[i]] = i - kListedKinds;
    return map;
  }();
  auto it = ranks->find(kind);
  return it == ranks->end() ? 0 : it->second;
}

Result<Plan> BuildPlan(const std::vector<Object>& objects, const std::vector<Classified>& classes) {
  if (objects.size() != classes.size()) {
    return Status::InvalidArgument("plan: " + std::to_string(objects.size()) + " objects but " +
                                   std::to_string(classes.size()) + " classifications");
  }
  Plan plan;
  std::vector<PlanStep> steps;
  for (size_t i = 0; i < objects.size(); ++i) {
    const Object& obj = objects[i];
    ObjectRef ref = obj.ref();
    if (ref.name.empty()) {
      std::string where = obj.origin().empty() ? "" : obj.origin() + ": ";
      return Status::InvalidArgument(where + ref.kind + " has no metadata.name");
    }
    HookInfo hook = ReadHook(obj);
    if (hook.phases.empty()) {
      plan.skipped.push_back({i, ref, SkipReason(obj, hook)});
      continue;
    }
    for (SyncPhase phase : hook.phases) {
      PlanStep step;
      step.phase = phase;
      step.wave = classes[i].wave;
      step.group = ref.group;
      step.kind = ref.kind;
      step.namespace_ = ref.namespace_;
      step.name = ref.name;
      step.role = classes[i].role;
      step.hook = hook.is_hook;
      step.delete_policies = hook.delete_policies;
      step.object_index = i;
      steps.push_back(std::move(step));
    }
  }
  std::sort(steps.begin(), steps.end(), RunsBefore);
  MoveDependenciesForward(steps, objects, NamespaceName, NamespaceUsed);
  MoveDependenciesForward(steps, objects, CrdTarget, GroupKind);
  for (PlanStep& step : steps) {
    (step.phase == SyncPhase::kSyncFail ? plan.sync_fail : plan.steps).push_back(std::move(step));
  }
  return plan;
}

std::string PlanToJson(const Plan& plan, const std::vector<Finding>& findings, bool pretty) {
  rapidjson::Document doc(rapidjson::kObjectType);
  JsonAllocator& a = doc.GetAllocator();
  JsonValue steps(rapidjson::kArrayType);
  for (const auto* list : {&plan.steps, &plan.sync_fail}) {
    for (const PlanStep& step : *list) steps.PushBack(StepToJson(step, a), a);
  }
  doc.AddMember("steps", steps, a);
  doc.AddMember("findings", FindingsToJsonValue(findings, a), a);
  JsonValue skipped(rapidjson::kArrayType);
  for (const SkippedObject& s : plan.skipped) skipped.PushBack(SkippedToJson(s, a), a);
  doc.AddMember("skipped", skipped, a);
  return ToJson(doc, pretty);
}

}  // namespace mlgitops
