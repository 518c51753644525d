// AppProject: the tenancy boundary of Argo CD (argoproj.io/v1alpha1) and mlgitops
// (mlgitops.io/v1alpha1) as plain structs, and the pure checks of what a project permits.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/application.h"
#include "object/object.h"
#include "object/status.h"

namespace mlgitops {

/// The project an Application without `spec.project` uses; Argo CD's built-in one permits
/// everything.
inline constexpr std::string_view kDefaultProject = "default";

struct ProjectDestination {
  std::string server;  // glob; `!` negates
  std::string name;    // glob; `!` negates
  std::string namespace_;
};

struct GroupKindPattern {
  std::string group;  // glob ("" = core)
  std::string kind;   // glob
};

struct DestinationServiceAccount {
  std::string server;  // glob
  std::string namespace_;
  /// "sa" (in the destination namespace) or "ns:sa".
  std::string default_service_account;
};

enum class SyncWindowKind { kAllow, kDeny };

struct SyncWindow {
  SyncWindowKind kind = SyncWindowKind::kAllow;
  std::string schedule;  // cron: minute hour day-of-month month day-of-week
  std::string duration;  // "1h", "30m", "1h30m"
  std::vector<std::string> applications;
  std::vector<std::string> namespaces;
  std::vector<std::string> clusters;
  bool manual_sync = false;
  std::string time_zone;  // "" = UTC
};

struct AppProject {
  std::string api_version;
  std::string name;
  std::string namespace_;
  std::vector<std::string> source_repos;  // globs; `!` negates; none = nothing allowed
  std::vector<ProjectDestination> destinations;
  /// Argo CD: an absent or empty cluster whitelist permits no cluster-scoped kind.
  std::vector<GroupKindPattern> cluster_resource_whitelist;
  std::vector<GroupKindPattern> cluster_resource_blacklist;
  /// Argo CD: absent = every namespaced kind; present but empty = none.
  std::optional<std::vector<GroupKindPattern>> namespace_resource_whitelist;
  std::vector<GroupKindPattern> namespace_resource_blacklist;
  std::vector<std::string> source_namespaces;  // globs
  std::vector<DestinationServiceAccount> destination_service_accounts;
  std::vector<SyncWindow> sync_windows;
  /// spec.orphanedResources: set = orphaned resources are looked for; `warn` raises the
  /// OrphanedResourceWarning condition; `ignore` entries (group, kind, name globs) never count.
  struct OrphanedResources {
    bool warn = false;
    std::vector<GroupKindPattern> ignore;
    std::vector<std::string> ignore_names;  // parallel to `ignore`; "" = any name
  };
  std::optional<OrphanedResources> orphaned_resources;
  /// Argo CD's built-in default (no AppProject kind served by the cluster).
  bool built_in = false;
};

/// Argo CD's `default` project as it creates it (every repo, destination and kind), for clusters
/// that serve no AppProject kind; apps in any namespace may use it.
AppProject BuiltInDefaultProject();

/// Parses one AppProject object (either group). Errors name the object and the field.
Result<AppProject> ParseAppProject(const Object& object);

/// Argo CD's IsSourcePermitted: URLs compared normalized (lower case, no trailing `/` or
/// `.git`), `*` within one path segment and `**` across; a `!` pattern that matches denies,
/// one that does not counts as a match (so `['!x']` alone permits every other repo).
bool IsSourcePermitted(const AppProject& project, const std::string& repo_url);

/// Argo CD's isDestinationMatched: (server or name) and namespace match one entry, and no
/// deny entry excludes the destination.
bool IsDestinationPermitted(const AppProject& project, const ApplicationDestination& destination);

/// Argo CD's IsGroupKindPermitted (blacklist beats whitelist; see the fields' defaults).
bool IsGroupKindPermitted(const AppProject& project, const std::string& group,
                          const std::string& kind, bool namespaced);

/// Argo CD's IsAppNamespacePermitted: apps in the control namespace may use any project;
/// others only a project whose sourceNamespaces match their namespace.
bool IsAppNamespacePermitted(const AppProject& project, const Application& app,
                             const std::string& control_namespace);

/// Every rule of the project an Application's spec must meet (namespace, sources,
/// destination). The error (InvalidArgument) is the InvalidSpecError condition's message.
Status CheckApplicationSpec(const AppProject& project, const Application& app,
                            const std::string& control_namespace);

/// How the scope of a manifest's kind is known: true = namespaced; nullopt = unknown.
using ScopeLookup = std::function<std::optional<bool>(const Object& object)>;

/// Every rendered object must be of a kind the project permits and, when namespaced, land in a
/// namespace among its destinations (objects without a namespace go to the app's). The first
/// violation names the object and the rule.
Status CheckManifests(const AppProject& project, const Application& app,
                      const std::vector<Object>& objects, const ScopeLookup& namespaced);

/// The objects among `orphans` the project's orphanedResources.ignore does not exclude, nor
/// Kubernetes' own per-namespace objects (ServiceAccount default, ConfigMap kube-root-ca.crt).
std::vector<ObjectRef> CountedOrphans(const AppProject& project,
                                      const std::vector<ObjectRef>& orphans);

/// The ServiceAccount to impersonate for `destination` ("system:serviceaccount:NS:NAME"), from
/// the first matching destinationServiceAccounts entry; NotFound when none matches.
Result<std::string> ImpersonationUserFor(const AppProject& project,
                                         const ApplicationDestination& destination);

}  // namespace mlgitops
