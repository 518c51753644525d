// Confining a kustomize build to its repository before kustomize runs: every local path a
// kustomization names (resources, bases, components, patches, generators...) must resolve inside.
#pragma once

#include <string>

#include "object/status.h"
#include "object/yaml_loader.h"

namespace mlgitops {

/// Walks the kustomization in `dir` and every local kustomization it reaches through
/// resources, bases, components, generators, transformers or validators, checking each local
/// path they name (those fields, patches, patchesStrategicMerge, patchesJson6902, replacements,
/// crds, configurations, openapi, config map and secret generator files and env files, helm
/// chart homes and values files) with ResolveInside against `root`: an absolute path, a ".."
/// climbing out or a symbolic link leading out is refused (InvalidArgument naming the
/// kustomization file, the field and the entry). Entries that do not exist are left for
/// kustomize to report (or to read as inline patches). Remote entries (https://, ssh://, git@,
/// github.com/...) are left to kustomize, which confines what they load to their own clone;
/// local Git URLs (file://, git:: with a path) are refused, as they could name another
/// repository on this host. Kustomizations are read under `limits`.
Status CheckKustomizePaths(const std::string& root, const std::string& dir,
                           const LoadLimits& limits);

}  // namespace mlgitops
