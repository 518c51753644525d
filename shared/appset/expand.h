// Expanding an ApplicationSet into Applications: run its generators, render the template once
// per parameter set, validate each result. A bad element is reported and skipped, never fatal.
#pragma once

#include <string>
#include <vector>

#include "app/application.h"
#include "appset/appset.h"
#include "appset/generators.h"

namespace mlgitops {

struct ExpandOptions {
  /// Argo CD's behaviour: keep `{{missing}}` literally (goTemplate: `<no value>`). Default:
  /// a missing parameter is an error naming the generator element and the key.
  bool allow_missing = false;
  std::string cache_dir;  // Git clone cache; "" = DefaultCacheDir of the process environment
  GitFetchOptions git;
  const CredentialStore* credentials = nullptr;  // per repository URL; null = git.credentials
  ClusterSource* clusters = nullptr;             // null: the clusters generator sees in-cluster
  LoadLimits limits;
};

struct GeneratedApp {
  Object object;       // the rendered Application
  Application app;     // the same, parsed
  Object params;       // the parameter set that made it
  std::string origin;  // the generator element, e.g. "spec.generators[0].list.elements[2]"
};

struct AppSetExpansion {
  std::vector<GeneratedApp> apps;
  /// Generated Applications that were invalid (render error, bad field, duplicate name): each
  /// names the element, its params and the problem. Those apps are skipped; others proceed.
  std::vector<std::string> errors;
};

/// Fails only when a generator cannot run at all (bad spec, Git or cluster list unreachable):
/// then nothing may be created or deleted on the strength of a partial result.
Result<AppSetExpansion> ExpandAppSet(const ApplicationSet& appset, const ExpandOptions& options);

}  // namespace mlgitops
