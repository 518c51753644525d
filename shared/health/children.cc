// Finding owned objects by owner reference, controller labels and selectors.
#include "health/children.h"

#include <string>
#include <unordered_set>
#include <utility>

namespace mlgitops {

namespace {

struct LabelRule {
  const char* key;
  std::string value;
};

std::string Uid(const Object& o) { return GetString(o.json(), "metadata.uid"); }

bool IsKind(const Object& o, std::string_view group, std::string_view kind) {
  return o.kind() == kind && o.group() == group;
}

bool HasOwnerReference(const Object& child, const Object& parent) {
  const JsonValue* refs = Find(child.json(), "metadata.ownerReferences");
  if (!refs || !refs->IsArray()) return false;
  std::string uid = Uid(parent);
  for (const auto& ref : refs->GetArray()) {
    std::string ref_uid = MemberString(ref, "uid");
    if (!uid.empty() && !ref_uid.empty()) {
      if (ref_uid == uid) return true;
      continue;
    }
    if (MemberString(ref, "kind") == parent.kind() && MemberString(ref, "name") == parent.name()) {
      return true;
    }
  }
  return false;
}

void AddRayClusterRule(const Object& parent, const char* path, std::vector<LabelRule>* rules) {
  std::string cluster = GetString(parent.json(), path);
  if (!cluster.empty()) rules->push_back({"ray.io/cluster", cluster});
}

// The labels a controller stamps on what it creates for `parent`.
std::vector<LabelRule> ControllerLabels(const Object& parent) {
  std::string group = parent.group();
  std::string kind = parent.kind();
  std::string name = parent.name();
  std::vector<LabelRule> rules;
  if (group == "batch" && kind == "Job") {
    rules = {{"batch.kubernetes.io/job-name", name}, {"job-name", name}};
    std::string uid = Uid(parent);
    if (!uid.empty()) {
      rules.push_back({"batch.kubernetes.io/controller-uid", uid});
      rules.push_back({"controller-uid", uid});
    }
  } else if (group == "kubeflow.org") {
    rules = {{"training.kubeflow.org/job-name", name}};
  } else if (group == "trainer.kubeflow.org" && kind == "TrainJob") {
    rules = {{"jobset.sigs.k8s.io/jobset-name", name}};  // the JobSet is named after it
  } else if (group == "ray.io" && kind == "RayCluster") {
    rules = {{"ray.io/cluster", name}};
  } else if (group == "ray.io" && kind == "RayJob") {
    AddRayClusterRule(parent, "status.rayClusterName", &rules);
  } else if (group == "ray.io" && kind == "RayService") {
    AddRayClusterRule(parent, "status.activeServiceStatus.rayClusterName", &rules);
    AddRayClusterRule(parent, "status.pendingServiceStatus.rayClusterName", &rules);
  } else if (group == "batch.volcano.sh" && kind == "Job") {
    rules = {{"volcano.sh/job-name", name}};
  } else if (group == "argoproj.io" && kind == "CronWorkflow") {
    rules = {{"workflows.argoproj.io/cron-workflow", name}};
  } else if (group == "argoproj.io" && kind == "Workflow") {
    rules = {{"workflows.argoproj.io/workflow", name}};
  } else if (group == "sparkoperator.k8s.io" && kind == "SparkApplication") {
    rules = {{"sparkoperator.k8s.io/app-name", name}};
  }
  return rules;
}

bool MatchesControllerLabels(const Object& child, const std::vector<LabelRule>& rules) {
  for (const LabelRule& rule : rules) {
    if (child.label(rule.key) == rule.value) return true;
  }
  return false;
}

// ---- label selectors ----

bool InValues(const std::optional<std::string>& label, const JsonValue& expression) {
  const JsonValue* values = Find(expression, "values");
  if (!label || !values || !values->IsArray()) return false;
  for (const auto& v : values->GetArray()) {
    if (v.IsString() && *label == v.GetString()) return true;
  }
  return false;
}

bool MatchesExpression(const Object& child, const JsonValue& expression) {
  auto label = child.label(MemberString(expression, "key"));
  std::string op = MemberString(expression, "operator");
  if (op == "In") return InValues(label, expression);
  if (op == "NotIn") return !InValues(label, expression);
  if (op == "Exists") return label.has_value();
  if (op == "DoesNotExist") return !label.has_value();
  return false;  // an operator we do not know selects nothing
}

// Kubernetes reads an empty selector as "everything"; for finding children that would claim
// the whole namespace, so an empty selector selects nothing here.
bool MatchesSelector(const Object& child, const JsonValue& selector) {
  const JsonValue* labels = Find(selector, "matchLabels");
  const JsonValue* expressions = Find(selector, "matchExpressions");
  bool has_labels = labels && labels->IsObject() && labels->MemberCount() > 0;
  bool has_expressions = expressions && expressions->IsArray() && !expressions->Empty();
  if (!has_labels && !has_expressions) return false;
  if (has_labels) {
    for (const auto& m : labels->GetObject()) {
      if (!m.value.IsString()) return false;
      if (child.label(m.name.GetString()) != std::string(m.value.GetString())) return false;
    }
  }
  if (has_expressions) {
    for (const auto& e : expressions->GetArray()) {
      if (!MatchesExpression(child, e)) return false;
    }
  }
  return true;
}

bool UsesPodSelector(const Object& parent) {
  std::string group = parent.group();
  std::string kind = parent.kind();
  if (group == "batch") return kind == "Job";
  return group == "apps" && (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
                             kind == "ReplicaSet");
}

bool SelectedBy(const Object& child, const Object& parent) {
  if (!UsesPodSelector(parent)) return false;
  bool selectable = IsKind(child, "", "Pod") ||
                    (IsKind(child, "apps", "ReplicaSet") && parent.kind() == "Deployment");
  if (!selectable) return false;
  const JsonValue* selector = Find(parent.json(), "spec.selector");
  return selector && selector->IsObject() && MatchesSelector(child, *selector);
}

// ---- assembling ----

bool IsSameObject(const Object& a, const Object& b) { return &a == &b || a.ref() == b.ref(); }

void CollectDirect(const Object& parent, const std::vector<Object>& all, bool pods_only,
                   std::unordered_set<const Object*>* found) {
  std::vector<LabelRule> rules = ControllerLabels(parent);
  std::string ns = parent.namespace_();
  for (const Object& candidate : all) {
    if (candidate.namespace_() != ns || IsSameObject(candidate, parent)) continue;
    if (pods_only && !IsKind(candidate, "", "Pod")) continue;
    if (HasOwnerReference(candidate, parent) || MatchesControllerLabels(candidate, rules) ||
        SelectedBy(candidate, parent)) {
      found->insert(&candidate);
    }
  }
}

bool OwnsPods(const Object& o) {
  return IsKind(o, "apps", "ReplicaSet") || IsKind(o, "batch", "Job");
}

}  // namespace

std::vector<const Object*> FindChildren(const Object& parent, const std::vector<Object>& all) {
  std::unordered_set<const Object*> found;
  CollectDirect(parent, all, /*pods_only=*/false, &found);
  std::vector<const Object*> controllers;
  for (const Object* child : found) {
    if (OwnsPods(*child)) controllers.push_back(child);
  }
  for (const Object* controller : controllers) {
    CollectDirect(*controller, all, /*pods_only=*/true, &found);
  }
  std::vector<const Object*> ordered;
  for (const Object& o : all) {
    if (found.count(&o) && !IsSameObject(o, parent)) ordered.push_back(&o);
  }
  return ordered;
}

}  // namespace mlgitops
