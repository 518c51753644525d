// The source pipeline: fetch every source of an Application from Git (clone cache), render it
// (directory, kustomize or helm), reuse rendered manifests per commit, apply the namespace rule.
#pragma once

#include <string>
#include <vector>

#include "app/application.h"
#include "object/object.h"
#include "object/status.h"
#include "object/yaml_loader.h"
#include "source/git_credentials.h"
#include "source/render.h"
#include "sys/process.h"

namespace mlgitops {

struct AppRenderOptions {
  std::string revision_override;  // replaces the first source's targetRevision when set
  std::string cache_dir;          // "" = DefaultCacheDir(getenv)
  bool offline = false;           // never contact remotes; use what the cache has
  LoadLimits limits;
  RenderOptions render;
  CredentialStore* credentials = nullptr;  // null = anonymous (URL userinfo still applies)
  ProcessRunner* runner = nullptr;         // kubectl kustomize / helm; null = the system's
  GetEnvFn getenv;                         // null = the process environment
};

struct RenderedApplication {
  std::vector<Object> objects;         // in source order, destination namespace applied
  std::vector<std::string> revisions;  // resolved commit SHA per source, in order
  bool from_cache = false;             // every manifest-producing source came from the cache
  std::vector<std::string> warnings;   // e.g. a later source's object replacing an earlier one
};

/// Fetches and renders every source of `app`. Sources with `ref` and no `path` contribute no
/// manifests but their checkouts serve `$ref/...` Helm value files. Objects of later sources
/// replace same-named earlier ones, with a warning (as Argo CD). No partial result.
Result<RenderedApplication> RenderApplication(const Application& app,
                                              const AppRenderOptions& options);

}  // namespace mlgitops
