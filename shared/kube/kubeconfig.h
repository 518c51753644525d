// Loading a RestConfig as kubectl does: --kubeconfig, else the KUBECONFIG list merged by
// kubectl's rules, else ~/.kube/config, else the pod's service account (in-cluster).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kube/exec_credentials.h"
#include "kube/in_cluster.h"
#include "kube/rest_config.h"
#include "object/status.h"
#include "sys/process.h"

namespace mlgitops {

/// The command-line flags that choose and override a kubeconfig context.
struct KubeconfigOptions {
  std::string kubeconfig_flag;  // --kubeconfig: the only file read; it must exist
  std::string context;          // --context, instead of current-context
  std::string namespace_;       // -n / --namespace, instead of the context's namespace
  std::string cluster;          // --cluster, instead of the context's cluster
  std::string user;             // --user, instead of the context's user
};

/// What the loader reads from the outside world.
struct KubeconfigEnv {
  GetEnvFn getenv;  // KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT, POD_NAMESPACE
  /// Runs exec plugins; the provider keeps it. Null means a SystemProcessRunner.
  std::shared_ptr<ProcessRunner> runner;
  std::string service_account_dir = kServiceAccountDir;
  ExecProviderOptions exec_options;
};

/// The kubeconfig files consulted, in precedence order, whether they exist or not:
/// just --kubeconfig; else each KUBECONFIG entry once; else $HOME/.kube/config.
std::vector<std::string> KubeconfigSearchPaths(const KubeconfigOptions& options,
                                               const GetEnvFn& getenv);

/// Resolves the context and returns everything needed to reach its cluster.
/// Merging: the first file to define a cluster/user/context name wins (later files never touch
/// that entry); current-context is the first non-empty one. Missing KUBECONFIG files are
/// skipped; a missing --kubeconfig file is an error. With no kubeconfig content and no
/// --context/--cluster/--user, the in-cluster config is used when possible.
/// Relative paths (certificate-authority, client-certificate, client-key, tokenFile, and an
/// exec command containing a slash) are resolved against the directory of their file.
/// Only the chosen context, cluster and user are validated. Errors name the file, list entry
/// and key (`~/.kube/config: users[2] "gke-user": client-key-data is not valid base64`) and never
/// contain a secret; every secret read is added to SecretRegistry::Global().
/// Exec plugins are not run here: RestConfig::credentials runs them on first Get().
Result<RestConfig> LoadRestConfig(const KubeconfigOptions& options, const KubeconfigEnv& env);

}  // namespace mlgitops
