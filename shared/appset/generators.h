// ApplicationSet generators: list, clusters, git directories/files, matrix and merge, each
// producing parameter sets (flat dotted keys for fasttemplate, nested maps for goTemplate).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "appset/appset.h"
#include "appset/template.h"
#include "cluster/registry.h"
#include "object/object.h"
#include "object/status.h"
#include "source/git_credentials.h"
#include "source/git_repo.h"

namespace mlgitops {

// ClusterInfo (cluster/registry.h): a registered destination; the generator reads its name,
// server, labels, annotations and project.

/// Where the clusters generator finds registered clusters (cluster Secrets in a real cluster).
class ClusterSource {
 public:
  virtual ~ClusterSource() = default;
  virtual Result<std::vector<ClusterInfo>> Clusters() = 0;
};

/// A fixed list of clusters: for tests and for commands run without a cluster registry.
class InMemoryClusterSource : public ClusterSource {
 public:
  explicit InMemoryClusterSource(std::vector<ClusterInfo> clusters)
      : clusters_(std::move(clusters)) {}
  Result<std::vector<ClusterInfo>> Clusters() override { return clusters_; }

 private:
  std::vector<ClusterInfo> clusters_;
};

/// One parameter set and the generator element that made it.
struct ParamSet {
  Object params;       // a JSON object
  std::string origin;  // "spec.generators[0].list.elements[2]"
};

/// What the generators may read, and how their templates (values, matrix children) render.
struct GeneratorContext {
  TemplateOptions template_options;
  GitRepoCache* git = nullptr;  // null: a git generator is an error
  GitFetchOptions git_options;
  const CredentialStore* credentials = nullptr;  // per repository; null = git_options' own
  ClusterSource* clusters = nullptr;             // null: only the local cluster
  LoadLimits limits;
  /// Snapshots already checked out in this expansion, by "url@revision".
  std::map<std::string, GitSnapshot> checkouts;
};

/// Runs one generator entry (and its children), then its `selector` post-filter.
Result<std::vector<ParamSet>> RunGenerator(const GeneratorSpec& spec, GeneratorContext& context);

/// Go's path.Match, plus `**` matching across '/' (as Argo CD's file globs do).
bool MatchPathPattern(std::string_view pattern, std::string_view path);

}  // namespace mlgitops
