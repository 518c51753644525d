// Pod spec defaulting (pkg/apis/core/v1/defaults.go: SetDefaults_PodSpec, _Container, _Probe,
// _Volume, ...) and the canonical form of resource quantities, shared by Pods and every kind
// that carries a pod template or claims.
#include "kubesim/defaults.h"
#include "kubesim/json_util.h"
#include "kubesim/quantity.h"

namespace mlgitops::kubesim {

namespace {

void Default(JsonValue& obj, const char* key, JsonValue value, JsonAllocator& a) {
  if (obj.IsObject() && !FindMember(obj, key)) SetMember(obj, key, std::move(value), a);
}
void DefaultStr(JsonValue& obj, const char* key, const char* value, JsonAllocator& a) {
  Default(obj, key, Str(value, a), a);
}
void DefaultNum(JsonValue& obj, const char* key, int64_t value, JsonAllocator& a) {
  Default(obj, key, JsonValue(value), a);
}

// SetDefaults_Container's pull policy: Always for ":latest" or an untagged image (a digest
// pins the image), IfNotPresent otherwise.
const char* PullPolicyFor(const std::string& image) {
  if (image.empty()) return "IfNotPresent";  // unparsable: no "latest" tag
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!tagged || image.substr(colon + 1) == "latest") return "Always";
  return "IfNotPresent";
}

void DefaultProbe(JsonValue* probe, JsonAllocator& a) {
  if (!probe || !probe->IsObject()) return;
  DefaultNum(*probe, "timeoutSeconds", 1, a);
  DefaultNum(*probe, "periodSeconds", 10, a);
  DefaultNum(*probe, "successThreshold", 1, a);
  DefaultNum(*probe, "failureThreshold", 3, a);
  if (JsonValue* http = FindMember(*probe, "httpGet"); http && http->IsObject()) {
    DefaultStr(*http, "path", "/", a);
    DefaultStr(*http, "scheme", "HTTP", a);
  }
}

void DefaultContainer(JsonValue& c, bool is_pod, JsonAllocator& a) {
  if (!c.IsObject()) return;
  DefaultStr(c, "terminationMessagePath", "/dev/termination-log", a);
  DefaultStr(c, "terminationMessagePolicy", "File", a);
  const JsonValue* image = FindMember(c, "image");
  DefaultStr(c, "imagePullPolicy",
             image && image->IsString() ? PullPolicyFor(image->GetString()) : "IfNotPresent", a);
  if (JsonValue* ports = FindMember(c, "ports"); ports && ports->IsArray()) {
    for (auto& port : ports->GetArray()) DefaultStr(port, "protocol", "TCP", a);
  }
  if (JsonValue* env = FindMember(c, "env"); env && env->IsArray()) {
    for (auto& e : env->GetArray()) {
      JsonValue* ref = e.IsObject() ? FindMutable(e, "valueFrom.fieldRef") : nullptr;
      if (ref && ref->IsObject()) DefaultStr(*ref, "apiVersion", "v1", a);
    }
  }
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    DefaultProbe(FindMember(c, probe), a);
  }
  // SetDefaults_Pod (Pods only, not templates): requests default to the limits.
  JsonValue* resources = FindMember(c, "resources");
  if (is_pod && resources && resources->IsObject()) {
    const JsonValue* limits = FindMember(*resources, "limits");
    if (limits && limits->IsObject() && limits->MemberCount() > 0) {
      JsonValue& requests = EnsureObject(*resources, "requests", a);
      for (const auto& m : limits->GetObject()) {
        if (!FindMember(requests, View(m.name))) {
          SetMember(requests, View(m.name), JsonValue(m.value, a), a);
        }
      }
    }
  }
}

void DefaultVolume(JsonValue& v, JsonAllocator& a) {
  if (!v.IsObject()) return;
  bool has_source = false;
  for (const auto& m : v.GetObject()) has_source = has_source || View(m.name) != "name";
  if (!has_source) SetMember(v, "emptyDir", JsonValue(rapidjson::kObjectType), a);
  for (const char* source : {"secret", "configMap", "projected", "downwardAPI"}) {
    JsonValue* s = FindMember(v, source);
    if (s && s->IsObject()) DefaultNum(*s, "defaultMode", 420, a);
  }
}

}  // namespace

void DefaultPodSpec(JsonValue& spec, bool is_pod, JsonAllocator& a) {
  if (!spec.IsObject()) return;
  DefaultStr(spec, "restartPolicy", "Always", a);
  DefaultStr(spec, "dnsPolicy", "ClusterFirst", a);
  DefaultStr(spec, "schedulerName", "default-scheduler", a);
  DefaultNum(spec, "terminationGracePeriodSeconds", 30, a);
  Default(spec, "securityContext", JsonValue(rapidjson::kObjectType), a);
  if (is_pod) Default(spec, "enableServiceLinks", JsonValue(true), a);
  for (const char* list : {"containers", "initContainers"}) {
    JsonValue* containers = FindMember(spec, list);
    if (!containers || !containers->IsArray()) continue;
    for (auto& c : containers->GetArray()) DefaultContainer(c, is_pod, a);
  }
  if (JsonValue* volumes = FindMember(spec, "volumes"); volumes && volumes->IsArray()) {
    for (auto& v : volumes->GetArray()) DefaultVolume(v, a);
  }
  CanonicalizePodQuantities(spec, a);
}

void CanonicalizeQuantityMap(JsonValue* map, JsonAllocator& a) {
  if (!map || !map->IsObject()) return;
  for (auto& m : map->GetObject()) {
    std::string text = m.value.IsString()   ? m.value.GetString()
                       : m.value.IsNumber() ? ToJson(m.value)
                                            : "";
    std::string error;
    auto q = text.empty() ? std::nullopt : ParseQuantity(text, &error);
    if (q) m.value = Str(q->Canonical(), a);
  }
}

void CanonicalizePodQuantities(JsonValue& spec, JsonAllocator& a) {
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
    JsonValue* containers = FindMember(spec, list);
    if (!containers || !containers->IsArray()) continue;
    for (auto& c : containers->GetArray()) {
      JsonValue* resources = c.IsObject() ? FindMember(c, "resources") : nullptr;
      if (!resources || !resources->IsObject()) continue;
      CanonicalizeQuantityMap(FindMember(*resources, "limits"), a);
      CanonicalizeQuantityMap(FindMember(*resources, "requests"), a);
    }
  }
  CanonicalizeQuantityMap(FindMember(spec, "overhead"), a);
  if (JsonValue* volumes = FindMember(spec, "volumes"); volumes && volumes->IsArray()) {
    for (auto& v : volumes->GetArray()) {
      JsonValue* empty_dir = v.IsObject() ? FindMember(v, "emptyDir") : nullptr;
      if (!empty_dir || !empty_dir->IsObject()) continue;
      JsonValue* size = FindMember(*empty_dir, "sizeLimit");
      std::string error;
      if (size && size->IsString()) {
        if (auto q = ParseQuantity(size->GetString(), &error)) *size = Str(q->Canonical(), a);
      }
    }
  }
}

}  // namespace mlgitops::kubesim
