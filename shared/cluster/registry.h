// Registered clusters: Argo CD cluster Secrets (and ours) read from the current cluster, the
// always-present in-cluster entry, destination resolution by name or server, and clients for
// the clusters a Secret describes.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/application.h"
#include "kube/client.h"
#include "kube/rest_config.h"
#include "object/object.h"
#include "object/status.h"
#include "sys/process.h"

namespace mlgitops {

inline constexpr char kInClusterName[] = "in-cluster";
inline constexpr char kInClusterServer[] = "https://kubernetes.default.svc";
/// Where our cluster Secrets live unless --cluster-namespace / MLGITOPS_CLUSTER_NAMESPACE say.
inline constexpr char kDefaultClusterNamespace[] = "mlgitops";
/// Argo CD's namespace: its cluster Secrets are read too, as they are.
inline constexpr char kArgoCdNamespace[] = "argocd";
inline constexpr char kArgoSecretTypeLabel[] = "argocd.argoproj.io/secret-type";
inline constexpr char kOurSecretTypeLabel[] = "mlgitops.io/secret-type";
inline constexpr char kClusterEnvNamespace[] = "MLGITOPS_CLUSTER_NAMESPACE";

/// How to reach a cluster: the `config` JSON of a cluster Secret.
struct ClusterConfig {
  std::string bearer_token;
  std::string username;
  std::string password;
  std::string proxy_url;
  std::string ca_pem;    // tlsClientConfig.caData, decoded
  std::string cert_pem;  // tlsClientConfig.certData
  std::string key_pem;   // tlsClientConfig.keyData
  bool insecure = false;
  std::string server_name;
  std::optional<ExecConfig> exec;  // execProviderConfig, or awsAuthConfig as `aws eks get-token`
};

struct ClusterInfo {
  std::string name;
  std::string server;                              // no trailing '/'
  std::map<std::string, std::string> labels;       // the Secret's
  std::map<std::string, std::string> annotations;  // the Secret's
  std::string project;
  std::vector<std::string> namespaces;  // non-empty: namespaced mode
  bool cluster_resources = false;
  /// The cluster mlgitops itself talks to (the current kubeconfig context).
  bool in_cluster = false;
  std::string secret_name;  // "" for the built-in in-cluster entry
  std::string secret_namespace;
  ClusterConfig config;
};

/// The built-in entry for the current cluster: name in-cluster, https://kubernetes.default.svc.
ClusterInfo InClusterInfo();

/// One cluster Secret (data base64, or stringData) as a ClusterInfo. Every credential read is
/// registered with SecretRegistry::Global(); errors name the Secret and key, never a value.
Result<ClusterInfo> ParseClusterSecret(const Object& secret);

/// "https://h:6443/" -> "https://h:6443": how servers are compared.
std::string NormalizeServer(std::string server);

struct ClusterRegistryOptions {
  /// Read in order; a namespace that does not exist holds no clusters. The defaults: ours,
  /// then Argo CD's.
  std::vector<std::string> namespaces = {kDefaultClusterNamespace, kArgoCdNamespace};
};

/// The namespaces to read: --cluster-namespace, else $MLGITOPS_CLUSTER_NAMESPACE, else
/// mlgitops; Argo CD's namespace is added unless it is the same.
ClusterRegistryOptions RegistryOptionsFor(const std::string& namespace_flag,
                                          const GetEnvFn& getenv);

class ClusterRegistry {
 public:
  /// Lists the cluster Secrets of `current`. A Secret that does not parse is left out with a
  /// warning; a refused list (RBAC) is an error.
  static Result<ClusterRegistry> Load(KubeClient& current,
                                      const ClusterRegistryOptions& options = {});
  /// From clusters already known (tests, generators); in-cluster is added when none is.
  static ClusterRegistry FromClusters(std::vector<ClusterInfo> clusters);

  /// in-cluster first, then the Secrets' clusters by name.
  const std::vector<ClusterInfo>& clusters() const { return clusters_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  /// Argo CD's rules: name or server (not both, not neither); a name must match exactly one
  /// cluster; a server matches its registered cluster (in-cluster for kubernetes.default.svc).
  /// NotFound when nothing matches, naming the known clusters.
  Result<ClusterInfo> Resolve(const ApplicationDestination& destination) const;
  Result<ClusterInfo> ByName(const std::string& name) const;
  /// nullopt when no cluster is registered for `server`.
  std::optional<ClusterInfo> ByServer(const std::string& server) const;
  /// "in-cluster, gpu-east, serving-eu": for messages.
  std::string KnownNames() const;

 private:
  void Add(ClusterInfo cluster);
  std::vector<ClusterInfo> clusters_;
  std::vector<std::string> warnings_;
};

/// What a client for a registered cluster is built from (not for in-cluster, which has no
/// Secret: callers use their current client).
Result<RestConfig> RestConfigForCluster(const ClusterInfo& cluster,
                                        std::shared_ptr<ProcessRunner> runner = nullptr);

/// A client for `cluster`: `current` borrowed for in-cluster, else one built from the Secret.
Result<std::unique_ptr<KubeClient>> ConnectCluster(const ClusterInfo& cluster, KubeClient& current,
                                                   KubeClientOptions options = {});

}  // namespace mlgitops
