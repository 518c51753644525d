// In-cluster configuration: the API server address Kubernetes injects into every pod
// (KUBERNETES_SERVICE_HOST/PORT) and the pod's service account (token, CA, namespace).
#pragma once

#include <string>

#include "kube/rest_config.h"
#include "object/status.h"
#include "sys/process.h"

namespace mlgitops {

inline constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

/// client-go's rule: both variables set and the token file present.
bool InClusterPossible(const GetEnvFn& getenv,
                       const std::string& service_account_dir = kServiceAccountDir);

/// The in-cluster RestConfig: server https://HOST:PORT (IPv6 hosts bracketed), CA from ca.crt
/// (system roots and a warning when missing), the token through a TokenFileProvider (projected
/// tokens rotate). Namespace: `namespace_override` (-n), else $POD_NAMESPACE, else the
/// service account's namespace file, else "default".
Result<RestConfig> LoadInClusterConfig(const GetEnvFn& getenv,
                                       const std::string& service_account_dir = kServiceAccountDir,
                                       const std::string& namespace_override = "");

}  // namespace mlgitops
