// Where AppProjects are read from (the control namespace of the control cluster) and the one
// gate every path that acts on an Application passes: its project exists and permits its spec.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/application.h"
#include "kube/client.h"
#include "object/status.h"
#include "project/app_project.h"
#include "sys/process.h"

namespace mlgitops {

/// The namespace mlgitops is installed in: AppProjects live there, and Applications outside it
/// are tracked as "<namespace>_<name>" (Argo CD's apps-in-any-namespace).
inline constexpr char kDefaultControlNamespace[] = "mlgitops";
inline constexpr char kControlNamespaceEnv[] = "MLGITOPS_CONTROL_NAMESPACE";

/// --control-namespace when given, else $MLGITOPS_CONTROL_NAMESPACE, else mlgitops.
std::string ControlNamespaceFor(const std::string& flag, const GetEnvFn& getenv);

/// Project `name` in `control_namespace`: the mlgitops.io AppProject, else the argoproj.io one.
/// When the cluster serves neither kind, `default` is Argo CD's built-in project (everything
/// permitted) and any other name is refused; once a kind is served, every project — `default`
/// too — must exist. A refused read (403) is an error, never "no project".
Result<AppProject> LoadAppProject(KubeClient& control, const std::string& control_namespace,
                                  const std::string& name);

/// Creates Argo CD's `default` AppProject (every repo, destination and kind; no
/// sourceNamespaces) in the control namespace when the mlgitops.io kind is served and no
/// `default` project of either group exists, as Argo CD's server does at start. An existing
/// project is never changed: restricting `default` is how a shared cluster closes it.
Status EnsureDefaultProject(KubeClient& control, const std::string& control_namespace);

/// LoadAppProject + CheckApplicationSpec: the project an Application may act under, or the
/// InvalidSpecError message (InvalidArgument) saying which rule refused it.
Result<AppProject> ProjectForApplication(KubeClient& control, const std::string& control_namespace,
                                         const Application& app);

/// The client to act through for `dest` (destinationServiceAccounts): one impersonating the
/// ServiceAccount the project maps for it, borrowing `destination`'s connection; null when the
/// project maps none and `require` is false (the caller acts as itself). Errors: NotFound when
/// none matches and `require`; InvalidArgument for an entry naming no account namespace;
/// Unsupported when `destination` cannot impersonate.
Result<std::unique_ptr<KubeClient>> ClientForProjectAccount(const AppProject& project,
                                                            const ApplicationDestination& dest,
                                                            KubeClient& destination, bool require);

/// Connects to the cluster of `kubeconfig` ("" = kubectl's rules: $KUBECONFIG, ~/.kube/config,
/// then the in-cluster account) and returns a thread-safe check of an Application against its
/// project in `control_namespace` (the admission webhook's --project-namespace).
Result<std::function<Status(const Application&)>> ClusterProjectCheck(
    const std::string& kubeconfig, const std::string& control_namespace, const GetEnvFn& getenv);

/// CheckManifests with kind scopes from `destination`'s discovery (unknown kinds: a CRD among
/// `objects` decides, else the manifest's namespace).
Status CheckManifestsPermitted(const AppProject& project, const Application& app,
                               const std::vector<Object>& objects, KubeClient& destination);

}  // namespace mlgitops
