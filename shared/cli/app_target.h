// The Application a command works on (-f FILE, or APP: a CR in the cluster), the clients for
// its control and destination clusters, and its desired state (--local DIR, or its Git source).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/application.h"
#include "cli/cli.h"
#include "kube/client.h"
#include "object/object.h"
#include "object/status.h"
#include "project/app_project.h"

namespace mlgitops {

struct AppTarget {
  Application app;
  /// The app is an Application CR (mlgitops.io or argoproj.io): results go on its status.
  bool in_cluster = false;
  /// Where the CR, or the ConfigMap holding the results, lives.
  std::string state_namespace;
  /// The cluster of the kubeconfig context: where the app's state is kept.
  std::unique_ptr<KubeClient> control;
  /// The destination cluster; the control client unless the app names another server.
  std::unique_ptr<KubeClient> destination_owned;
  KubeClient* destination = nullptr;
  /// Where AppProjects live; apps outside it are tracked as "<namespace>_<name>".
  std::string control_namespace;
  /// The app's project, which permitted its spec (LoadAppTarget checks it).
  AppProject project;
  /// The destination client acting as the ServiceAccount the project maps for the destination
  /// (destinationServiceAccounts); `destination` points here when set. Declared last: it
  /// borrows the connection of the clients above.
  std::unique_ptr<KubeClient> acting_as;
};

/// Reads the Application of -f (and --app) or the CR named by the first positional argument
/// (mlgitops.io first, then argoproj.io, in -n or the context's namespace), and connects.
/// `extra_args` positional arguments after APP belong to the command (rollback's ID).
Result<AppTarget> LoadAppTarget(const CommandContext& ctx, size_t extra_args = 0);

/// An Application CR as a parsed Application, or nullopt-like NotFound.
Result<Application> GetApplicationCr(KubeClient& client, const std::string& namespace_,
                                     const std::string& name, std::string* api_version = nullptr);

/// Every Application CR in `namespace_` ("" = all namespaces), both groups.
Result<std::vector<Application>> ListApplicationCrs(KubeClient& client,
                                                    const std::string& namespace_);

struct DesiredState {
  std::vector<Object> objects;
  std::vector<std::string> revisions;
  bool from_cache = false;
};

/// The app's manifests: from --local DIR when given, else fetched and rendered from its Git
/// source at `revision` (the app's targetRevision when empty).
/// With a target, repository Secrets beside the app add Git credentials, and every object must
/// be of a kind and in a namespace the target's project permits (else InvalidArgument).
Result<DesiredState> RenderDesired(const CommandContext& ctx, const Application& app,
                                   const std::string& revision, const AppTarget* target = nullptr);

/// The user a sync is recorded as initiated by: $USER, $LOGNAME, else the process's account.
std::string InitiatedBy(const CommandContext& ctx);

}  // namespace mlgitops
