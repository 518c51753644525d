// core/v1 validation (pkg/apis/core/validation): Pod specs and templates, containers, volumes,
// resources, Services, ConfigMaps, Secrets, PersistentVolumeClaims, and object metadata.
#include <algorithm>
#include <cctype>
#include <set>

#include "kubesim/quantity.h"
#include "kubesim/validation_internal.h"

namespace mlgitops::kubesim {

namespace {

const char* const kPortRange = "must be between 1 and 65535, inclusive";
const std::vector<std::string> kProtocols = {"SCTP", "TCP", "UDP"};

bool IsInt(const JsonValue* v) { return v && (v->IsInt64() || v->IsUint64()); }

std::optional<Quantity> QuantityOf(const JsonValue& v) {
  std::string error;
  if (v.IsString()) return ParseQuantity(v.GetString(), &error);
  if (v.IsNumber()) return ParseQuantity(ToJson(v), &error);
  return std::nullopt;
}

bool StandardContainerResource(const std::string& name) {
  return name == "cpu" || name == "memory" || name == "ephemeral-storage" ||
         name.rfind("hugepages-", 0) == 0;
}

// ValidateContainerResourceRequirements: names, non-negative quantities, requests <= limits.
void ValidateResources(const JsonValue* resources, const std::string& path, FieldErrors* errors) {
  const JsonValue* limits = Member(resources, "limits");
  const JsonValue* requests = Member(resources, "requests");
  auto each = [&](const JsonValue* list, const std::string& list_path, bool is_request) {
    if (!list || !list->IsObject()) return;
    for (const auto& m : list->GetObject()) {
      std::string name(View(m.name));
      std::string field = Key(list_path, name);
      if (name.find('/') == std::string::npos && !StandardContainerResource(name)) {
        errors->InvalidString(field, name, "must be a standard resource for containers");
      }
      auto q = QuantityOf(m.value);
      if (!q) continue;
      if (q->Negative()) {
        errors->InvalidString(field, q->Canonical(), "must be greater than or equal to 0");
      }
      if (!is_request || !limits || !limits->IsObject()) continue;
      const JsonValue* limit = FindMember(*limits, name);
      if (!limit) continue;
      auto lq = QuantityOf(*limit);
      if (lq && q->Compare(*lq) > 0) {
        errors->InvalidString(
            list_path, q->Canonical(),
            "must be less than or equal to " + name + " limit of " + lq->Canonical());
      }
    }
  };
  each(limits, Child(path, "limits"), false);
  each(requests, Child(path, "requests"), true);
}

void ValidatePorts(const JsonValue* ports, const std::string& path, FieldErrors* errors) {
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < Count(ports); ++i) {
    const JsonValue& p = (*ports)[i];
    std::string at = Index(path, i);
    std::string name = MemberStr(&p, "name");
    if (!name.empty()) {
      auto reasons = PortNameErrors(name);
      if (!reasons.empty()) {
        AddInvalidReasons(errors, Child(at, "name"), name, reasons);
      } else if (!names.insert(name).second) {
        errors->Duplicate(Child(at, "name"), QuotedText(name));
      }
    }
    const JsonValue* number = Member(&p, "containerPort");
    if (!number || (IsInt(number) && number->GetInt64() == 0)) {
      errors->Required(Child(at, "containerPort"));
    } else if (IsInt(number) && (number->GetInt64() < 1 || number->GetInt64() > 65535)) {
      errors->InvalidValue(Child(at, "containerPort"), number, kPortRange);
    }
    const JsonValue* host = Member(&p, "hostPort");
    if (IsInt(host) && host->GetInt64() != 0 &&
        (host->GetInt64() < 1 || host->GetInt64() > 65535)) {
      errors->InvalidValue(Child(at, "hostPort"), host, kPortRange);
    }
    Enum(&p, "protocol", at, kProtocols, true, errors);
  }
}

void ValidateEnv(const JsonValue* env, const std::string& path, FieldErrors* errors) {
  for (rapidjson::SizeType i = 0; i < Count(env); ++i) {
    const JsonValue& e = (*env)[i];
    std::string at = Child(Index(path, i), "name");
    std::string name = MemberStr(&e, "name");
    if (name.empty()) {
      errors->Required(at);
      continue;
    }
    AddInvalidReasons(errors, at, name, EnvVarNameErrors(name));
    const JsonValue* value = Member(&e, "value");
    if (Member(&e, "valueFrom") && value && value->IsString() && value->GetStringLength() > 0) {
      errors->Invalid(Child(Index(path, i), "valueFrom"), "\"\"",
                      "may not be specified when `value` is not empty");
    }
  }
}

void ValidateVolumeMounts(const JsonValue* mounts, const std::set<std::string>& volumes,
                          const std::string& path, FieldErrors* errors) {
  std::set<std::string> paths;
  for (rapidjson::SizeType i = 0; i < Count(mounts); ++i) {
    const JsonValue& m = (*mounts)[i];
    std::string at = Index(path, i);
    std::string name = MemberStr(&m, "name");
    if (name.empty()) {
      errors->Required(Child(at, "name"));
    } else if (!volumes.count(name)) {
      errors->NotFound(Child(at, "name"), QuotedText(name));
    }
    std::string mount_path = MemberStr(&m, "mountPath");
    if (mount_path.empty()) {
      errors->Required(Child(at, "mountPath"));
    } else if (!paths.insert(mount_path).second) {
      errors->InvalidString(Child(at, "mountPath"), mount_path, "must be unique");
    }
  }
}

// validateContainerCommon plus the resource and mount checks of ValidateContainers.
void ValidateContainer(const JsonValue& c, const std::set<std::string>& volumes,
                       const std::string& at, FieldErrors* errors) {
  std::string name = MemberStr(&c, "name");
  if (name.empty()) {
    errors->Required(Child(at, "name"));
  } else {
    AddInvalidReasons(errors, Child(at, "name"), name, Dns1123LabelErrors(name));
  }
  if (MemberStr(&c, "image").empty()) errors->Required(Child(at, "image"));
  Enum(&c, "terminationMessagePolicy", at, {"File", "FallbackToLogsOnError"}, true, errors);
  ValidatePorts(Member(&c, "ports"), Child(at, "ports"), errors);
  ValidateEnv(Member(&c, "env"), Child(at, "env"), errors);
  Enum(&c, "imagePullPolicy", at, {"Always", "IfNotPresent", "Never"}, true, errors);
  ValidateVolumeMounts(Member(&c, "volumeMounts"), volumes, Child(at, "volumeMounts"), errors);
  ValidateResources(Member(&c, "resources"), Child(at, "resources"), errors);
}

void ValidateContainerList(const JsonValue* list, const std::string& path, bool required,
                           const std::set<std::string>& volumes, std::set<std::string>* names,
                           FieldErrors* errors) {
  if (required && Count(list) == 0) errors->Required(path);
  for (rapidjson::SizeType i = 0; i < Count(list); ++i) {
    const JsonValue& c = (*list)[i];
    std::string at = Index(path, i);
    ValidateContainer(c, volumes, at, errors);
    std::string name = MemberStr(&c, "name");
    if (!names->insert(name).second) errors->Duplicate(Child(at, "name"), QuotedText(name));
  }
}

std::set<std::string> ValidateVolumes(const JsonValue* volumes, const std::string& path,
                                      FieldErrors* errors) {
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < Count(volumes); ++i) {
    const JsonValue& v = (*volumes)[i];
    std::string at = Child(Index(path, i), "name");
    std::string name = MemberStr(&v, "name");
    if (name.empty()) {
      errors->Required(at);
    } else {
      AddInvalidReasons(errors, at, name, Dns1123LabelErrors(name));
    }
    if (!names.insert(name).second) errors->Duplicate(at, QuotedText(name));
    if (const JsonValue* pvc = Member(&v, "persistentVolumeClaim")) {
      if (MemberStr(pvc, "claimName").empty()) {
        errors->Required(Child(Index(path, i), "persistentVolumeClaim.claimName"));
      }
    }
    if (const JsonValue* cm = Member(&v, "configMap"); cm && MemberStr(cm, "name").empty()) {
      errors->Required(Child(Index(path, i), "configMap.name"));
    }
    if (const JsonValue* s = Member(&v, "secret"); s && MemberStr(s, "secretName").empty()) {
      errors->Required(Child(Index(path, i), "secret.secretName"));
    }
  }
  return names;
}

std::string ServicePortNameOrNumberCheck(const JsonValue* target, const std::string& at,
                                         FieldErrors* errors) {
  if (IsInt(target)) {
    if (target->GetInt64() < 1 || target->GetInt64() > 65535) {
      errors->InvalidValue(at, target, kPortRange);
    }
  } else if (target && target->IsString()) {
    std::string name = target->GetString();
    if (name.empty()) {
      errors->Required(at);
    } else {
      AddInvalidReasons(errors, at, name, PortNameErrors(name));
    }
  }
  return "";
}

// ValidateService (create): ports, type, session affinity, selector.
void ValidateService(const JsonValue& object, FieldErrors* errors) {
  const JsonValue* spec = Member(&object, "spec");
  std::string type = MemberStr(spec, "type");
  bool headless = MemberStr(spec, "clusterIP") == "None";
  const JsonValue* ports = Member(spec, "ports");
  if (Count(ports) == 0 && !headless && type != "ExternalName") errors->Required("spec.ports");
  if (type == "ExternalName") {
    std::string external = MemberStr(spec, "externalName");
    if (external.empty()) {
      errors->Required("spec.externalName");
    } else {
      AddInvalidReasons(errors, "spec.externalName", external, Dns1123SubdomainErrors(external));
    }
  }
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < Count(ports); ++i) {
    const JsonValue& p = (*ports)[i];
    std::string at = Index("spec.ports", i);
    std::string name = MemberStr(&p, "name");
    if (Count(ports) > 1 && name.empty()) {
      errors->Required(Child(at, "name"));
    } else if (!name.empty()) {
      AddInvalidReasons(errors, Child(at, "name"), name, Dns1123LabelErrors(name));
      if (!names.insert(name).second) errors->Duplicate(Child(at, "name"), QuotedText(name));
    }
    const JsonValue* port = Member(&p, "port");
    int64_t number = IsInt(port) ? port->GetInt64() : 0;
    if (number < 1 || number > 65535) {
      errors->Invalid(Child(at, "port"), std::to_string(number), kPortRange);
    }
    Enum(&p, "protocol", at, kProtocols, true, errors);
    ServicePortNameOrNumberCheck(Member(&p, "targetPort"), Child(at, "targetPort"), errors);
    if (Member(&p, "nodePort") && (type == "ClusterIP" || type.empty())) {
      errors->Forbidden(Child(at, "nodePort"), "may not be used when `type` is 'ClusterIP'");
    }
  }
  ValidateLabelMap(Member(spec, "selector"), "spec.selector", errors);
  Enum(spec, "sessionAffinity", "spec", {"ClientIP", "None"}, true, errors);
  Enum(spec, "type", "spec", {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}, true,
       errors);
}

void ValidateDataKeys(const JsonValue& object, const char* member, FieldErrors* errors) {
  const JsonValue* data = Member(&object, member);
  if (!data || !data->IsObject()) return;
  for (const auto& m : data->GetObject()) {
    std::string key(View(m.name));
    AddInvalidReasons(errors, Key(member, key), key, ConfigMapKeyErrors(key));
  }
}

void ValidateConfigMap(const JsonValue& object, FieldErrors* errors) {
  ValidateDataKeys(object, "data", errors);
  ValidateDataKeys(object, "binaryData", errors);
  const JsonValue* data = Member(&object, "data");
  const JsonValue* binary = Member(&object, "binaryData");
  if (!data || !binary || !data->IsObject() || !binary->IsObject()) return;
  for (const auto& m : binary->GetObject()) {
    std::string key(View(m.name));
    if (FindMember(*data, key)) {
      errors->InvalidString(Key("binaryData", key), key, "duplicate of key present in data");
    }
  }
}

// ValidateSecret: data keys and the keys each built-in type requires.
void ValidateSecret(const JsonValue& object, FieldErrors* errors) {
  ValidateDataKeys(object, "data", errors);
  const JsonValue* data = Member(&object, "data");
  auto has = [&](const char* key) {
    const JsonValue* v = Member(data, key);
    return v && v->IsString() && v->GetStringLength() > 0;
  };
  std::string type = MemberStr(&object, "type");
  if (type == "kubernetes.io/service-account-token") {
    const JsonValue* annotations = Find(object, "metadata.annotations");
    if (MemberStr(annotations, "kubernetes.io/service-account.name").empty()) {
      errors->Required("metadata.annotations[kubernetes.io/service-account.name]");
    }
  } else if (type == "kubernetes.io/dockercfg") {
    if (!has(".dockercfg")) errors->Required("data[.dockercfg]");
  } else if (type == "kubernetes.io/dockerconfigjson") {
    if (!has(".dockerconfigjson")) errors->Required("data[.dockerconfigjson]");
  } else if (type == "kubernetes.io/basic-auth") {
    if (!has("username") && !has("password")) errors->Required("data[username]");
  } else if (type == "kubernetes.io/ssh-auth") {
    if (!has("ssh-privatekey")) errors->Required("data[ssh-privatekey]");
  } else if (type == "kubernetes.io/tls") {
    if (!Member(data, "tls.crt")) errors->Required("data[tls.crt]");
    if (!Member(data, "tls.key")) errors->Required("data[tls.key]");
  }
}

}  // namespace

void NonNegative(const JsonValue* parent, const char* key, const std::string& path,
                 FieldErrors* errors) {
  const JsonValue* v = Member(parent, key);
  if (IsInt(v) && v->GetInt64() < 0) {
    errors->InvalidValue(Child(path, key), v, "must be greater than or equal to 0");
  }
}

void Enum(const JsonValue* parent, const char* key, const std::string& path,
          const std::vector<std::string>& supported, bool required, FieldErrors* errors) {
  const JsonValue* v = Member(parent, key);
  if (!v || (v->IsString() && v->GetStringLength() == 0)) {
    if (required) errors->Required(Child(path, key));
    return;
  }
  std::string value = v->IsString() ? v->GetString() : ToJson(*v);
  if (std::find(supported.begin(), supported.end(), value) == supported.end()) {
    errors->NotSupported(Child(path, key), value, supported);
  }
}

void ValidateMetaLabels(const JsonValue* meta, const std::string& path, FieldErrors* errors) {
  ValidateLabelMap(Member(meta, "labels"), Child(path, "labels"), errors);
  const JsonValue* annotations = Member(meta, "annotations");
  if (!annotations || !annotations->IsObject()) return;
  for (const auto& m : annotations->GetObject()) {
    std::string key(View(m.name));
    std::string lower = key;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    AddInvalidReasons(errors, Child(path, "annotations"), key, QualifiedNameErrors(lower));
  }
}

void ValidatePodSpec(const JsonValue* spec, const std::string& path, FieldErrors* errors) {
  std::set<std::string> volumes =
      ValidateVolumes(Member(spec, "volumes"), Child(path, "volumes"), errors);
  std::set<std::string> names;
  ValidateContainerList(Member(spec, "containers"), Child(path, "containers"), true, volumes,
                        &names, errors);
  ValidateContainerList(Member(spec, "initContainers"), Child(path, "initContainers"), false,
                        volumes, &names, errors);
  Enum(spec, "restartPolicy", path, {"Always", "OnFailure", "Never"}, true, errors);
  Enum(spec, "dnsPolicy", path, {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"},
       true, errors);
  ValidateLabelMap(Member(spec, "nodeSelector"), Child(path, "nodeSelector"), errors);
  std::string account = MemberStr(spec, "serviceAccountName");
  if (!account.empty()) {
    AddInvalidReasons(errors, Child(path, "serviceAccountName"), account,
                      Dns1123SubdomainErrors(account));
  }
  const JsonValue* deadline = Member(spec, "activeDeadlineSeconds");
  if (IsInt(deadline) && (deadline->GetInt64() < 1 || deadline->GetInt64() > 4294967295LL)) {
    errors->InvalidValue(Child(path, "activeDeadlineSeconds"), deadline,
                         "must be between 1 and 4294967295, inclusive");
  }
  for (const char* dns : {"hostname", "subdomain"}) {
    std::string value = MemberStr(spec, dns);
    if (!value.empty()) {
      AddInvalidReasons(errors, Child(path, dns), value, Dns1123LabelErrors(value));
    }
  }
  NonNegative(spec, "terminationGracePeriodSeconds", path, errors);
}

void ValidatePodTemplate(const JsonValue* templ, const std::string& path, FieldErrors* errors) {
  ValidateMetaLabels(Member(templ, "metadata"), Child(path, "metadata"), errors);
  ValidatePodSpec(Member(templ, "spec"), Child(path, "spec"), errors);
}

void ValidatePvcSpec(const JsonValue* spec, const std::string& path, FieldErrors* errors) {
  const JsonValue* modes = Member(spec, "accessModes");
  if (Count(modes) == 0) {
    errors->Required(Child(path, "accessModes"), "at least 1 access mode is required");
  }
  ValidateLabelSelector(Member(spec, "selector"), Child(path, "selector"), errors);
  const std::vector<std::string> supported = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                              "ReadWriteOncePod"};
  for (rapidjson::SizeType i = 0; i < Count(modes); ++i) {
    std::string mode = (*modes)[i].IsString() ? (*modes)[i].GetString() : "";
    if (std::find(supported.begin(), supported.end(), mode) == supported.end()) {
      errors->NotSupported(Child(path, "accessModes"), mode, supported);
    }
  }
  const JsonValue* storage = Member(Member(Member(spec, "resources"), "requests"), "storage");
  std::string field = Key(Child(path, "resources"), "storage");
  if (!storage) {
    errors->Required(field);
  } else if (auto q = QuantityOf(*storage); q && q->nanos <= 0) {
    errors->InvalidString(field, q->Canonical(), "must be greater than zero");
  }
  Enum(spec, "volumeMode", path, {"Block", "Filesystem"}, false, errors);
}

bool ValidateCoreKind(const std::string& kind, const JsonValue& object, FieldErrors* errors) {
  if (kind == "Pod") {
    ValidatePodSpec(Member(&object, "spec"), "spec", errors);
  } else if (kind == "PodTemplate") {
    ValidatePodTemplate(Member(&object, "template"), "template", errors);
  } else if (kind == "ReplicationController") {
    const JsonValue* spec = Member(&object, "spec");
    NonNegative(spec, "replicas", "spec", errors);
    ValidatePodTemplate(Member(spec, "template"), "spec.template", errors);
  } else if (kind == "Service") {
    ValidateService(object, errors);
  } else if (kind == "ConfigMap") {
    ValidateConfigMap(object, errors);
  } else if (kind == "Secret") {
    ValidateSecret(object, errors);
  } else if (kind == "PersistentVolumeClaim") {
    ValidatePvcSpec(Member(&object, "spec"), "spec", errors);
  } else if (kind != "Namespace" && kind != "ServiceAccount") {
    return false;
  }
  return true;
}

}  // namespace mlgitops::kubesim
