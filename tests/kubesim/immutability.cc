// Immutable fields per kind, as kube-apiserver 1.32 validates updates: ValidateJobSpecUpdate,
// the apps/v1 strategies' selector check, ValidateStatefulSetUpdate, ValidateServiceUpdate,
// ValidatePersistentVolumeClaimUpdate, ValidateConfigMapUpdate/ValidateSecretUpdate and
// ValidatePodUpdate, worded with apimachinery's field.Error ("Invalid value: V: field is
// immutable", "Forbidden: ...").
#include "kubesim/immutability.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>

#include "kubesim/field_errors.h"
#include "kubesim/json_util.h"
#include "kubesim/object_rules.h"
#include "object/base64.h"

namespace mlgitops::kubesim {

namespace {

// apimachinery's FieldImmutableErrorMsg.
constexpr const char kImmutable[] = "field is immutable";
constexpr const char kImmutableWhenSet[] = "field is immutable when `immutable` is set";

using Causes = std::vector<StatusCause>;
// How field.Error prints a bad value (ErrorBody): a nil pointer as "null" (quoted, it is
// printed with %q), numbers and bools with %v, strings with %q and structs with Go's %#v.
using Render = std::function<std::string(const JsonValue*)>;

bool IsNullish(const JsonValue* v) {
  return !v || v->IsNull() || (v->IsObject() && v->MemberCount() == 0) ||
         (v->IsArray() && v->Empty()) || (v->IsString() && v->GetStringLength() == 0);
}

// apiequality.Semantic.DeepEqual over JSON: absent, null, "" and empty maps and lists are
// equal (Go decodes them to the same zero values; the forked DeepEqual treats nil and empty
// slices and maps alike); numbers compare by value. Depth is bounded by the body parser.
bool SemanticEqual(const JsonValue* a, const JsonValue* b) {
  if (IsNullish(a) || IsNullish(b)) return IsNullish(a) && IsNullish(b);
  if (a->IsNumber() && b->IsNumber()) {
    if (a->IsInt64() && b->IsInt64()) return a->GetInt64() == b->GetInt64();
    return a->GetDouble() == b->GetDouble();
  }
  if (a->IsObject() && b->IsObject()) {
    for (const auto& m : a->GetObject()) {
      if (!SemanticEqual(&m.value, FindMember(*b, View(m.name)))) return false;
    }
    for (const auto& m : b->GetObject()) {
      if (!FindMember(*a, View(m.name)) && !IsNullish(&m.value)) return false;
    }
    return true;
  }
  if (a->IsArray() && b->IsArray()) {
    if (a->Size() != b->Size()) return false;
    for (rapidjson::SizeType i = 0; i < a->Size(); ++i) {
      if (!SemanticEqual(&(*a)[i], &(*b)[i])) return false;
    }
    return true;
  }
  return *a == *b;
}

std::string GoScalar(const JsonValue* v) {
  if (!v || v->IsNull()) return "\"null\"";
  if (v->IsString()) return QuotedText(std::string(View(*v)));
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsNumber()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v->GetDouble());
    return buf;
  }
  return ToJson(*v);
}

std::string GoStringMap(const JsonValue* v) {
  if (!v || !v->IsObject()) return "map[string]string(nil)";
  std::map<std::string, std::string> sorted;  // %#v prints map keys in order
  for (const auto& m : v->GetObject()) {
    sorted[std::string(View(m.name))] = m.value.IsString() ? std::string(View(m.value)) : "";
  }
  std::string out = "map[string]string{";
  bool first = true;
  for (const auto& [key, value] : sorted) {
    if (!first) out += ", ";
    first = false;
    out += QuotedText(key) + ":" + QuotedText(value);
  }
  return out + "}";
}

std::string GoStringSlice(const std::vector<std::string>& items, bool nil) {
  if (nil) return "[]string(nil)";
  std::string out = "[]string{";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + QuotedText(items[i]);
  return out + "}";
}

std::vector<std::string> Strings(const JsonValue* v) {
  std::vector<std::string> out;
  if (!v || !v->IsArray()) return out;
  for (const auto& item : v->GetArray()) out.emplace_back(item.IsString() ? View(item) : "");
  return out;
}

// A *metav1.LabelSelector: "null" when unset, else %#v of the struct, e.g.
// v1.LabelSelector{MatchLabels:map[string]string{"app":"web"},
// MatchExpressions:[]v1.LabelSelectorRequirement(nil)}
std::string GoLabelSelector(const JsonValue* sel) {
  if (!sel || sel->IsNull()) return "\"null\"";
  std::string out = "v1.LabelSelector{MatchLabels:" + GoStringMap(FindMember(*sel, "matchLabels")) +
                    ", MatchExpressions:";
  const JsonValue* exprs = FindMember(*sel, "matchExpressions");
  if (!exprs || !exprs->IsArray()) return out + "[]v1.LabelSelectorRequirement(nil)}";
  out += "[]v1.LabelSelectorRequirement{";
  bool first = true;
  for (const auto& e : exprs->GetArray()) {
    if (!first) out += ", ";
    first = false;
    const JsonValue* values = e.IsObject() ? FindMember(e, "values") : nullptr;
    out += "v1.LabelSelectorRequirement{Key:" + QuotedText(GetString(e, "key")) +
           ", Operator:" + QuotedText(GetString(e, "operator")) +
           ", Values:" + GoStringSlice(Strings(values), !values || !values->IsArray()) + "}";
  }
  return out + "}}";
}

// Structs the real server prints in full with %#v (internal types, dozens of fields): kubesim
// keeps the type name and elides the field dump, e.g. "core.PodTemplateSpec{...}".
Render Elided(const std::string& go_type, bool pointer) {
  return [go_type, pointer](const JsonValue* v) {
    if (pointer && (!v || v->IsNull())) return std::string("\"null\"");
    return go_type + "{...}";
  };
}

StatusCause InvalidCause(const std::string& field, const std::string& value,
                         const std::string& detail) {
  return {"FieldValueInvalid", "Invalid value: " + value + ": " + detail, field};
}

StatusCause ForbiddenCause(const std::string& field, const std::string& detail) {
  return {"FieldValueForbidden", "Forbidden: " + detail, field};
}

// apivalidation.ValidateImmutableField at `path` (reported as `field`, which differs for a
// PVC's volumeMode).
void CheckImmutable(const JsonValue& old, const JsonValue& next, const std::string& path,
                    const Render& render, Causes* causes, const std::string& field = "") {
  const JsonValue* after = Find(next, path);
  if (!SemanticEqual(Find(old, path), after)) {
    causes->push_back(InvalidCause(field.empty() ? path : field, render(after), kImmutable));
  }
}

// A copy of `v` at `path` (an empty object when absent), to munge before comparing.
Object CopyAt(const JsonValue& v, const char* path) {
  const JsonValue* found = Find(v, path);
  return found && found->IsObject() ? CopyToObject(*found)
                                    : CopyToObject(JsonValue(rapidjson::kObjectType));
}

// validatePodTemplateUpdate: a suspended Job that never started may change its template's
// scheduling directives (node affinity, nodeSelector, tolerations, labels, annotations,
// schedulingGates); everything else in spec.template is immutable.
void JobTemplateRule(const JsonValue& old, const JsonValue& next, Causes* causes) {
  Object before = CopyAt(old, "spec.template");
  Object after = CopyAt(next, "spec.template");
  bool suspended = Find(old, "spec.suspend") && Find(old, "spec.suspend")->IsBool() &&
                   Find(old, "spec.suspend")->GetBool();
  bool started = !IsNullish(Find(old, "status.startTime"));
  if (suspended && !started) {
    JsonValue& t = before.mutable_json();
    JsonAllocator& a = before.allocator();
    const JsonValue& n = after.json();
    JsonValue& spec = EnsureObject(t, "spec", a);
    const JsonValue* new_spec = FindMember(n, "spec");
    const JsonValue* new_affinity = new_spec ? FindMember(*new_spec, "affinity") : nullptr;
    JsonValue* old_affinity = FindMember(spec, "affinity");
    if (IsNullish(new_affinity) && !IsNullish(old_affinity) && old_affinity->IsObject()) {
      RemoveMember(*old_affinity, "nodeAffinity");
      if (IsNullish(old_affinity)) RemoveMember(spec, "affinity");
    } else if (!IsNullish(new_affinity) && new_affinity->IsObject()) {
      JsonValue& affinity = EnsureObject(spec, "affinity", a);
      CopyMemberFrom(affinity, *new_affinity, "nodeAffinity", a);
    }
    JsonValue empty(rapidjson::kObjectType);
    const JsonValue& from_spec = new_spec ? *new_spec : empty;
    for (const char* key : {"nodeSelector", "tolerations", "schedulingGates"}) {
      CopyMemberFrom(spec, from_spec, key, a);
    }
    const JsonValue* new_meta = FindMember(n, "metadata");
    JsonValue& meta = EnsureObject(t, "metadata", a);
    for (const char* key : {"annotations", "labels"}) {
      CopyMemberFrom(meta, new_meta ? *new_meta : empty, key, a);
    }
  }
  if (!SemanticEqual(&before.json(), &after.json())) {
    // The real value is %#v of the whole internal core.PodTemplateSpec: elided.
    causes->push_back(InvalidCause("spec.template", "core.PodTemplateSpec{...}", kImmutable));
  }
}

// ValidateJobSpecUpdate (batch/v1 Job).
void JobRules(const JsonValue& old, const JsonValue& next, Causes* causes) {
  // validateCompletions: Indexed Jobs are elastic (ElasticIndexedJob, GA since 1.31) when
  // completions and parallelism change together; otherwise completions is immutable.
  const JsonValue* completions = Find(next, "spec.completions");
  if (GetString(next, "spec.completionMode") != "Indexed") {
    CheckImmutable(old, next, "spec.completions", GoScalar, causes);
  } else if (!SemanticEqual(Find(old, "spec.completions"), completions) && completions &&
             !completions->IsNull()) {
    int64_t parallelism = GetInt(next, "spec.parallelism").value_or(1);  // defaulted to 1
    if (GetInt(next, "spec.completions").value_or(-1) != parallelism) {
      causes->push_back(InvalidCause("spec.completions", GoScalar(completions),
                                     "can only be modified in tandem with spec.parallelism"));
    }
  }
  CheckImmutable(old, next, "spec.selector", GoLabelSelector, causes);
  JobTemplateRule(old, next, causes);
  CheckImmutable(old, next, "spec.completionMode", GoScalar, causes);
  CheckImmutable(old, next, "spec.podFailurePolicy", Elided("batch.PodFailurePolicy", true),
                 causes);
  CheckImmutable(old, next, "spec.backoffLimitPerIndex", GoScalar, causes);
  CheckImmutable(old, next, "spec.managedBy", GoScalar, causes);
  CheckImmutable(old, next, "spec.successPolicy", Elided("batch.SuccessPolicy", true), causes);
}

// ValidateStatefulSetUpdate: only these spec fields may change.
void StatefulSetRules(const JsonValue& old, const JsonValue& next, Causes* causes) {
  Object before = CopyAt(old, "spec");
  Object after = CopyAt(next, "spec");
  for (const char* key : {"replicas", "ordinals", "template", "updateStrategy", "minReadySeconds",
                          "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy"}) {
    RemoveMember(before.mutable_json(), key);
    RemoveMember(after.mutable_json(), key);
  }
  if (!SemanticEqual(&before.json(), &after.json())) {
    causes->push_back(ForbiddenCause(
        "spec",
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
        "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
        "'minReadySeconds' are forbidden"));
  }
}

// validateUpgradeDowngradeIPFamilies: families may be added or released, the primary may not
// change; headless Services may change families. The Go rule reports every change at
// ipFamilies[0], and shows the cluster IPs (not the families) when the lengths differ.
void ServiceFamilyRules(const JsonValue& old, const JsonValue& next,
                        const std::vector<std::string>& old_ips,
                        const std::vector<std::string>& new_ips, const std::string& ips_shown,
                        Causes* causes) {
  auto headless = [](const std::vector<std::string>& ips) {
    return ips.size() == 1 && ips[0] == "None";
  };
  if (headless(old_ips) || headless(new_ips)) return;
  std::vector<std::string> old_families = Strings(Find(old, "spec.ipFamilies"));
  std::vector<std::string> new_families = Strings(Find(next, "spec.ipFamilies"));
  std::string families_shown =
      "[]core.IPFamily" + GoStringSlice(new_families, new_families.empty()).substr(8);
  const std::string field = "spec.ipFamilies[0]";
  const std::string changed = "may not change once set";
  if (old_families.size() == new_families.size()) {
    for (size_t i = 0; i < old_families.size(); ++i) {
      if (old_families[i] != new_families[i]) {
        causes->push_back(InvalidCause(field, families_shown, changed));
      }
    }
  } else if (old_families.size() > new_families.size()) {
    if (new_ips.empty()) {
      causes->push_back(InvalidCause(field, families_shown, "primary ipFamily can not be unset"));
    }
    if (!new_families.empty() && new_families[0] != old_families[0]) {
      causes->push_back(InvalidCause(field, ips_shown, changed));
    }
  } else if (!old_families.empty() && new_families[0] != old_families[0]) {
    causes->push_back(InvalidCause(field, ips_shown, changed));
  }
}

// ValidateServiceUpdate's validateUpgradeDowngradeClusterIPs, after the registry's
// NormalizeClusterIPs and patchAllocatedValues.
void ServiceRules(const JsonValue& old, const JsonValue& next, Causes* causes) {
  if (GetString(old, "spec.type") == "ExternalName" ||
      GetString(next, "spec.type") == "ExternalName") {
    return;  // ExternalName Services have no cluster IPs to keep
  }
  std::string old_ip = GetString(old, "spec.clusterIP");
  std::string new_ip = GetString(next, "spec.clusterIP");
  if (old_ip == "None" && new_ip == "None") return;  // both headless
  std::vector<std::string> old_ips = Strings(Find(old, "spec.clusterIPs"));
  if (old_ips.empty() && !old_ip.empty()) old_ips = {old_ip};
  std::vector<std::string> new_ips = Strings(Find(next, "spec.clusterIPs"));
  if (new_ips.empty() && new_ip == old_ip) new_ips = old_ips;  // an old client left it out
  if (new_ip != old_ip && new_ips == old_ips) {
    // Only the singular field changed (an old client, or kubectl apply's three-way patch): it
    // stands for the primary of clusterIPs.
    if (new_ip.empty()) {
      new_ips.clear();
    } else if (new_ips.empty()) {
      new_ips = {new_ip};
    } else {
      new_ips[0] = new_ip;
    }
  }
  std::string shown = GoStringSlice(new_ips, new_ips.empty());
  const std::string changed = "may not change once set";
  if (old_ips.size() == new_ips.size()) {
    for (size_t i = 0; i < old_ips.size(); ++i) {
      if (old_ips[i] != new_ips[i]) {
        causes->push_back(
            InvalidCause("spec.clusterIPs[" + std::to_string(i) + "]", shown, changed));
      }
    }
  } else if (old_ips.size() > new_ips.size()) {
    if (new_ips.empty()) {
      causes->push_back(
          InvalidCause("spec.clusterIPs[0]", shown, "primary clusterIP can not be unset"));
    } else if (new_ips[0] != old_ips[0]) {
      causes->push_back(InvalidCause("spec.clusterIPs[0]", shown, changed));
    }
    if (new_ips.size() == 1 && GetString(next, "spec.ipFamilyPolicy") != "SingleStack") {
      causes->push_back(InvalidCause(
          "spec.clusterIPs[0]", shown,
          "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (!old_ips.empty() && new_ips[0] != old_ips[0]) {
    causes->push_back(InvalidCause("spec.clusterIPs[0]", shown, changed));
  }
  ServiceFamilyRules(old, next, old_ips, new_ips, shown, causes);
}

// ValidatePersistentVolumeClaimUpdate.
void PvcRules(const JsonValue& old, const JsonValue& next, Causes* causes) {
  Object before = CopyAt(old, "spec");
  Object after = CopyAt(next, "spec");
  JsonAllocator& a = after.allocator();
  // The volume binder sets volumeName once.
  if (GetString(old, "spec.volumeName").empty()) {
    CopyMemberFrom(before.mutable_json(), after.json(), "volumeName", before.allocator());
  }
  // Updates keep the stored status, so the new object is bound when the old one is.
  bool bound = GetString(old, "status.phase") == "Bound";
  JsonValue* requests = FindMutable(after.mutable_json(), "resources.requests");
  if (bound && requests && requests->IsObject()) {
    const JsonValue* old_requests = Find(before.json(), "resources.requests");
    JsonValue none(rapidjson::kObjectType);
    CopyMemberFrom(*requests, old_requests && old_requests->IsObject() ? *old_requests : none,
                   "storage", a);
  }
  if (bound && !IsNullish(FindMember(after.json(), "volumeAttributesClassName"))) {
    CopyMemberFrom(after.mutable_json(), before.json(), "volumeAttributesClassName", a);
  }
  if (!SemanticEqual(&before.json(), &after.json())) {
    // The real message goes on with "\n" and a cmp.Diff of the two specs: elided here.
    causes->push_back(ForbiddenCause("spec",
                                     "spec is immutable after creation except resources.requests "
                                     "and volumeAttributesClassName for bound claims"));
  }
  // Reported at "volumeMode", not "spec.volumeMode", by the real server too.
  CheckImmutable(old, next, "spec.volumeMode", GoScalar, causes, "volumeMode");
}

bool IsTrue(const JsonValue& v, const char* path) {
  const JsonValue* found = Find(v, path);
  return found && found->IsBool() && found->GetBool();
}

// ValidateConfigMapUpdate / ValidateSecretUpdate with `immutable: true` on the stored object.
void ImmutableDataRules(const JsonValue& old, const JsonValue& next, bool secret, Causes* causes) {
  if (secret) CheckImmutable(old, next, "type", GoScalar, causes);
  if (!IsTrue(old, "immutable")) return;
  if (!IsTrue(next, "immutable")) causes->push_back(ForbiddenCause("immutable", kImmutableWhenSet));
  Object data = CopyAt(next, "data");
  if (secret) {
    // stringData is folded into data before validation: a stringData entry is a data change.
    if (const JsonValue* strings = Find(next, "stringData"); strings && strings->IsObject()) {
      for (const auto& m : strings->GetObject()) {
        std::string encoded = Base64Encode(m.value.IsString() ? View(m.value) : "");
        SetString(data.mutable_json(), View(m.name), encoded, data.allocator());
      }
    }
  }
  if (!SemanticEqual(Find(old, "data"), &data.json())) {
    causes->push_back(ForbiddenCause("data", kImmutableWhenSet));
  }
  if (!secret && !SemanticEqual(Find(old, "binaryData"), Find(next, "binaryData"))) {
    causes->push_back(ForbiddenCause("binaryData", kImmutableWhenSet));
  }
}

size_t ArraySize(const JsonValue* v) { return v && v->IsArray() ? v->Size() : 0; }

// validateOnlyAddedTolerations: each existing toleration must still be there, equal but for its
// tolerationSeconds (Go structs: an absent string field is "").
bool TolerationsOnlyAdded(const JsonValue* old_list, const JsonValue* new_list) {
  if (!old_list || !old_list->IsArray()) return true;
  auto same = [](const JsonValue& a, const JsonValue& b) {
    for (const char* key : {"key", "operator", "value", "effect"}) {
      if (GetString(a, key) != GetString(b, key)) return false;
    }
    return true;
  };
  if (!new_list || !new_list->IsArray()) return old_list->Empty();
  auto kept = new_list->GetArray();
  return std::all_of(old_list->GetArray().begin(), old_list->GetArray().end(),
                     [&](const JsonValue& old_toleration) {
                       return std::any_of(kept.begin(), kept.end(), [&](const JsonValue& t) {
                         return same(old_toleration, t);
                       });
                     });
}

// ValidatePodUpdate: images, activeDeadlineSeconds (only lowered), tolerations (additions) and
// a negative terminationGracePeriodSeconds set to 1 may change; nothing else in spec.
void PodRules(const JsonValue& old, const JsonValue& next, const std::string& manager,
              Causes* causes) {
  for (const char* list : {"containers", "initContainers"}) {
    std::string path = std::string("spec.") + list;
    if (ArraySize(Find(old, path)) != ArraySize(Find(next, path))) {
      causes->push_back(ForbiddenCause(path, "pod updates may not add or remove containers"));
      return;
    }
  }
  const JsonValue* deadline = Find(next, "spec.activeDeadlineSeconds");
  const JsonValue* old_deadline = Find(old, "spec.activeDeadlineSeconds");
  if (deadline && !deadline->IsNull()) {
    int64_t value = deadline->IsInt64() ? deadline->GetInt64() : -1;
    if (value < 0 || value > INT32_MAX) {
      causes->push_back(InvalidCause("spec.activeDeadlineSeconds", GoScalar(deadline),
                                     "must be between 0 and 2147483647, inclusive"));
      return;
    }
    if (old_deadline && old_deadline->IsInt64() && old_deadline->GetInt64() < value) {
      causes->push_back(InvalidCause("spec.activeDeadlineSeconds", GoScalar(deadline),
                                     "must be less than or equal to previous value"));
      return;
    }
  } else if (old_deadline && !old_deadline->IsNull()) {
    causes->push_back(InvalidCause("spec.activeDeadlineSeconds", "\"null\"",
                                   "must not update from a positive integer to nil value"));
  }
  if (!TolerationsOnlyAdded(Find(old, "spec.tolerations"), Find(next, "spec.tolerations"))) {
    causes->push_back(
        ForbiddenCause("spec.tolerations",
                       "existing toleration can not be modified except its tolerationSeconds"));
  }
  Object before = CopyAt(old, "spec");
  Object munged = CopyAt(next, "spec");
  JsonValue& spec = munged.mutable_json();
  JsonAllocator& a = munged.allocator();
  for (const char* list : {"containers", "initContainers"}) {
    JsonValue* items = FindMember(spec, list);
    const JsonValue* old_items = FindMember(before.json(), list);
    if (!items || !items->IsArray() || !old_items || !old_items->IsArray()) continue;
    for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
      if ((*items)[i].IsObject() && (*old_items)[i].IsObject()) {
        CopyMemberFrom((*items)[i], (*old_items)[i], "image", a);
      }
    }
  }
  for (const char* key : {"activeDeadlineSeconds", "schedulingGates", "tolerations"}) {
    CopyMemberFrom(spec, before.json(), key, a);
  }
  auto old_grace = GetInt(before.json(), "terminationGracePeriodSeconds");
  if (old_grace && *old_grace < 0 && GetInt(spec, "terminationGracePeriodSeconds") == 1) {
    CopyMemberFrom(spec, before.json(), "terminationGracePeriodSeconds", a);
  }
  // kubesim's scheduler binds with an update (the real one POSTs pods/binding).
  if (manager == "kube-scheduler" && GetString(before.json(), "nodeName").empty()) {
    CopyMemberFrom(spec, before.json(), "nodeName", a);
  }
  if (!SemanticEqual(&before.json(), &spec)) {
    // The real message goes on with "\n" and a cmp.Diff of the two PodSpecs: elided here.
    causes->push_back(ForbiddenCause(
        "spec",
        "pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to "
        "be set to 1 if it was previously negative)"));
  }
}

}  // namespace

std::vector<StatusCause> ImmutableFieldCauses(const ResourceType& type, const JsonValue& old,
                                              const JsonValue& next, const std::string& manager) {
  Causes causes;
  const std::string& g = type.group;
  const std::string& k = type.kind;
  if (g == "batch" && k == "Job") {
    JobRules(old, next, &causes);
  } else if (g == "apps" && (k == "Deployment" || k == "ReplicaSet" || k == "DaemonSet")) {
    // The apps/v1 strategies' ValidateUpdate: the selector is immutable (extensions/v1beta1,
    // which kubesim does not serve, allowed it).
    CheckImmutable(old, next, "spec.selector", GoLabelSelector, &causes);
  } else if (g == "apps" && k == "StatefulSet") {
    StatefulSetRules(old, next, &causes);
  } else if (g.empty() && k == "Service") {
    ServiceRules(old, next, &causes);
  } else if (g.empty() && k == "PersistentVolumeClaim") {
    PvcRules(old, next, &causes);
  } else if (g.empty() && (k == "ConfigMap" || k == "Secret")) {
    ImmutableDataRules(old, next, k == "Secret", &causes);
  } else if (g.empty() && k == "Pod") {
    PodRules(old, next, manager, &causes);
  }
  return causes;
}

std::optional<ApiError> CheckPatchedIdentity(const ResourceType& type, const JsonValue& live,
                                             const JsonValue& patched) {
  // The patch handler's checkName: 400 before any validation runs.
  std::string name = GetString(live, "metadata.name");
  std::string patched_name = GetString(patched, "metadata.name");
  if (patched_name != name) {
    return BadRequest("the name of the object (" + patched_name +
                      ") does not match the name on the URL (" + name + ")");
  }
  std::string ns = GetString(live, "metadata.namespace");
  std::string patched_ns = GetString(patched, "metadata.namespace");
  if (type.namespaced && !patched_ns.empty() && patched_ns != ns) {
    return BadRequest("the namespace of the object (" + patched_ns +
                      ") does not match the namespace on the request (" + ns + ")");
  }
  // Patches carry no uid precondition: ValidateObjectMetaUpdate refuses a changed uid (an empty
  // one is filled in from the stored object).
  std::string uid = GetString(live, "metadata.uid");
  std::string patched_uid = GetString(patched, "metadata.uid");
  if (!patched_uid.empty() && patched_uid != uid) {
    return Invalid(type.group, type.kind, name,
                   {InvalidCause("metadata.uid", QuotedText(patched_uid), kImmutable)});
  }
  return std::nullopt;
}

}  // namespace mlgitops::kubesim
