// Which kinds are cluster-scoped, for applying an Application's destination namespace offline.
// A built-in list (Kubernetes plus common ML/infra operators), extended by callers and by CRDs.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "object/object.h"

namespace mlgitops {

/// Extra cluster-scoped kinds as (group, kind) pairs; the core group is "".
using GroupKindSet = std::set<std::pair<std::string, std::string>, std::less<>>;

/// True for built-in cluster-scoped kinds (Namespace, ClusterRole, StorageClass, CRDs,
/// webhook configurations, ClusterIssuer, ClusterQueue, ClusterServingRuntime, ...).
/// The group must match too: kyverno.io/ClusterPolicy and nvidia.com/ClusterPolicy are both
/// listed, but an unknown group's ClusterPolicy is not.
bool IsClusterScoped(std::string_view group, std::string_view kind);
/// The same, also answering true for anything in `extra`.
bool IsClusterScoped(std::string_view group, std::string_view kind, const GroupKindSet& extra);

/// Adds the kinds declared `scope: Cluster` by CustomResourceDefinitions among `objects`, so
/// custom resources shipped with their CRD get the right scope without a cluster to ask.
void AddClusterScopedFromCrds(const std::vector<Object>& objects, GroupKindSet* extra);

}  // namespace mlgitops
