// Registering, removing and checking clusters, the way `argocd cluster add/rm/list` do: a
// manager ServiceAccount with a bound token in the target cluster, and a cluster Secret that
// holds the token in the current cluster.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/registry.h"
#include "kube/client.h"
#include "kube/rest_config.h"
#include "object/status.h"

namespace mlgitops {

inline constexpr char kManagerServiceAccount[] = "mlgitops-manager";
inline constexpr char kManagerNamespace[] = "kube-system";
/// Every verb on every resource and non-resource URL: mlgitops deploys whatever Git holds
/// (CRDs, RBAC, namespaces), as Argo CD's argocd-manager-role does. Narrow it by editing the
/// ClusterRole after `cluster add`; namespaced-only setups use data.namespaces instead.
inline constexpr char kManagerClusterRole[] = "mlgitops-manager-role";
inline constexpr char kManagerClusterRoleBinding[] = "mlgitops-manager-role-binding";
/// One year: bound tokens expire; `cluster add --upsert` issues a fresh one.
inline constexpr int64_t kManagerTokenSeconds = int64_t{365} * 24 * 3600;

using ClusterProgressFn = std::function<void(const std::string& line)>;

struct AddClusterOptions {
  std::string name;  // the registered name; required
  /// Single tenant: the manager ServiceAccount may act on every resource itself. Otherwise it
  /// may only impersonate ServiceAccounts (AppProjects' destinationServiceAccounts).
  bool cluster_admin = false;
  std::string cluster_namespace = kDefaultClusterNamespace;
  std::map<std::string, std::string> labels;  // added to the cluster Secret
  /// Replace an existing registration of the same server (a new token, new labels).
  bool upsert = false;
  int64_t token_seconds = kManagerTokenSeconds;
  /// How long to wait for the token controller to fill a legacy token Secret.
  std::chrono::milliseconds legacy_token_wait{15000};
  ClusterProgressFn progress;  // one line per step; may be null
};

struct AddedCluster {
  ClusterInfo cluster;  // as registered (config holds the token: do not print it)
  /// "TokenRequest (expires 2026-...)" or "Secret kube-system/mlgitops-manager-token".
  std::string token_source;
};

/// In `target` (reached through `target_config`): ServiceAccount kube-system/mlgitops-manager,
/// its ClusterRole and ClusterRoleBinding, and a token from the TokenRequest API (a legacy
/// service-account-token Secret when the server refuses TokenRequest). Then in `current`: the
/// cluster Secret (both secret-type labels; name, server, config with bearerToken and the
/// target's CA). `registered` is the current registry, for conflicts: the same server needs
/// `upsert`; a name another server uses, or in-cluster, is refused.
Result<AddedCluster> AddCluster(KubeClient& current, const ClusterRegistry& registered,
                                KubeClient& target, const RestConfig& target_config,
                                const AddClusterOptions& options);

/// The name of the Secret registering `server`: cluster-<host>-<hash>, a valid object name.
std::string ClusterSecretName(const std::string& server);

/// Deletes the cluster Secret of the cluster named `name` (in-cluster cannot be removed). The
/// manager ServiceAccount stays in the target cluster, which may not be reachable any more.
Result<ClusterInfo> RemoveCluster(KubeClient& current, const ClusterRegistry& registered,
                                  const std::string& name);

struct ClusterReachability {
  ClusterInfo cluster;
  bool reachable = false;
  std::string version;  // gitVersion from /version, when reachable
  std::string error;    // why not, secret-free
};

/// GET /version on every cluster at once, each bounded by `timeout`. The in-cluster entry is
/// checked through `current_config` (the current context).
std::vector<ClusterReachability> CheckClusters(const ClusterRegistry& registry,
                                               const Result<RestConfig>& current_config,
                                               std::chrono::milliseconds timeout);

/// gitVersion of the server `config` reaches, within `timeout`.
Result<std::string> ServerVersion(const RestConfig& config, std::chrono::milliseconds timeout);

/// Clients for Applications' destinations through the registry (by name or server; no
/// destination = the current cluster), one per cluster, shared by its apps. Thread-safe, so the
/// syncs of several clusters can run at once; a cluster that is down fails only its own apps.
class ClusterConnections {
 public:
  ClusterConnections(KubeClient& current, ClusterRegistry registry)
      : current_(current), registry_(std::move(registry)) {}
  Result<KubeClient*> For(const Application& app);

 private:
  KubeClient& current_;
  ClusterRegistry registry_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<KubeClient>> clients_;
};

/// A client for a destination cluster that answered GET /version within `timeout` (a cluster
/// that is down fails here, once and fast, naming it, not after a sync's retries); for
/// in-cluster, `current` borrowed.
Result<std::unique_ptr<KubeClient>> ConnectReachableCluster(
    const ClusterInfo& cluster, KubeClient& current,
    std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace mlgitops
