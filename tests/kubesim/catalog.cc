// Built-in resource types (names, short names, categories, verbs as kube-apiserver v1.32 serves
// them) and run-time registration of custom ones.
#include "kubesim/catalog.h"

#include <algorithm>
#include <utility>

namespace mlgitops::kubesim {

namespace {

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};

struct Builtin {
  const char* group_version;
  const char* kind;
  const char* plural;
  bool namespaced;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool has_status;
  bool tracks_generation;
};

// Order matters: discovery lists groups and resources in this order.
const std::vector<Builtin>& Builtins() {
  static const std::vector<Builtin> kBuiltins = {
      {"v1", "Namespace", "namespaces", false, {"ns"}, {}, true, false},
      {"v1", "Pod", "pods", true, {"po"}, {"all"}, true, false},
      {"v1", "Service", "services", true, {"svc"}, {"all"}, true, false},
      {"v1", "ConfigMap", "configmaps", true, {"cm"}, {}, false, false},
      {"v1", "Secret", "secrets", true, {}, {}, false, false},
      {"v1", "ServiceAccount", "serviceaccounts", true, {"sa"}, {}, false, false},
      {"v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, {"pvc"}, {}, true, false},
      {"v1", "PersistentVolume", "persistentvolumes", false, {"pv"}, {}, true, false},
      {"v1", "Endpoints", "endpoints", true, {"ep"}, {}, false, false},
      {"v1", "Event", "events", true, {"ev"}, {}, false, false},
      {"v1", "Node", "nodes", false, {"no"}, {}, true, false},
      {"v1", "ResourceQuota", "resourcequotas", true, {"quota"}, {}, true, false},
      {"v1", "LimitRange", "limitranges", true, {"limits"}, {}, false, false},
      {"v1", "ReplicationController", "replicationcontrollers", true, {"rc"}, {"all"}, true, true},
      {"apps/v1", "Deployment", "deployments", true, {"deploy"}, {"all"}, true, true},
      {"apps/v1", "StatefulSet", "statefulsets", true, {"sts"}, {"all"}, true, true},
      {"apps/v1", "DaemonSet", "daemonsets", true, {"ds"}, {"all"}, true, true},
      {"apps/v1", "ReplicaSet", "replicasets", true, {"rs"}, {"all"}, true, true},
      {"apps/v1", "ControllerRevision", "controllerrevisions", true, {}, {}, false, false},
      {"batch/v1", "Job", "jobs", true, {}, {"all"}, true, true},
      {"batch/v1", "CronJob", "cronjobs", true, {"cj"}, {"all"}, true, true},
      {"autoscaling/v2",
       "HorizontalPodAutoscaler",
       "horizontalpodautoscalers",
       true,
       {"hpa"},
       {"all"},
       true,
       true},
      {"autoscaling/v1",
       "HorizontalPodAutoscaler",
       "horizontalpodautoscalers",
       true,
       {"hpa"},
       {"all"},
       true,
       true},
      {"networking.k8s.io/v1", "Ingress", "ingresses", true, {"ing"}, {}, true, true},
      {"networking.k8s.io/v1",
       "NetworkPolicy",
       "networkpolicies",
       true,
       {"netpol"},
       {},
       false,
       true},
      {"networking.k8s.io/v1", "IngressClass", "ingressclasses", false, {}, {}, false, false},
      {"rbac.authorization.k8s.io/v1", "Role", "roles", true, {}, {}, false, false},
      {"rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", true, {}, {}, false, false},
      {"rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", false, {}, {}, false, false},
      {"rbac.authorization.k8s.io/v1",
       "ClusterRoleBinding",
       "clusterrolebindings",
       false,
       {},
       {},
       false,
       false},
      {"policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", true, {"pdb"}, {}, true, true},
      {"apiextensions.k8s.io/v1",
       "CustomResourceDefinition",
       "customresourcedefinitions",
       false,
       {"crd", "crds"},
       {"api-extensions"},
       true,
       true},
      {"admissionregistration.k8s.io/v1",
       "MutatingWebhookConfiguration",
       "mutatingwebhookconfigurations",
       false,
       {},
       {"api-extensions"},
       false,
       true},
      {"admissionregistration.k8s.io/v1",
       "ValidatingWebhookConfiguration",
       "validatingwebhookconfigurations",
       false,
       {},
       {"api-extensions"},
       false,
       true},
      {"coordination.k8s.io/v1", "Lease", "leases", true, {}, {}, false, false},
      {"discovery.k8s.io/v1", "EndpointSlice", "endpointslices", true, {}, {}, false, false},
      {"events.k8s.io/v1", "Event", "events", true, {"ev"}, {}, false, false},
      {"storage.k8s.io/v1", "StorageClass", "storageclasses", false, {"sc"}, {}, false, false},
      {"scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", false, {"pc"}, {}, false, false},
      {"authorization.k8s.io/v1",
       "SelfSubjectAccessReview",
       "selfsubjectaccessreviews",
       false,
       {},
       {},
       false,
       false},
      // Access reviews and authentication (auth_handlers.cc); create-only.
      {"authorization.k8s.io/v1",
       "SelfSubjectRulesReview",
       "selfsubjectrulesreviews",
       false,
       {},
       {},
       false,
       false},
      {"authorization.k8s.io/v1",
       "SubjectAccessReview",
       "subjectaccessreviews",
       false,
       {},
       {},
       false,
       false},
      {"authorization.k8s.io/v1",
       "LocalSubjectAccessReview",
       "localsubjectaccessreviews",
       true,
       {},
       {},
       false,
       false},
      {"authentication.k8s.io/v1", "TokenReview", "tokenreviews", false, {}, {}, false, false},
      {"authentication.k8s.io/v1",
       "SelfSubjectReview",
       "selfsubjectreviews",
       false,
       {},
       {},
       false,
       false},
  };
  return kBuiltins;
}

ResourceType FromBuiltin(const Builtin& b) {
  ResourceType t;
  std::string gv = b.group_version;
  auto slash = gv.find('/');
  t.group = slash == std::string::npos ? "" : gv.substr(0, slash);
  t.version = slash == std::string::npos ? gv : gv.substr(slash + 1);
  t.kind = b.kind;
  t.plural = b.plural;
  t.singular = Lowercase(b.kind);
  t.namespaced = b.namespaced;
  t.short_names = b.short_names;
  t.categories = b.categories;
  t.verbs = kAllVerbs;
  // Namespaces cannot be deleted as a collection.
  if (t.group == "authorization.k8s.io" || t.group == "authentication.k8s.io") {
    t.verbs = {"create"};
  }
  if (t.plural == "namespaces") {
    t.verbs.erase(std::find(t.verbs.begin(), t.verbs.end(), "deletecollection"));
  }
  t.has_status = b.has_status;
  t.has_scale = t.kind == "Deployment" || t.kind == "StatefulSet" || t.kind == "ReplicaSet" ||
                t.kind == "ReplicationController";
  t.tracks_generation = b.tracks_generation;
  return t;
}

}  // namespace

std::string Lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

Catalog::Catalog() {
  for (const Builtin& b : Builtins()) {
    ResourceType t = FromBuiltin(b);
    if (std::find(group_order_.begin(), group_order_.end(), t.group) == group_order_.end()) {
      group_order_.push_back(t.group);
    }
    types_.push_back(std::move(t));
  }
}

std::optional<ResourceType> Catalog::Find(const std::string& group, const std::string& version,
                                          const std::string& plural) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const ResourceType& t : types_) {
    if (t.group == group && t.version == version && t.plural == plural) return t;
  }
  return std::nullopt;
}

std::optional<ResourceType> Catalog::FindByKind(const std::string& group,
                                                const std::string& version,
                                                const std::string& kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const ResourceType& t : types_) {
    if (t.group == group && t.version == version && t.kind == kind) return t;
  }
  return std::nullopt;
}

std::vector<ResourceType> Catalog::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  return types_;
}

std::vector<GroupVersions> Catalog::Groups() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<GroupVersions> out;
  for (const std::string& group : group_order_) {
    GroupVersions gv{group, {}};
    for (const ResourceType& t : types_) {
      if (t.group == group &&
          std::find(gv.versions.begin(), gv.versions.end(), t.version) == gv.versions.end()) {
        gv.versions.push_back(t.version);
      }
    }
    if (!gv.versions.empty()) out.push_back(std::move(gv));
  }
  return out;
}

std::vector<ResourceType> Catalog::InGroupVersion(const std::string& group,
                                                  const std::string& version) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ResourceType> out;
  for (const ResourceType& t : types_) {
    if (t.group == group && t.version == version) out.push_back(t);
  }
  return out;
}

void Catalog::SetCustomTypes(const std::string& crd_name, std::vector<ResourceType> types) {
  std::lock_guard<std::mutex> lock(mu_);
  types_.erase(std::remove_if(types_.begin(), types_.end(),
                              [&](const ResourceType& t) { return t.crd_name == crd_name; }),
               types_.end());
  for (ResourceType& t : types) {
    if (std::find(group_order_.begin(), group_order_.end(), t.group) == group_order_.end()) {
      group_order_.push_back(t.group);
    }
    types_.push_back(std::move(t));
  }
}

}  // namespace mlgitops::kubesim
