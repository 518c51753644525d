// rbac, networking.k8s.io, scheduling.k8s.io and admissionregistration.k8s.io validation: rules
// with verbs and API groups, role references and subjects, Ingress and NetworkPolicy shapes,
// PriorityClass values, and webhook configurations.
#include <set>

#include "kubesim/validation_internal.h"

namespace mlgitops::kubesim {

namespace {

bool IsInt(const JsonValue* v) { return v && (v->IsInt64() || v->IsUint64()); }

std::vector<std::string> Strings(const JsonValue* list) {
  std::vector<std::string> out;
  for (rapidjson::SizeType i = 0; i < Count(list); ++i) {
    out.push_back((*list)[i].IsString() ? (*list)[i].GetString() : "");
  }
  return out;
}

// ValidatePolicyRule.
void ValidateRules(const JsonValue& object, bool namespaced, FieldErrors* errors) {
  const JsonValue* rules = Member(&object, "rules");
  for (rapidjson::SizeType i = 0; i < Count(rules); ++i) {
    const JsonValue* rule = &(*rules)[i];
    std::string at = Index("rules", i);
    if (Count(Member(rule, "verbs")) == 0) {
      errors->Required(Child(at, "verbs"), "verbs must contain at least one value");
    }
    const JsonValue* urls = Member(rule, "nonResourceURLs");
    if (Count(urls) > 0) {
      if (namespaced) {
        errors->InvalidValue(Child(at, "nonResourceURLs"), urls,
                             "namespaced rules cannot apply to non-resource URLs");
      }
      if (Count(Member(rule, "apiGroups")) || Count(Member(rule, "resources")) ||
          Count(Member(rule, "resourceNames"))) {
        errors->InvalidValue(Child(at, "nonResourceURLs"), urls,
                             "rules cannot apply to both regular resources and non-resource URLs");
      }
      continue;
    }
    if (Count(Member(rule, "apiGroups")) == 0) {
      errors->Required(Child(at, "apiGroups"), "resource rules must supply at least one api group");
    }
    if (Count(Member(rule, "resources")) == 0) {
      errors->Required(Child(at, "resources"), "resource rules must supply at least one resource");
    }
  }
}

// ValidateRoleBinding / ValidateClusterRoleBinding: roleRef and subjects.
void ValidateBinding(const JsonValue& object, bool namespaced, FieldErrors* errors) {
  const JsonValue* ref = Member(&object, "roleRef");
  std::string group = MemberStr(ref, "apiGroup");
  if (group != "rbac.authorization.k8s.io") {
    errors->NotSupported("roleRef.apiGroup", group, {"rbac.authorization.k8s.io"});
  }
  std::string kind = MemberStr(ref, "kind");
  if (namespaced && kind != "Role" && kind != "ClusterRole") {
    errors->NotSupported("roleRef.kind", kind, {"Role", "ClusterRole"});
  } else if (!namespaced && kind != "ClusterRole") {
    errors->NotSupported("roleRef.kind", kind, {"ClusterRole"});
  }
  if (MemberStr(ref, "name").empty()) errors->Required("roleRef.name");
  const JsonValue* subjects = Member(&object, "subjects");
  for (rapidjson::SizeType i = 0; i < Count(subjects); ++i) {
    const JsonValue* s = &(*subjects)[i];
    std::string at = Index("subjects", i);
    if (MemberStr(s, "name").empty()) errors->Required(Child(at, "name"));
    std::string subject_kind = MemberStr(s, "kind");
    std::string api_group = MemberStr(s, "apiGroup");
    if (subject_kind == "ServiceAccount") {
      if (!api_group.empty()) errors->NotSupported(Child(at, "apiGroup"), api_group, {""});
      if (!namespaced && MemberStr(s, "namespace").empty()) {
        errors->Required(Child(at, "namespace"));
      }
    } else if (subject_kind == "User" || subject_kind == "Group") {
      if (api_group != "rbac.authorization.k8s.io") {
        errors->NotSupported(Child(at, "apiGroup"), api_group, {"rbac.authorization.k8s.io"});
      }
    } else {
      errors->NotSupported(Child(at, "kind"), subject_kind, {"ServiceAccount", "User", "Group"});
    }
  }
}

void ValidateBackend(const JsonValue* backend, const std::string& at, FieldErrors* errors) {
  const JsonValue* service = Member(backend, "service");
  const JsonValue* resource = Member(backend, "resource");
  if (service && resource) {
    errors->Invalid(at, "\"\"", "cannot set both resource and service backends");
  } else if (!service && !resource) {
    errors->Invalid(at, "\"\"", "one backend type must be specified");
  }
  if (!service) return;
  std::string name = MemberStr(service, "name");
  if (name.empty()) {
    errors->Required(Child(at, "service.name"));
  } else {
    AddInvalidReasons(errors, Child(at, "service.name"), name, Dns1035LabelErrors(name));
  }
  const JsonValue* port = Member(service, "port");
  bool has_name = !MemberStr(port, "name").empty();
  bool has_number = Member(port, "number") != nullptr;
  if (has_name && has_number) {
    errors->Invalid(Child(at, "service.port"), "\"\"", "cannot set both port name & port number");
  } else if (!has_name && !has_number) {
    errors->Invalid(Child(at, "service.port"), "\"\"", "port name or number is required");
  }
}

// ValidateIngressSpec.
void ValidateIngress(const JsonValue& object, FieldErrors* errors) {
  const JsonValue* spec = Member(&object, "spec");
  const JsonValue* rules = Member(spec, "rules");
  const JsonValue* fallback = Member(spec, "defaultBackend");
  if (Count(rules) == 0 && !fallback) {
    errors->InvalidValue("spec", rules, "either `defaultBackend` or `rules` must be specified");
  }
  if (fallback) ValidateBackend(fallback, "spec.defaultBackend", errors);
  for (rapidjson::SizeType i = 0; i < Count(rules); ++i) {
    const JsonValue* rule = &(*rules)[i];
    std::string at = Index("spec.rules", i);
    std::string host = MemberStr(rule, "host");
    if (!host.empty()) {
      std::string check = host.rfind("*.", 0) == 0 ? host.substr(2) : host;
      AddInvalidReasons(errors, Child(at, "host"), host, Dns1123SubdomainErrors(check));
    }
    const JsonValue* http = Member(rule, "http");
    if (!http) continue;
    const JsonValue* paths = Member(http, "paths");
    if (Count(paths) == 0) errors->Required(Child(at, "http.paths"));
    for (rapidjson::SizeType j = 0; j < Count(paths); ++j) {
      const JsonValue* p = &(*paths)[j];
      std::string path_at = Index(Child(at, "http.paths"), j);
      std::string type = MemberStr(p, "pathType");
      std::string path = MemberStr(p, "path");
      if (type.empty()) {
        errors->Required(Child(path_at, "pathType"), "pathType must be specified");
      } else if (type != "Exact" && type != "Prefix" && type != "ImplementationSpecific") {
        errors->NotSupported(Child(path_at, "pathType"), type,
                             {"Exact", "ImplementationSpecific", "Prefix"});
      } else if (type != "ImplementationSpecific" && (path.empty() || path[0] != '/')) {
        errors->InvalidString(Child(path_at, "path"), path, "must be an absolute path");
      }
      ValidateBackend(Member(p, "backend"), Child(path_at, "backend"), errors);
    }
  }
}

void ValidateNetworkPolicyPorts(const JsonValue* ports, const std::string& path,
                                FieldErrors* errors) {
  for (rapidjson::SizeType i = 0; i < Count(ports); ++i) {
    const JsonValue* p = &(*ports)[i];
    std::string at = Index(path, i);
    Enum(p, "protocol", at, {"SCTP", "TCP", "UDP"}, false, errors);
    const JsonValue* port = Member(p, "port");
    if (IsInt(port) && (port->GetInt64() < 1 || port->GetInt64() > 65535)) {
      errors->InvalidValue(Child(at, "port"), port, "must be between 1 and 65535, inclusive");
    } else if (port && port->IsString()) {
      AddInvalidReasons(errors, Child(at, "port"), port->GetString(),
                        PortNameErrors(port->GetString()));
    }
  }
}

void ValidatePeers(const JsonValue* peers, const std::string& path, FieldErrors* errors) {
  for (rapidjson::SizeType i = 0; i < Count(peers); ++i) {
    const JsonValue* peer = &(*peers)[i];
    std::string at = Index(path, i);
    int count = 0;
    if (const JsonValue* s = Member(peer, "podSelector")) {
      ++count;
      ValidateLabelSelector(s, Child(at, "podSelector"), errors);
    }
    if (const JsonValue* s = Member(peer, "namespaceSelector")) {
      ++count;
      ValidateLabelSelector(s, Child(at, "namespaceSelector"), errors);
    }
    if (const JsonValue* block = Member(peer, "ipBlock")) {
      if (count > 0) {
        errors->Forbidden(at, "may not specify both ipBlock and another peer");
      }
      ++count;
      if (MemberStr(block, "cidr").empty()) errors->Required(Child(at, "ipBlock.cidr"));
    }
    if (count == 0) errors->Required(at, "must specify a peer");
  }
}

// ValidateNetworkPolicySpec.
void ValidateNetworkPolicy(const JsonValue& object, FieldErrors* errors) {
  const JsonValue* spec = Member(&object, "spec");
  ValidateLabelSelector(Member(spec, "podSelector"), "spec.podSelector", errors);
  for (const char* direction : {"ingress", "egress"}) {
    const JsonValue* rules = Member(spec, direction);
    for (rapidjson::SizeType i = 0; i < Count(rules); ++i) {
      std::string at = Index(Child("spec", direction), i);
      ValidateNetworkPolicyPorts(Member(&(*rules)[i], "ports"), Child(at, "ports"), errors);
      const char* peers = std::string(direction) == "ingress" ? "from" : "to";
      ValidatePeers(Member(&(*rules)[i], peers), Child(at, peers), errors);
    }
  }
  std::vector<std::string> types = Strings(Member(spec, "policyTypes"));
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i] != "Ingress" && types[i] != "Egress") {
      errors->NotSupported(Index("spec.policyTypes", i), types[i], {"Ingress", "Egress"});
    }
  }
  if (types.size() > 2) {
    errors->InvalidValue("spec.policyTypes", Member(spec, "policyTypes"),
                         "may not specify more than two policyTypes");
  }
}

void ValidatePriorityClass(const JsonValue& object, FieldErrors* errors) {
  std::string name = GetString(object, "metadata.name");
  bool system = name == "system-cluster-critical" || name == "system-node-critical";
  if (!system && name.rfind("system-", 0) == 0) {
    errors->Forbidden("metadata.name", "priority class names with 'system-' prefix are reserved");
  }
  const JsonValue* value = Member(&object, "value");
  if (!system && IsInt(value) && value->GetInt64() > 1000000000) {
    errors->Forbidden("value", "maximum allowed value of a user defined priority is 1000000000");
  }
  Enum(&object, "preemptionPolicy", "", {"Never", "PreemptLowerPriority"}, false, errors);
}

// validateRuleWithOperations (admissionregistration).
void ValidateWebhookRule(const JsonValue* rule, const std::string& at, FieldErrors* errors) {
  std::vector<std::string> ops = Strings(Member(rule, "operations"));
  if (ops.empty()) errors->Required(Child(at, "operations"));
  bool star_op = false;
  for (size_t i = 0; i < ops.size(); ++i) {
    star_op = star_op || ops[i] == "*";
    if (ops[i] != "*" && ops[i] != "CREATE" && ops[i] != "UPDATE" && ops[i] != "DELETE" &&
        ops[i] != "CONNECT") {
      errors->NotSupported(Index(Child(at, "operations"), i), ops[i],
                           {"*", "CONNECT", "CREATE", "DELETE", "UPDATE"});
    }
  }
  if (star_op && ops.size() > 1) {
    errors->InvalidValue(Child(at, "operations"), Member(rule, "operations"),
                         "if '*' is present, must not specify other operations");
  }
  struct List {
    const char* key;
    const char* what;
  };
  for (List list : {List{"apiGroups", "API groups"}, List{"apiVersions", "API versions"}}) {
    std::vector<std::string> values = Strings(Member(rule, list.key));
    if (values.empty()) errors->Required(Child(at, list.key));
    bool star = false;
    for (size_t i = 0; i < values.size(); ++i) {
      star = star || values[i] == "*";
      if (std::string(list.key) == "apiVersions" && values[i].empty()) {
        errors->Required(Index(Child(at, list.key), i));
      }
    }
    if (star && values.size() > 1) {
      errors->InvalidValue(Child(at, list.key), Member(rule, list.key),
                           std::string("if '*' is present, must not specify other ") + list.what);
    }
  }
  if (Strings(Member(rule, "resources")).empty()) errors->Required(Child(at, "resources"));
  Enum(rule, "scope", at, {"*", "Cluster", "Namespaced"}, false, errors);
}

void ValidateClientConfig(const JsonValue* config, const std::string& at, FieldErrors* errors) {
  const JsonValue* service = Member(config, "service");
  std::string url = MemberStr(config, "url");
  if ((service != nullptr) == !url.empty()) {
    errors->Required(at, "exactly one of url or service is required");
  }
  size_t scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (!url.empty() && scheme != "https") {
    errors->InvalidString(Child(at, "url"), scheme, "'https' is the only allowed URL scheme");
  }
  if (service) {
    if (MemberStr(service, "name").empty()) errors->Required(Child(at, "service.name"));
    if (MemberStr(service, "namespace").empty()) errors->Required(Child(at, "service.namespace"));
    std::string path = MemberStr(service, "path");
    if (!path.empty() && path[0] != '/') {
      errors->InvalidString(Child(at, "service.path"), path, "must start with a '/'");
    }
    const JsonValue* port = Member(service, "port");
    if (IsInt(port) && (port->GetInt64() < 1 || port->GetInt64() > 65535)) {
      errors->InvalidValue(Child(at, "service.port"), port,
                           "port is not valid: must be between 1 and 65535, inclusive");
    }
  }
}

// ValidateValidatingWebhookConfiguration / ValidateMutatingWebhookConfiguration (v1).
void ValidateWebhooks(const JsonValue& object, bool mutating, FieldErrors* errors) {
  const JsonValue* hooks = Member(&object, "webhooks");
  std::set<std::string> names;
  for (rapidjson::SizeType i = 0; i < Count(hooks); ++i) {
    const JsonValue* hook = &(*hooks)[i];
    std::string at = Index("webhooks", i);
    std::string name = MemberStr(hook, "name");
    if (!name.empty() && !names.insert(name).second) {
      errors->Duplicate(Child(at, "name"), QuotedText(name));
    }
    size_t dots = 0;
    for (char c : name) dots += c == '.';
    if (name.empty()) {
      errors->Required(Child(at, "name"));
    } else {
      std::vector<std::string> reasons = Dns1123SubdomainErrors(name);
      if (reasons.empty() && dots < 2) {
        reasons.push_back("should be a domain with at least three segments separated by dots");
      }
      AddInvalidReasons(errors, Child(at, "name"), name, reasons);
    }
    const JsonValue* rules = Member(hook, "rules");
    for (rapidjson::SizeType r = 0; r < Count(rules); ++r) {
      ValidateWebhookRule(&(*rules)[r], Index(Child(at, "rules"), r), errors);
    }
    Enum(hook, "failurePolicy", at, {"Fail", "Ignore"}, false, errors);
    Enum(hook, "matchPolicy", at, {"Equivalent", "Exact"}, false, errors);
    if (mutating) Enum(hook, "reinvocationPolicy", at, {"IfNeeded", "Never"}, false, errors);
    ValidateLabelSelector(Member(hook, "namespaceSelector"), Child(at, "namespaceSelector"),
                          errors);
    ValidateLabelSelector(Member(hook, "objectSelector"), Child(at, "objectSelector"), errors);
    std::string side = MemberStr(hook, "sideEffects");
    if (side.empty()) {
      errors->Required(Child(at, "sideEffects"), "must specify one of None, NoneOnDryRun");
    } else if (side != "None" && side != "NoneOnDryRun") {
      errors->NotSupported(Child(at, "sideEffects"), side, {"None", "NoneOnDryRun"});
    }
    const JsonValue* timeout = Member(hook, "timeoutSeconds");
    if (IsInt(timeout) && (timeout->GetInt64() < 1 || timeout->GetInt64() > 30)) {
      errors->InvalidValue(Child(at, "timeoutSeconds"), timeout,
                           "the timeout value must be between 1 and 30 seconds");
    }
    ValidateClientConfig(Member(hook, "clientConfig"), Child(at, "clientConfig"), errors);
    std::vector<std::string> versions = Strings(Member(hook, "admissionReviewVersions"));
    std::string versions_at = Child(at, "admissionReviewVersions");
    if (versions.empty()) {
      errors->Required(versions_at, "must specify one of v1, v1beta1");
    } else {
      bool known = false;
      std::set<std::string> seen;
      for (size_t v = 0; v < versions.size(); ++v) {
        known = known || versions[v] == "v1" || versions[v] == "v1beta1";
        if (!seen.insert(versions[v]).second) {
          errors->InvalidString(Index(versions_at, v), versions[v], "duplicate version");
        }
      }
      if (!known) {
        errors->InvalidValue(versions_at, Member(hook, "admissionReviewVersions"),
                             "must include at least one of v1, v1beta1");
      }
    }
  }
}

}  // namespace

bool ValidateOtherKind(const std::string& group, const std::string& kind, const JsonValue& object,
                       FieldErrors* errors) {
  if (group == "rbac.authorization.k8s.io") {
    if (kind == "Role" || kind == "ClusterRole") {
      ValidateRules(object, kind == "Role", errors);
    } else if (kind == "RoleBinding" || kind == "ClusterRoleBinding") {
      ValidateBinding(object, kind == "RoleBinding", errors);
    } else {
      return false;
    }
  } else if (group == "networking.k8s.io" && kind == "Ingress") {
    ValidateIngress(object, errors);
  } else if (group == "networking.k8s.io" && kind == "NetworkPolicy") {
    ValidateNetworkPolicy(object, errors);
  } else if (group == "scheduling.k8s.io" && kind == "PriorityClass") {
    ValidatePriorityClass(object, errors);
  } else if (group == "admissionregistration.k8s.io" &&
             (kind == "ValidatingWebhookConfiguration" || kind == "MutatingWebhookConfiguration")) {
    ValidateWebhooks(object, kind == "MutatingWebhookConfiguration", errors);
  } else {
    return false;
  }
  return true;
}

}  // namespace mlgitops::kubesim
