// The built-in table of cluster-scoped kinds and the CRD scan that extends it.
#include "source/scope.h"

#include <algorithm>
#include <iterator>

namespace mlgitops {

namespace {

struct ScopedKind {
  std::string_view group;
  std::string_view kind;
};

// Sorted by (group, kind) so lookups can binary-search; a static_assert below checks it.
constexpr ScopedKind kClusterScoped[] = {
    {"", "ComponentStatus"},
    {"", "Namespace"},
    {"", "Node"},
    {"", "PersistentVolume"},
    {"admissionregistration.k8s.io", "MutatingAdmissionPolicy"},
    {"admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"},
    {"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"},
    {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
    {"apiextensions.k8s.io", "CustomResourceDefinition"},
    {"apiregistration.k8s.io", "APIService"},
    {"argoproj.io", "ClusterWorkflowTemplate"},
    {"cert-manager.io", "ClusterIssuer"},
    {"certificates.k8s.io", "CertificateSigningRequest"},
    {"certificates.k8s.io", "ClusterTrustBundle"},
    {"cilium.io", "CiliumClusterwideNetworkPolicy"},
    {"external-secrets.io", "ClusterExternalSecret"},
    {"external-secrets.io", "ClusterSecretStore"},
    {"flowcontrol.apiserver.k8s.io", "FlowSchema"},
    {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"},
    {"gateway.networking.k8s.io", "GatewayClass"},
    {"karpenter.k8s.aws", "EC2NodeClass"},
    {"karpenter.sh", "NodeClaim"},
    {"karpenter.sh", "NodePool"},
    {"kubeflow.org", "Profile"},
    {"kueue.x-k8s.io", "AdmissionCheck"},
    {"kueue.x-k8s.io", "ClusterQueue"},
    {"kueue.x-k8s.io", "Cohort"},
    {"kueue.x-k8s.io", "ResourceFlavor"},
    {"kueue.x-k8s.io", "Topology"},
    {"kueue.x-k8s.io", "WorkloadPriorityClass"},
    {"kyverno.io", "ClusterCleanupPolicy"},
    {"kyverno.io", "ClusterPolicy"},
    {"networking.k8s.io", "IPAddress"},
    {"networking.k8s.io", "IngressClass"},
    {"networking.k8s.io", "ServiceCIDR"},
    {"nfd.k8s-sigs.io", "NodeFeatureRule"},
    {"node.k8s.io", "RuntimeClass"},
    {"nvidia.com", "ClusterPolicy"},
    {"nvidia.com", "NVIDIADriver"},
    {"policy", "PodSecurityPolicy"},
    {"rbac.authorization.k8s.io", "ClusterRole"},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
    {"resource.k8s.io", "DeviceClass"},
    {"resource.k8s.io", "ResourceSlice"},
    {"scheduling.k8s.io", "PriorityClass"},
    {"scheduling.volcano.sh", "Queue"},
    {"serving.kserve.io", "ClusterServingRuntime"},
    {"serving.kserve.io", "ClusterStorageContainer"},
    {"snapshot.storage.k8s.io", "VolumeSnapshotClass"},
    {"snapshot.storage.k8s.io", "VolumeSnapshotContent"},
    {"storage.k8s.io", "CSIDriver"},
    {"storage.k8s.io", "CSINode"},
    {"storage.k8s.io", "StorageClass"},
    {"storage.k8s.io", "VolumeAttachment"},
    {"storage.k8s.io", "VolumeAttributesClass"},
    {"templates.gatekeeper.sh", "ConstraintTemplate"},
    {"trainer.kubeflow.org", "ClusterTrainingRuntime"},
    {"trust.cert-manager.io", "Bundle"},
};

constexpr bool Before(const ScopedKind& a, const ScopedKind& b) {
  return a.group != b.group ? a.group < b.group : a.kind < b.kind;
}

constexpr bool TableIsSorted() {
  for (size_t i = 1; i < std::size(kClusterScoped); ++i) {
    if (!Before(kClusterScoped[i - 1], kClusterScoped[i])) return false;
  }
  return true;
}
static_assert(TableIsSorted(), "kClusterScoped must stay sorted by (group, kind)");

}  // namespace

bool IsClusterScoped(std::string_view group, std::string_view kind) {
  ScopedKind wanted{group, kind};
  return std::binary_search(std::begin(kClusterScoped), std::end(kClusterScoped), wanted, Before);
}

bool IsClusterScoped(std::string_view group, std::string_view kind, const GroupKindSet& extra) {
  if (IsClusterScoped(group, kind)) return true;
  return extra.count(std::make_pair(std::string(group), std::string(kind))) > 0;
}

void AddClusterScopedFromCrds(const std::vector<Object>& objects, GroupKindSet* extra) {
  for (const Object& obj : objects) {
    if (obj.group() != "apiextensions.k8s.io" || obj.kind() != "CustomResourceDefinition") {
      continue;
    }
    const JsonValue& v = obj.json();
    if (GetString(v, "spec.scope") != "Cluster") continue;
    std::string group = GetString(v, "spec.group");
    std::string kind = GetString(v, "spec.names.kind");
    if (!kind.empty()) extra->emplace(std::move(group), std::move(kind));
  }
}

}  // namespace mlgitops
