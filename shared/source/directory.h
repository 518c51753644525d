// Rendering a plain-manifest directory source the way Argo CD's repo server does, confined to a
// repository root: nothing outside the root is read, and symlinks that leave it are refused.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "app/application.h"
#include "object/object.h"
#include "object/status.h"
#include "object/yaml_loader.h"

namespace mlgitops {

/// Budgets for one directory render, on top of the per-file LoadLimits.
struct DirectoryOptions {
  size_t max_total_bytes = size_t{512} << 20;  // sum of the sizes of the manifest files read
  size_t max_files = 10000;                    // manifest files read
  size_t max_entries = 200000;                 // directory entries looked at while walking
  int max_depth = 64;                          // directory nesting below `path`
  /// Argo CD does not descend into symlinked directories (its walk never follows links);
  /// set this to follow ones that stay inside the root. Cycles are refused either way.
  bool follow_directory_symlinks = false;
};

/// Renders `repo_root/source.path` as Argo CD renders a directory source:
/// - files whose names end in .yaml, .yml or .json (any file with disableExtensionFilter);
///   .jsonnet files are refused as not supported yet unless include/exclude filter them out;
/// - only the top folder unless directory.recurse; dot-files and dot-directories are used;
/// - include/exclude globs (see glob.h) match the path relative to `path`; exclude wins;
/// - files carrying the `+argocd:skip-file-rendering` marker are skipped, and so are YAML/JSON
///   files holding no Kubernetes object that do not mention apiVersion, kind and metadata
///   (Argo CD treats those as unrelated data files); any other parse failure fails the render;
/// - order: Argo CD's walk order (entries sorted by name at each level, depth first), then
///   document order; origins are paths relative to `repo_root`.
/// `path` may not leave the root (absolute paths, escaping `..`, symlinks); a symlink anywhere
/// in the walked tree whose target resolves outside the root fails the render, naming the link
/// but never its target. A source that is not a plain directory (chart, helm, kustomize or
/// plugin set, or a Chart.yaml / kustomization file in `path` without `directory:`) is refused
/// as Unsupported. No partial result: any error fails the whole render.
Result<std::vector<Object>> RenderDirectory(const std::string& repo_root,
                                            const ApplicationSource& source,
                                            const LoadLimits& limits,
                                            const DirectoryOptions& options = DirectoryOptions());

}  // namespace mlgitops
