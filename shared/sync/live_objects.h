// The live objects an Application owns: every listable kind searched in the app's namespaces
// (and cluster-wide for cluster-scoped kinds) for objects carrying the app's tracking id.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "app/application.h"
#include "kube/client.h"
#include "object/object.h"
#include "object/status.h"

namespace mlgitops {

/// group/kind/namespace/name as one comparable string (a kind served in several versions
/// yields the same identity).
std::string ObjectIdentity(const Object& object);
std::string ObjectIdentity(const ObjectRef& ref);

/// The namespaces an app's objects can live in: those the manifests name, plus the
/// destination namespace.
std::set<std::string> AppNamespaces(const Application& app, const std::vector<Object>& desired);

/// Every live object tracked by `app_instance` (IsTrackedBy: children with ownerReferences are
/// not), once each, sorted by ref. Kinds the account may not list (Forbidden) are skipped, but
/// named in `unlisted` ("apps/Deployment in namespace ml", "/Namespace (cluster-scoped)"):
/// objects of theirs go untracked and unpruned, which callers must report. Events are never
/// searched. Hooks are included: callers decide. With `untracked`, the same listing also
/// collects the namespaced objects no app tracks and nothing owns (Argo CD's orphaned
/// resources), sorted by ref.
Result<std::vector<Object>> ListTrackedObjects(KubeClient& client, const std::string& app_instance,
                                               const std::set<std::string>& namespaces,
                                               int parallelism = 8,
                                               std::vector<std::string>* unlisted = nullptr,
                                               std::vector<ObjectRef>* untracked = nullptr);

/// The warning for kinds ListTrackedObjects could not list, "" when there are none.
std::string UnlistedKindsWarning(const std::vector<std::string>& unlisted);

}  // namespace mlgitops
