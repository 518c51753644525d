// Comparing an Application's desired manifests with the cluster, as Argo CD's reconcile does:
// per-resource sync status and diff, what requires pruning, the app's sync status and health.
// Backs `diff`, `get APP` and the controller's auto-sync and self-heal decisions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/application.h"
#include "health/assessor.h"
#include "health/health.h"
#include "kube/client.h"
#include "object/object.h"
#include "object/status.h"
#include "policy/conventions.h"
#include "sync/diff.h"

namespace mlgitops {

inline constexpr std::string_view kSynced = "Synced";
inline constexpr std::string_view kOutOfSync = "OutOfSync";
inline constexpr std::string_view kSyncUnknown = "Unknown";

/// One managed resource: desired, live, or both.
struct ResourceComparison {
  ObjectRef ref;
  std::string api_version;
  std::string status;  // Synced, OutOfSync, Unknown (its comparison failed: see `message`)
  /// Tracked in the cluster but no longer desired.
  bool requires_pruning = false;
  bool live_missing = false;  // desired, not in the cluster (would be created)
  HealthStatus health{HealthCode::kMissing, ""};
  /// The normalised diff (ignoreDifferences applied, Secrets masked); `diff.text` is "" when
  /// the resource is Synced.
  ResourceDiff diff;
  std::string message;  // why the comparison failed, or a note ("kind not served yet")
  /// The live object is tracked by this other app (a shared resource the sync will not write).
  std::string shared_with;
};

struct AppComparison {
  std::string sync_status;  // Synced, OutOfSync or Unknown (a resource could not be compared)
  HealthStatus health;      // worst non-hook resource (Argo CD §3.5)
  std::vector<ResourceComparison> resources;  // desired in manifest order, then prunes by ref
  std::vector<std::string> errors;            // "group/Kind ns/name: message" per failure
  /// Kinds the account may not list (UnlistedKindsWarning): the comparison cannot see them.
  std::vector<std::string> warnings;
  /// "KIND NS/NAME is part of applications A and B", per desired object another app tracks.
  std::vector<std::string> shared;
  /// With CompareOptions::find_orphans: objects in the destination namespace that no app
  /// tracks and nothing owns (Argo CD's orphaned resources), sorted.
  std::vector<ObjectRef> orphaned;

  int CountOutOfSync() const;
  int CountRequiresPruning() const;
  /// OutOfSync only because of resources that need pruning (nothing to apply).
  bool OnlyPruningNeeded() const;
  /// Every resource needs pruning: nothing desired is left (the allowEmpty guard).
  bool AllRequirePruning() const;
};

struct CompareOptions {
  const HealthAssessor* assessor = nullptr;  // null: built-in checks only
  const Conventions* conventions = nullptr;  // null: DefaultConventions()
  int64_t now_unix = 0;
  std::string field_manager = "mlgitops";
  int parallelism = 8;
  bool find_orphans = false;  // fill AppComparison::orphaned
};

/// Compares `desired` (rendered, destination namespace applied) with the cluster. Each desired
/// object is dry-run applied with the app's tracking id and the server's answer compared with
/// the live object through NormalizeForDiff/DiffResource, honouring app.ignore_differences.
/// Hooks and Skip resources are left out. A desired object whose kind is not served yet (its CRD
/// comes with the app) or whose namespace does not exist yet compares as "would be created".
/// Fails only when the tracked objects cannot be listed; per-resource failures make the
/// resource (and the app) Unknown.
Result<AppComparison> CompareApp(KubeClient& client, const Application& app,
                                 const std::string& app_instance,
                                 const std::vector<Object>& desired,
                                 const CompareOptions& options = CompareOptions());

/// "Synced"/"OutOfSync" per resource and the "requires pruning" mark, one line each, for logs.
std::string ComparisonSummary(const AppComparison& comparison);

}  // namespace mlgitops
