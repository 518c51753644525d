// Defaulting rules, kept to what kubectl output and controllers visibly depend on.
#include "kubesim/defaults.h"

#include <atomic>

#include "kubesim/json_util.h"

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
  if (GetString(obj, "spec.type") == "ExternalName") return;
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

// Container ports default to TCP (describe prints "8080/TCP"; port list keys include it).
void DefaultPodSpec(JsonValue& obj, const char* spec_path, JsonAllocator& a) {
  JsonValue* spec = FindMutable(obj, spec_path);
  if (!spec || !spec->IsObject()) return;
  for (const char* list : {"containers", "initContainers"}) {
    JsonValue* containers = FindMember(*spec, list);
    if (!containers || !containers->IsArray()) continue;
    for (auto& container : containers->GetArray()) {
      JsonValue* ports = FindMember(container, "ports");
      if (!ports || !ports->IsArray()) continue;
      for (auto& port : ports->GetArray()) {
        if (port.IsObject() && !FindMember(port, "protocol")) SetString(port, "protocol", "TCP", a);
      }
    }
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
  if (const char* pod_spec = PodSpecPath(type)) DefaultPodSpec(object, pod_spec, a);
  if (Is(type, "", "Namespace")) {
    DefaultNamespace(object, a);
  } else if (Is(type, "", "Service")) {
    DefaultService(object, old, a);
  } else if (Is(type, "apps", "Deployment")) {
    DefaultInt(object, "spec.replicas", 1, a);
    DefaultInt(object, "spec.revisionHistoryLimit", 10, a);
    DefaultInt(object, "spec.progressDeadlineSeconds", 600, a);
    DefaultString(object, "spec.strategy.type", "RollingUpdate", a);
    if (GetString(object, "spec.strategy.type") == "RollingUpdate") {
      DefaultString(object, "spec.strategy.rollingUpdate.maxUnavailable", "25%", a);
      DefaultString(object, "spec.strategy.rollingUpdate.maxSurge", "25%", a);
    }
  } else if (Is(type, "apps", "StatefulSet") || Is(type, "apps", "ReplicaSet")) {
    DefaultInt(object, "spec.replicas", 1, a);
  } else if (Is(type, "batch", "Job")) {
    DefaultInt(object, "spec.backoffLimit", 6, a);
    if (!Find(object, "spec.completionMode"))
      DefaultString(object, "spec.completionMode", "NonIndexed", a);
  } else if (Is(type, "", "Secret")) {
    DefaultString(object, "type", "Opaque", a);
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
