// Finding owned objects by owner reference, controller labels and selectors.
#include "health/children.h"

#include <algorithm>
#include <cstdint>
#include <string>
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

bool OwnsPods(const Object& o) {
  return IsKind(o, "apps", "ReplicaSet") || IsKind(o, "batch", "Job");
}

// Index keys: fields joined by a byte no namespace, name or label can hold.
std::string Key(std::string_view a, std::string_view b, std::string_view c = {}) {
  std::string key;
  key.reserve(a.size() + b.size() + c.size() + 2);
  key.append(a).push_back('\x1f');
  key.append(b).push_back('\x1f');
  key.append(c);
  return key;
}

}  // namespace

ChildIndex::ChildIndex(const std::vector<Object>& all) : all_(all) {
  for (uint32_t i = 0; i < all.size(); ++i) {
    const Object& o = all[i];
    std::string ns = o.namespace_();
    const JsonValue* refs = Find(o.json(), "metadata.ownerReferences");
    if (refs && refs->IsArray()) {
      for (const auto& ref : refs->GetArray()) {
        std::string uid = MemberString(ref, "uid");
        if (!uid.empty()) by_owner_uid_[Key(ns, uid)].push_back(i);
        by_owner_name_[Key(ns, MemberString(ref, "kind"), MemberString(ref, "name"))].push_back(i);
      }
    }
    const JsonValue* labels = Find(o.json(), "metadata.labels");
    if (labels && labels->IsObject()) {
      for (const auto& m : labels->GetObject()) {
        if (!m.value.IsString()) continue;
        by_label_[Key(ns, m.name.GetString(), m.value.GetString())].push_back(i);
        by_label_key_[Key(ns, m.name.GetString())].push_back(i);
      }
    }
    if (IsKind(o, "", "Pod") || IsKind(o, "apps", "ReplicaSet")) {
      by_kind_[Key(ns, o.kind())].push_back(i);
    }
  }
}

const ChildIndex::Bucket& ChildIndex::Lookup(const std::unordered_map<std::string, Bucket>& map,
                                             const std::string& key) const {
  static const Bucket kEmpty;
  auto it = map.find(key);
  return it == map.end() ? kEmpty : it->second;
}

// A superset of the parent's direct children: FindChildren's rules then decide. For a
// selector, the smallest bucket that every selected object must be in is taken, so a label
// shared by the whole namespace (team: ml) does not make each parent look at everything.
void ChildIndex::Candidates(const Object& parent, std::vector<uint32_t>* out) const {
  std::string ns = parent.namespace_();
  auto add = [out](const Bucket& b) { out->insert(out->end(), b.begin(), b.end()); };
  std::string uid = Uid(parent);
  if (!uid.empty()) add(Lookup(by_owner_uid_, Key(ns, uid)));
  add(Lookup(by_owner_name_, Key(ns, parent.kind(), parent.name())));
  for (const LabelRule& rule : ControllerLabels(parent)) {
    add(Lookup(by_label_, Key(ns, rule.key, rule.value)));
  }
  if (!UsesPodSelector(parent)) return;
  const JsonValue* selector = Find(parent.json(), "spec.selector");
  if (!selector || !selector->IsObject()) return;
  const JsonValue* labels = Find(*selector, "matchLabels");
  const JsonValue* expressions = Find(*selector, "matchExpressions");
  bool has_labels = labels && labels->IsObject() && labels->MemberCount() > 0;
  bool has_expressions = expressions && expressions->IsArray() && !expressions->Empty();
  if (!has_labels && !has_expressions) return;  // selects nothing (see MatchesSelector)
  std::vector<const Bucket*> best;              // buckets whose union holds every selected object
  size_t best_size = SIZE_MAX;
  auto consider = [&](std::vector<const Bucket*> option) {
    size_t size = 0;
    for (const Bucket* b : option) size += b->size();
    if (size < best_size) {
      best_size = size;
      best = std::move(option);
    }
  };
  if (has_labels) {
    for (const auto& m : labels->GetObject()) {
      if (!m.value.IsString()) return;  // MatchesSelector selects nothing then
      consider({&Lookup(by_label_, Key(ns, m.name.GetString(), m.value.GetString()))});
    }
  }
  if (has_expressions) {
    for (const JsonValue& e : expressions->GetArray()) {
      std::string key = MemberString(e, "key");
      std::string op = MemberString(e, "operator");
      const JsonValue* values = Find(e, "values");
      if (op == "Exists") consider({&Lookup(by_label_key_, Key(ns, key))});
      if (op != "In") continue;
      std::vector<const Bucket*> option;
      if (values && values->IsArray()) {
        for (const JsonValue& v : values->GetArray()) {
          if (v.IsString()) option.push_back(&Lookup(by_label_, Key(ns, key, v.GetString())));
        }
      }
      consider(std::move(option));
    }
  }
  if (best_size == SIZE_MAX) {
    // Only NotIn / DoesNotExist: every Pod (and a Deployment's ReplicaSets) in the namespace.
    best = {&Lookup(by_kind_, Key(ns, "Pod"))};
    if (parent.kind() == "Deployment") best.push_back(&Lookup(by_kind_, Key(ns, "ReplicaSet")));
  }
  for (const Bucket* b : best) add(*b);
}

void ChildIndex::CollectDirect(const Object& parent, bool pods_only,
                               std::vector<uint32_t>* found) const {
  std::vector<uint32_t> candidates;
  Candidates(parent, &candidates);
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::vector<LabelRule> rules = ControllerLabels(parent);
  std::string ns = parent.namespace_();
  for (uint32_t i : candidates) {
    ++examined_;
    const Object& candidate = all_[i];
    if (candidate.namespace_() != ns || IsSameObject(candidate, parent)) continue;
    if (pods_only && !IsKind(candidate, "", "Pod")) continue;
    if (HasOwnerReference(candidate, parent) || MatchesControllerLabels(candidate, rules) ||
        SelectedBy(candidate, parent)) {
      found->push_back(i);
    }
  }
}

std::vector<const Object*> ChildIndex::Children(const Object& parent) const {
  std::vector<uint32_t> found;
  CollectDirect(parent, /*pods_only=*/false, &found);
  size_t direct = found.size();
  for (size_t k = 0; k < direct; ++k) {
    const Object& child = all_[found[k]];
    if (OwnsPods(child)) CollectDirect(child, /*pods_only=*/true, &found);
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  std::vector<const Object*> ordered;
  for (uint32_t i : found) {
    if (!IsSameObject(all_[i], parent)) ordered.push_back(&all_[i]);
  }
  return ordered;
}

std::vector<const Object*> FindChildren(const Object& parent, const std::vector<Object>& all) {
  return ChildIndex(all).Children(parent);
}

}  // namespace mlgitops
