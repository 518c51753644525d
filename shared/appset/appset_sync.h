// Reconciling an ApplicationSet's generated Applications with the ones it already owns (create,
// update, delete per applicationsSync), writing them, and syncing each across its clusters.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "app/application.h"
#include "appset/appset.h"
#include "appset/expand.h"
#include "kube/client.h"
#include "object/object.h"
#include "object/status.h"
#include "sync/syncer.h"

namespace mlgitops {

/// On every generated Application: the name of the ApplicationSet that owns it.
inline constexpr char kAppSetLabel[] = "mlgitops.io/appset";

enum class AppAction { kCreate, kUpdate, kUnchanged, kDelete };
std::string_view AppActionName(AppAction action);

/// What applicationsSync allows (Argo CD: create-only, create-update, create-delete, sync).
struct AppSetSyncPolicy {
  bool allow_update = true;
  bool allow_delete = true;
  bool preserve_resources_on_deletion = false;
  std::string name = "sync";
  static Result<AppSetSyncPolicy> Of(const ApplicationSet& appset);
};

/// The ApplicationSet as an owner: a CR in the cluster has a uid, a file does not (then the
/// generated apps carry only the label).
struct AppSetOwner {
  std::string api_version;
  std::string name;
  std::string namespace_;
  std::string uid;
  static AppSetOwner Of(const ApplicationSet& appset, std::string uid = "");
};

struct PlannedApp {
  std::string name;
  AppAction action = AppAction::kUnchanged;
  /// Create/update: the Application to write; unchanged: the one in the cluster (or the
  /// generated one when the policy held an update back); delete: the one in the cluster.
  Object object;
  Application app;  // `object`, parsed
  std::string note;
};

struct AppSetSyncPlan {
  std::vector<PlannedApp> apps;  // generated ones in generation order, then deletions
  /// Changes the policy held back, apps owned by someone else, invalid generated apps, and
  /// the outage guard ("not deleting 2 Applications: the generators failed").
  std::vector<std::string> notes;
  bool generators_failed = false;
  int Count(AppAction action) const;
  /// The apps that should be synced (everything but deletions).
  std::vector<const PlannedApp*> ToSync() const;
};

/// Whether `existing` (an Application object) belongs to `owner`: an ownerReference to the
/// ApplicationSet, or the mlgitops.io/appset label.
bool OwnedBy(const Object& existing, const AppSetOwner& owner);

/// Plans the writes. `existing` may hold every Application in the namespace: those not owned
/// by the AppSet are never touched (a generated name that collides with one is a note).
/// A failed expansion, or one with errors, deletes nothing: a generator that returned less
/// after an outage must not take Applications down with it.
AppSetSyncPlan PlanAppSetSync(const Result<AppSetExpansion>& expansion,
                              const std::vector<Object>& existing, const AppSetOwner& owner,
                              const AppSetSyncPolicy& policy);

struct AppSetApplyOptions {
  bool dry_run = false;
  std::string field_manager = "mlgitops";
};

struct AppSetApplyResult {
  bool in_cluster = false;          // written as CRs; else kept in memory only
  std::vector<std::string> errors;  // per app: "create Application ml/x: message"
  std::vector<std::string> done;    // per app: "created Application ml/x"
};

/// Writes the plan's Application CRs through `client` when it serves the Application CRD of
/// the AppSet's group, else keeps them in memory (nothing written). With
/// preserveResourcesOnDeletion the resources finalizer is dropped before a delete, so the
/// app's workloads stay.
AppSetApplyResult ApplyAppSetPlan(KubeClient* client, const AppSetSyncPlan& plan,
                                  const AppSetOwner& owner, const AppSetSyncPolicy& policy,
                                  const AppSetApplyOptions& options);

/// The real sync in the CLI, a fake in tests.
using AppSyncFn = std::function<Result<SyncResult>(const Application&)>;

struct AppSyncOutcome {
  std::string app;      // the Application's name
  std::string cluster;  // its destination: name, else server
  std::string step;     // "step 2" for RollingSync, "" otherwise
  bool attempted = false;
  bool synced = false;
  bool healthy = false;
  std::string phase;   // of the sync: Succeeded, Failed, Terminated; "Error" when it could not run
  std::string health;  // Healthy, Degraded, ...
  std::string message;
  bool ok() const { return attempted && synced && healthy; }
};

struct AppSetSyncReport {
  std::vector<AppSyncOutcome> apps;
  std::vector<std::string> notes;  // "stopped at step 2: Application fraud-staging is Degraded"
  bool stopped = false;
  bool ok() const;
};

/// The destination an app's sync goes to, as reports group it.
std::string DestinationOf(const Application& app);

/// Runs `sync` for one app and judges it: Synced (Succeeded, nothing left to prune) and
/// Healthy (the worst non-hook resource).
AppSyncOutcome SyncAndJudge(const Application& app, const AppSyncFn& sync);

/// AllAtOnce: each destination cluster's apps in turn, clusters in parallel (at most
/// `cluster_parallelism`); an unreachable cluster fails only its own apps.
AppSetSyncReport SyncAllAtOnce(const std::vector<const Application*>& apps, const AppSyncFn& sync,
                               int cluster_parallelism = 4);

/// Prints outcomes grouped per cluster: "cluster https://...: 2 of 3 apps failed".
std::vector<std::string> ClusterSummary(const AppSetSyncReport& report);

}  // namespace mlgitops
