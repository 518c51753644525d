// Discovery: which resources the API server serves (kind to plural resource, scope, preferred
// version), from aggregated discovery when served and per-group lists otherwise; cached.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kube/retry.h"
#include "object/clock.h"
#include "object/status.h"

namespace mlgitops {

struct ResourceInfo {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  std::string resource;  // the plural, as in URLs: "deployments"
  std::string singular;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> verbs;
  std::vector<std::string> subresources;  // "status", "scale"
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  bool HasSubresource(std::string_view name) const;
  /// Whether users may call this resource `name` as kubectl allows, case-insensitive: plural,
  /// singular, short name or kind, optionally followed by ".group" ("deployments.apps").
  bool Matches(std::string_view name) const;
};

struct DiscoveryOptions {
  /// How long a loaded view is trusted; a miss refreshes it sooner.
  std::chrono::seconds ttl{600};
};

/// Thread-safe. Loads lazily: the group lists on first use, and (without aggregated discovery)
/// each group version's resource list when first needed.
class Discovery {
 public:
  Discovery(const RetryingSender* sender, const Clock* clock, DiscoveryOptions options = {});

  /// The resource for `kind` in `group` at `version` (the preferred version when empty). A miss
  /// reloads the view once first, so a CRD established a moment ago is found.
  Result<ResourceInfo> ForKind(const std::string& group, const std::string& version,
                               const std::string& kind);
  /// A resource named as kubectl accepts it, case-insensitive: plural, singular, short name or
  /// kind, optionally qualified by group ("deploy", "deployments.apps", "PyTorchJob",
  /// "pytorchjobs.kubeflow.org"). Searches preferred versions; the server's group order breaks
  /// ties.
  Result<ResourceInfo> Resolve(std::string_view name);
  /// Every resource of every group's preferred version.
  Result<std::vector<ResourceInfo>> PreferredResources();
  /// Forgets the view; the next lookup reloads it.
  void Invalidate();

  /// Whether the last load got aggregated discovery.
  bool aggregated() const;
  /// Loads of the group lists so far (a cache hit costs none).
  int loads() const;

 private:
  struct Group {
    std::string name;
    std::vector<std::string> versions;                           // preferred first
    std::map<std::string, std::vector<ResourceInfo>> resources;  // by version, once fetched
  };
  /// What /api or /apis said, kept with its ETag for conditional reloads.
  struct Root {
    std::string etag;
    bool aggregated = false;
    std::vector<Group> groups;
  };

  Status LoadLocked();
  Status FetchRootLocked(const std::string& path, Root* root);
  Status EnsureResourcesLocked(Group& group, const std::string& version);
  bool StaleLocked() const;
  Group* FindGroupLocked(const std::string& name);
  const ResourceInfo* FindKindLocked(const std::string& group, const std::string& version,
                                     const std::string& kind, Status* error);
  Result<std::vector<ResourceInfo>> PreferredLocked();
  template <typename Lookup>
  auto WithRefreshOnMiss(Lookup lookup) -> decltype(lookup());

  const RetryingSender* sender_;
  const Clock* clock_;
  DiscoveryOptions options_;
  mutable std::mutex mu_;
  Root core_;    // /api
  Root groups_;  // /apis
  bool loaded_ = false;
  int64_t loaded_at_ = 0;
  int loads_ = 0;
};

}  // namespace mlgitops
