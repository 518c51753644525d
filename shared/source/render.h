// Rendering an Application from a local directory, as `argocd app diff --local DIR` does, and
// the checks that follow a render (destination namespace, duplicate objects).
#pragma once

#include <string>
#include <vector>

#include "app/application.h"
#include "object/object.h"
#include "object/status.h"
#include "object/yaml_loader.h"
#include "source/directory.h"
#include "source/scope.h"

namespace mlgitops {

struct RenderOptions {
  DirectoryOptions directory;
  /// Cluster-scoped kinds beyond the built-in list; CRDs found in the render are added.
  GroupKindSet cluster_scoped;
};

/// Renders `local_dir` in place of the app's repository + path: `local_dir` is the app's
/// manifests directory and also the confinement root. The directory options (recurse,
/// include, exclude, extension filter) of the app's *first* source apply; with several
/// sources only the first one's options are used, the others are ignored.
/// Then applies the destination namespace (ApplyDestinationNamespace). Duplicates are left
/// for the caller (see CheckNoDuplicates), as Argo CD keeps the later one with a warning.
Result<std::vector<Object>> RenderLocal(const Application& app, const std::string& local_dir,
                                        const LoadLimits& limits,
                                        const RenderOptions& options = RenderOptions());

/// Renders `app` from `root`/<its first source's path> (a checkout of the apps' repository, as
/// the controller's and appset's --local-root give), duplicates refused; `*dir` gets the
/// directory rendered. A path leaving `root` (absolute, "..", a symbolic link leading out) is
/// refused (InvalidArgument). Errors name the app.
Result<std::vector<Object>> RenderFromLocalRoot(const Application& app, const std::string& root,
                                                const LoadLimits& limits, std::string* dir);

/// Argo CD's rule: namespaced objects without metadata.namespace get `namespace_` (when not
/// empty); cluster-scoped ones (built-in list or `cluster_scoped`) have theirs cleared.
void ApplyDestinationNamespace(const std::string& namespace_, const GroupKindSet& cluster_scoped,
                               std::vector<Object>* objects);

/// Fails when two objects share group/kind/namespace/name, naming both origins. Objects with
/// only metadata.generateName are never duplicates (each creation makes a new object).
Status CheckNoDuplicates(const std::vector<Object>& objects);

}  // namespace mlgitops
