// Health of live objects: the object and its children (Pods, ReplicaSets, Jobs, Workflows)
// fetched through a KubeClient, then judged by the same assessor as offline files.
#pragma once

#include <string>
#include <vector>

#include "health/assessor.h"
#include "kube/client.h"
#include "policy/conventions.h"

namespace mlgitops {

/// The kinds a parent's children can have and the label selector that narrows them ("" lists
/// the namespace; FindChildren then keeps only what the parent owns).
struct ChildQuery {
  GroupVersionKind gvk;
  std::string label_selector;
};
std::vector<ChildQuery> ChildQueries(const Object& parent);

/// The parent's children in the cluster, found as FindChildren finds them offline.
Result<std::vector<Object>> FetchChildren(KubeClient& client, const Object& parent);

/// Judges one live object with its children fetched from the cluster.
Result<Assessment> AssessLiveObject(KubeClient& client, const Object& live,
                                    const HealthAssessor& assessor, const Conventions& conventions,
                                    int64_t now_unix);

struct LiveAssessment {
  ObjectRef object;
  std::string api_version;
  Assessment health;
};

/// Gets each object of `wanted` from the cluster (a missing one is Missing, as Argo CD says)
/// and judges it with its children. `wanted` gives kind, namespace and name; an object with no
/// namespace uses the client's default for namespaced kinds.
Result<std::vector<LiveAssessment>> AssessLive(KubeClient& client,
                                               const std::vector<ObjectKey>& wanted,
                                               const HealthAssessor& assessor,
                                               const Conventions& conventions, int64_t now_unix);

}  // namespace mlgitops
