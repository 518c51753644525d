// Defaulting as kube-apiserver does it on every write (pkg/apis/*/v1/defaults.go plus the
// registry's Job selector and Service IP allocation); pod specs live in defaults_pod.cc.
#include "kubesim/defaults.h"

#include <atomic>

#include "kubesim/json_util.h"
#include "object/base64.h"

namespace mlgitops::kubesim {

namespace {

bool Is(const ResourceType& t, const char* group, const char* kind) {
  return t.group == group && t.kind == kind;
}

void DefaultInt(JsonValue& obj, const char* path, int64_t value, JsonAllocator& a) {
  if (!Find(obj, path)) SetPath(obj, path, JsonValue(static_cast<int64_t>(value)), a);
}

void DefaultString(JsonValue& obj, const char* path, const char* value, JsonAllocator& a) {
  if (!Find(obj, path)) SetPath(obj, path, Str(value, a), a);
}

std::string NextClusterIp() {
  static std::atomic<int> next{10};
  int n = next++;
  return "10.96." + std::to_string((n / 250) % 250) + "." + std::to_string(n % 250 + 1);
}

void DefaultServicePorts(JsonValue& spec, JsonAllocator& a) {
  JsonValue* ports = FindMember(spec, "ports");
  if (!ports || !ports->IsArray()) return;
  for (auto& port : ports->GetArray()) {
    if (!port.IsObject()) continue;
    if (!FindMember(port, "protocol")) SetString(port, "protocol", "TCP", a);
    if (!FindMember(port, "targetPort")) {
      if (const JsonValue* number = FindMember(port, "port")) {
        SetMember(port, "targetPort", JsonValue(*number, a), a);
      }
    }
  }
}

void DefaultService(JsonValue& obj, const JsonValue* old, JsonAllocator& a) {
  JsonValue& spec = EnsureObject(obj, "spec", a);
  DefaultString(obj, "spec.type", "ClusterIP", a);
  DefaultString(obj, "spec.sessionAffinity", "None", a);
  DefaultServicePorts(spec, a);
  std::string type = GetString(obj, "spec.type");
  if (type == "ExternalName") return;
  DefaultString(obj, "spec.internalTrafficPolicy", "Cluster", a);
  if (type == "NodePort" || type == "LoadBalancer") {
    DefaultString(obj, "spec.externalTrafficPolicy", "Cluster", a);
  }
  if (type == "LoadBalancer") {
    if (!Find(obj, "spec.allocateLoadBalancerNodePorts")) {
      SetMember(spec, "allocateLoadBalancerNodePorts", JsonValue(true), a);
    }
  }
  DefaultString(obj, "spec.ipFamilyPolicy", "SingleStack", a);
  if (!FindMember(spec, "ipFamilies")) {
    JsonValue families(rapidjson::kArrayType);
    families.PushBack(Str("IPv4", a), a);
    SetMember(spec, "ipFamilies", std::move(families), a);
  }
  std::string ip = GetString(obj, "spec.clusterIP");
  if (ip.empty()) ip = old ? GetString(*old, "spec.clusterIP") : "";
  if (ip.empty()) ip = NextClusterIp();
  SetString(spec, "clusterIP", ip, a);
  if (!FindMember(spec, "clusterIPs")) {
    JsonValue ips(rapidjson::kArrayType);
    ips.PushBack(Str(ip, a), a);
    SetMember(spec, "clusterIPs", std::move(ips), a);
  }
}

void DefaultBool(JsonValue& obj, const char* path, bool value, JsonAllocator& a) {
  if (!Find(obj, path)) SetPath(obj, path, JsonValue(value), a);
}

JsonValue StringList(std::initializer_list<const char*> items, JsonAllocator& a) {
  JsonValue list(rapidjson::kArrayType);
  for (const char* item : items) list.PushBack(Str(item, a), a);
  return list;
}

// Secret stringData is write-only: folded into data (base64), later keys winning.
void FoldStringData(JsonValue& obj, JsonAllocator& a) {
  const JsonValue* string_data = FindMember(obj, "stringData");
  if (!string_data) return;
  if (string_data->IsObject()) {
    JsonValue& data = EnsureObject(obj, "data", a);
    for (const auto& m : string_data->GetObject()) {
      if (m.value.IsString()) SetString(data, View(m.name), Base64Encode(View(m.value)), a);
    }
  }
  RemoveMember(obj, "stringData");
}

// SetDefaults_PersistentVolumeClaimSpec plus canonical storage quantities.
void DefaultClaimSpec(JsonValue* spec, JsonAllocator& a) {
  if (!spec || !spec->IsObject()) return;
  if (!FindMember(*spec, "volumeMode")) SetString(*spec, "volumeMode", "Filesystem", a);
  if (JsonValue* resources = FindMember(*spec, "resources"); resources && resources->IsObject()) {
    CanonicalizeQuantityMap(FindMember(*resources, "requests"), a);
    CanonicalizeQuantityMap(FindMember(*resources, "limits"), a);
  }
}

// apps/v1 SetDefaults_Deployment, _StatefulSet, _DaemonSet, _ReplicaSet.
void DefaultAppsKind(const std::string& kind, JsonValue& object, JsonAllocator& a) {
  if (kind == "Deployment") {
    DefaultInt(object, "spec.replicas", 1, a);
    DefaultInt(object, "spec.revisionHistoryLimit", 10, a);
    DefaultInt(object, "spec.progressDeadlineSeconds", 600, a);
    DefaultString(object, "spec.strategy.type", "RollingUpdate", a);
    if (GetString(object, "spec.strategy.type") == "RollingUpdate") {
      DefaultString(object, "spec.strategy.rollingUpdate.maxUnavailable", "25%", a);
      DefaultString(object, "spec.strategy.rollingUpdate.maxSurge", "25%", a);
    }
  } else if (kind == "StatefulSet") {
    DefaultInt(object, "spec.replicas", 1, a);
    DefaultString(object, "spec.podManagementPolicy", "OrderedReady", a);
    DefaultString(object, "spec.updateStrategy.type", "RollingUpdate", a);
    if (GetString(object, "spec.updateStrategy.type") == "RollingUpdate") {
      DefaultInt(object, "spec.updateStrategy.rollingUpdate.partition", 0, a);
    }
    DefaultInt(object, "spec.revisionHistoryLimit", 10, a);
    DefaultString(object, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted", "Retain", a);
    DefaultString(object, "spec.persistentVolumeClaimRetentionPolicy.whenScaled", "Retain", a);
    JsonValue* claims = FindMutable(object, "spec.volumeClaimTemplates");
    if (claims && claims->IsArray()) {
      for (auto& claim : claims->GetArray()) {
        if (claim.IsObject()) DefaultClaimSpec(FindMember(claim, "spec"), a);
      }
    }
  } else if (kind == "DaemonSet") {
    DefaultString(object, "spec.updateStrategy.type", "RollingUpdate", a);
    if (GetString(object, "spec.updateStrategy.type") == "RollingUpdate") {
      DefaultInt(object, "spec.updateStrategy.rollingUpdate.maxUnavailable", 1, a);
      DefaultInt(object, "spec.updateStrategy.rollingUpdate.maxSurge", 0, a);
    }
    DefaultInt(object, "spec.revisionHistoryLimit", 10, a);
  } else if (kind == "ReplicaSet") {
    DefaultInt(object, "spec.replicas", 1, a);
  }
}

// batch/v1 SetDefaults_Job, then (on create) the registry's generated selector: the Pods'
// controller-uid and job-name labels, selected by batch.kubernetes.io/controller-uid.
void DefaultJob(JsonValue& object, const JsonValue* old, JsonAllocator& a) {
  if (!Find(object, "spec.completions") && !Find(object, "spec.parallelism")) {
    DefaultInt(object, "spec.completions", 1, a);
  }
  DefaultInt(object, "spec.parallelism", 1, a);
  DefaultInt(object, "spec.backoffLimit",
             Find(object, "spec.backoffLimitPerIndex") ? 2147483647 : 6, a);
  DefaultString(object, "spec.completionMode", "NonIndexed", a);
  DefaultBool(object, "spec.suspend", false, a);
  DefaultBool(object, "spec.manualSelector", false, a);
  DefaultString(object, "spec.podReplacementPolicy",
                Find(object, "spec.podFailurePolicy") ? "Failed" : "TerminatingOrFailed", a);
  const JsonValue* template_labels = Find(object, "spec.template.metadata.labels");
  const JsonValue* labels = Find(object, "metadata.labels");
  if (template_labels && template_labels->IsObject() &&
      !(labels && labels->IsObject() && labels->MemberCount() > 0)) {
    SetMember(EnsureObject(object, "metadata", a), "labels", JsonValue(*template_labels, a), a);
  }
  if (old || GetBool(object, "spec.manualSelector").value_or(false)) return;
  std::string uid = GetString(object, "metadata.uid");
  std::string name = GetString(object, "metadata.name");
  JsonValue& templ = EnsureObject(EnsureObject(object, "spec", a), "template", a);
  JsonValue& pod_labels = EnsureObject(EnsureObject(templ, "metadata", a), "labels", a);
  for (const char* key : {"controller-uid", "batch.kubernetes.io/controller-uid"}) {
    if (!FindMember(pod_labels, key)) SetString(pod_labels, key, uid, a);
  }
  for (const char* key : {"job-name", "batch.kubernetes.io/job-name"}) {
    if (!FindMember(pod_labels, key)) SetString(pod_labels, key, name, a);
  }
  JsonValue& match = EnsureObject(EnsureObject(object["spec"], "selector", a), "matchLabels", a);
  if (!FindMember(match, "batch.kubernetes.io/controller-uid")) {
    SetString(match, "batch.kubernetes.io/controller-uid", uid, a);
  }
}

// networking/v1 SetDefaults_NetworkPolicy and _NetworkPolicyPort.
void DefaultNetworkPolicy(JsonValue& object, JsonAllocator& a) {
  JsonValue& spec = EnsureObject(object, "spec", a);
  for (const char* direction : {"ingress", "egress"}) {
    JsonValue* rules = FindMember(spec, direction);
    if (!rules || !rules->IsArray()) continue;
    for (auto& rule : rules->GetArray()) {
      JsonValue* ports = rule.IsObject() ? FindMember(rule, "ports") : nullptr;
      if (!ports || !ports->IsArray()) continue;
      for (auto& port : ports->GetArray()) {
        if (port.IsObject() && !FindMember(port, "protocol")) SetString(port, "protocol", "TCP", a);
      }
    }
  }
  const JsonValue* types = FindMember(spec, "policyTypes");
  if (types && types->IsArray() && types->Size() > 0) return;
  const JsonValue* egress = FindMember(spec, "egress");
  bool has_egress = egress && egress->IsArray() && egress->Size() > 0;
  SetMember(spec, "policyTypes",
            has_egress ? StringList({"Ingress", "Egress"}, a) : StringList({"Ingress"}, a), a);
}

// rbac/v1 SetDefaults_RoleBinding/_ClusterRoleBinding and _Subject.
void DefaultRbac(JsonValue& object, JsonAllocator& a) {
  JsonValue* ref = FindMember(object, "roleRef");
  if (ref && ref->IsObject()) {
    const JsonValue* group = FindMember(*ref, "apiGroup");
    if (!group || View(*group).empty()) SetString(*ref, "apiGroup", "rbac.authorization.k8s.io", a);
  }
  JsonValue* subjects = FindMember(object, "subjects");
  if (!subjects || !subjects->IsArray()) return;
  for (auto& s : subjects->GetArray()) {
    if (!s.IsObject()) continue;
    std::string kind = GetString(s, "kind");
    const JsonValue* group = FindMember(s, "apiGroup");
    if ((kind == "User" || kind == "Group") && (!group || View(*group).empty())) {
      SetString(s, "apiGroup", "rbac.authorization.k8s.io", a);
    }
  }
}

// admissionregistration/v1 SetDefaults_ValidatingWebhook/_MutatingWebhook, _Rule and
// _ServiceReference.
void DefaultWebhooks(JsonValue& object, bool mutating, JsonAllocator& a) {
  JsonValue* hooks = FindMember(object, "webhooks");
  if (!hooks || !hooks->IsArray()) return;
  for (auto& hook : hooks->GetArray()) {
    if (!hook.IsObject()) continue;
    DefaultString(hook, "failurePolicy", "Fail", a);
    DefaultString(hook, "matchPolicy", "Equivalent", a);
    if (!FindMember(hook, "namespaceSelector")) {
      SetMember(hook, "namespaceSelector", JsonValue(rapidjson::kObjectType), a);
    }
    if (!FindMember(hook, "objectSelector")) {
      SetMember(hook, "objectSelector", JsonValue(rapidjson::kObjectType), a);
    }
    DefaultInt(hook, "timeoutSeconds", 10, a);
    if (mutating) DefaultString(hook, "reinvocationPolicy", "Never", a);
    if (JsonValue* rules = FindMember(hook, "rules"); rules && rules->IsArray()) {
      for (auto& rule : rules->GetArray()) {
        if (rule.IsObject()) DefaultString(rule, "scope", "*", a);
      }
    }
    JsonValue* service = FindMutable(hook, "clientConfig.service");
    if (service && service->IsObject()) DefaultInt(*service, "port", 443, a);
  }
}

const char* PodSpecPath(const ResourceType& t) {
  if (t.group == "" && t.kind == "Pod") return "spec";
  if (t.group == "batch" && t.kind == "CronJob") return "spec.jobTemplate.spec.template.spec";
  if ((t.group == "apps" && t.kind != "ControllerRevision") || Is(t, "batch", "Job") ||
      Is(t, "", "ReplicationController")) {
    return "spec.template.spec";
  }
  return nullptr;
}

void DefaultNamespace(JsonValue& obj, JsonAllocator& a) {
  std::string name = GetString(obj, "metadata.name");
  JsonValue& labels = EnsureObject(EnsureObject(obj, "metadata", a), "labels", a);
  SetString(labels, "kubernetes.io/metadata.name", name, a);
  if (!Find(obj, "spec.finalizers")) {
    JsonValue finalizers(rapidjson::kArrayType);
    finalizers.PushBack(Str("kubernetes", a), a);
    SetPath(obj, "spec.finalizers", std::move(finalizers), a);
  }
}

}  // namespace

void ApplyDefaults(const ResourceType& type, JsonValue& object, const JsonValue* old,
                   JsonAllocator& a) {
  if (!type.crd_name.empty()) return;
  if (const char* pod_spec = PodSpecPath(type)) {
    if (JsonValue* spec = FindMutable(object, pod_spec)) {
      DefaultPodSpec(*spec, Is(type, "", "Pod"), a);
    }
  }
  if (Is(type, "", "Namespace")) {
    DefaultNamespace(object, a);
  } else if (Is(type, "", "Service")) {
    DefaultService(object, old, a);
  } else if (Is(type, "", "Secret")) {
    DefaultString(object, "type", "Opaque", a);
    FoldStringData(object, a);
  } else if (Is(type, "", "PersistentVolumeClaim")) {
    DefaultClaimSpec(FindMutable(object, "spec"), a);
  } else if (Is(type, "", "ReplicationController")) {
    DefaultInt(object, "spec.replicas", 1, a);
  } else if (type.group == "apps") {
    DefaultAppsKind(type.kind, object, a);
  } else if (Is(type, "batch", "Job")) {
    DefaultJob(object, old, a);
  } else if (Is(type, "batch", "CronJob")) {
    DefaultString(object, "spec.concurrencyPolicy", "Allow", a);
    DefaultBool(object, "spec.suspend", false, a);
    DefaultInt(object, "spec.successfulJobsHistoryLimit", 3, a);
    DefaultInt(object, "spec.failedJobsHistoryLimit", 1, a);
  } else if (Is(type, "autoscaling", "HorizontalPodAutoscaler")) {
    DefaultInt(object, "spec.minReplicas", 1, a);
  } else if (Is(type, "networking.k8s.io", "NetworkPolicy")) {
    DefaultNetworkPolicy(object, a);
  } else if (type.group == "rbac.authorization.k8s.io") {
    DefaultRbac(object, a);
  } else if (type.group == "admissionregistration.k8s.io") {
    DefaultWebhooks(object, type.kind == "MutatingWebhookConfiguration", a);
  }
}

void ApplyInitialStatus(const ResourceType& type, JsonValue& object, JsonAllocator& a) {
  if (Is(type, "", "Namespace")) {
    SetPath(object, "status.phase", Str("Active", a), a);
  } else if (Is(type, "", "Pod")) {
    SetPath(object, "status.phase", Str("Pending", a), a);
  } else if (Is(type, "", "PersistentVolumeClaim")) {
    SetPath(object, "status.phase", Str("Pending", a), a);
  } else if (Is(type, "", "Service")) {
    SetPath(object, "status.loadBalancer", JsonValue(rapidjson::kObjectType), a);
  }
}

}  // namespace mlgitops::kubesim
