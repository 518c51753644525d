// The application controller: every interval it compares each Application CR with its rendered
// manifests, writes sync status, health and conditions back, and auto-syncs, self-heals and
// orders apps (mlgitops.io/depends-on) the way Argo CD's controller decides (§3.3, §3.4).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/application.h"
#include "health/assessor.h"
#include "kube/client.h"
#include "object/clock.h"
#include "object/object.h"
#include "object/status.h"
#include "policy/conventions.h"
#include "project/project_store.h"
#include "sync/comparison.h"
#include "sync/syncer.h"

namespace mlgitops {

/// "app-a,app-b" on an Application: it is not auto-synced until those apps (same namespace)
/// are recorded Synced and Healthy.
inline constexpr std::string_view kDependsOnAnnotation = "mlgitops.io/depends-on";

/// What a render produced: the manifests and the revision(s) they came from.
struct DesiredManifests {
  std::vector<Object> objects;
  std::vector<std::string> revisions;
};
/// Renders an app at `revision` ("" = its targetRevision). Supplied by the CLI (Git or a local
/// root) and by tests.
using RenderFn =
    std::function<Result<DesiredManifests>(const Application& app, const std::string& revision)>;

/// One entry of status.conditions.
struct AppCondition {
  std::string type;  // SyncError, ComparisonError, DependencyNotReady, DependencyCycle, ...
  std::string message;
  int64_t last_transition = 0;
};

/// What the controller reads back from an Application's status between passes.
struct RecordedAppStatus {
  std::string sync_status;  // as last written ("" = never compared)
  std::string health;
  bool has_operation = false;  // an operation was recorded (operationState)
  std::vector<std::string> revisions;
  /// SourceFingerprint of the spec the last operation ran with ("" when not recorded).
  std::string source;
  std::string phase;  // Succeeded, Failed, Terminated
  std::string message;
  int64_t finished_at = 0;
  int64_t self_heal_attempts = 0;
  std::vector<AppCondition> conditions;
};

/// Parses what RecordedAppStatus holds from an Application's `status` (exposed for tests).
RecordedAppStatus ParseRecordedStatus(const JsonValue& status);

/// Argo CD's self-heal backoff (controller defaults): attempt n after n-1 earlier ones waits
/// initial × factor^(n-2) from the previous operation's finish, capped; the first is immediate.
/// A count older than `cooldown_seconds` starts over.
struct SelfHealBackoff {
  int64_t initial_seconds = 2;
  int64_t factor = 3;
  int64_t cap_seconds = 300;
  int64_t cooldown_seconds = 330;
};

/// Seconds to wait after the previous operation before a self-heal, given how many self-heal
/// attempts came before it: 0, 2, 6, 18, 54, 162, 300, 300, ...
int64_t SelfHealDelaySeconds(int64_t previous_attempts, const SelfHealBackoff& backoff);

/// The wait before retry number `retry` (0 = the first retry): duration × factor^retry, capped
/// at maxDuration.
std::chrono::milliseconds RetryDelay(const RetryBackoff& backoff, int64_t retry);

/// How many times a failed automated sync is retried: retry.limit, or 5 when the app has no
/// retry policy (negative = unlimited).
int64_t AutoSyncRetryLimit(const Application& app);

/// A stable text of the app's sources (repo, path, revision, tool options): an automated sync
/// that failed is tried again only once this or the revision changes.
std::string SourceFingerprint(const Application& app);

/// The app names of the depends-on annotation, trimmed, empty entries dropped.
std::vector<std::string> DependsOn(const Application& app);

enum class AutoSyncAction {
  kNone,      // nothing to do (see reason; a condition may say why)
  kSync,      // sync everything to the new revision/spec
  kSelfHeal,  // re-sync the drifted resources to the same revision
  kBackoff,   // self-heal is due later (retry_at)
};

struct AutoSyncDecision {
  AutoSyncAction action = AutoSyncAction::kNone;
  std::string reason;
  std::optional<AppCondition> condition;  // to show on the app (SyncError, DependencyNotReady)
  bool prune = false;
  int64_t retry_at = 0;            // kBackoff: when the self-heal may run
  int64_t self_heal_attempts = 0;  // the count the operation carries
};

/// The state the decision is made in, besides the app and the comparison.
struct AutoSyncState {
  std::vector<std::string> revisions;  // what was rendered now
  std::string source;                  // SourceFingerprint(app)
  RecordedAppStatus recorded;
  /// Set when a dependency holds the app back (DependencyNotReady or DependencyCycle).
  std::optional<AppCondition> dependency_wait;
};

/// Argo CD's alreadyAttemptedSync: the last operation ran the same revisions with the same
/// source spec (an unrecorded spec counts as the same).
bool AlreadyAttempted(const AutoSyncState& state);

/// SyncError "Failed last sync attempt to <rev>: <message>" when the last operation already
/// attempted this revision and spec and failed: automated sync will not try it again.
std::optional<AppCondition> FailedAttemptCondition(const AutoSyncState& state);

/// Argo CD's auto-sync decision (§3.3), as a pure function of its inputs.
AutoSyncDecision DecideAutoSync(const Application& app, const AutoSyncState& state,
                                const AppComparison& comparison, int64_t now,
                                const SelfHealBackoff& backoff = SelfHealBackoff());

/// "namespace/name" → the cycle through it ("a -> b -> a"), for apps whose depends-on
/// annotations form a cycle within their namespace.
std::map<std::string, std::string> FindDependencyCycles(const std::vector<Application>& apps);

/// Indices of `apps` with every app after the apps it depends on (cycles broken arbitrarily).
std::vector<size_t> DependencyOrder(const std::vector<Application>& apps);

/// "waiting for app-a (OutOfSync, Progressing), app-b (not found)", or "" when every
/// dependency is recorded Synced and Healthy. `recorded` is keyed "namespace/name".
std::string DependencyBlocker(const Application& app,
                              const std::map<std::string, RecordedAppStatus>& recorded);

struct ControllerOptions {
  std::string namespace_;  // Applications in this namespace; "" = all namespaces
  std::chrono::milliseconds interval{std::chrono::minutes(3)};
  /// Where AppProjects are read; apps outside it are tracked as "<namespace>_<name>"
  /// (AppInstanceName) and may use only projects whose sourceNamespaces list their namespace.
  std::string control_namespace = kDefaultControlNamespace;
  /// Every app must act through a ServiceAccount its project maps for the destination
  /// (destinationServiceAccounts); false: apps whose project maps none act as the controller
  /// (single-tenant mode).
  bool require_impersonation = false;
  /// Wave timeout, poll interval, field manager and parallelism of the syncs it runs.
  SyncOptions sync;
  SelfHealBackoff self_heal;
  /// Waits between retries of a failed sync; null sleeps for real (stopping early on cancel).
  std::function<void(std::chrono::milliseconds)> sleep;
  /// One line per event (no timestamp; the caller adds one). Null = silent.
  std::function<void(const std::string&)> log;
  /// Connects an app's destination cluster (the cluster registry); null: only apps whose
  /// destination is the controller's own cluster are reconciled.
  std::function<Result<KubeClient*>(const Application&)> destination;
  /// Destination clusters reconciled at once (one lane each).
  int cluster_parallelism = 4;
  const std::atomic<bool>* cancel = nullptr;
};

/// What one pass did to one app.
struct AppReconcileReport {
  std::string app;  // namespace/name
  std::string sync_status;
  std::string health;
  AutoSyncAction action = AutoSyncAction::kNone;
  std::string reason;
  std::string sync_phase;  // of the sync it ran, "" when none
  std::vector<AppCondition> conditions;
};

class Controller {
 public:
  /// Everything given must outlive the controller. The destination of every app is `client`'s
  /// cluster (apps naming another server get an InvalidSpecError condition).
  Controller(KubeClient& client, RenderFn render, const HealthAssessor& assessor,
             const Conventions& conventions, const Clock& clock, ControllerOptions options);

  /// One pass over every Application. Fails only when the Applications cannot be listed; one
  /// app's trouble is a condition on that app.
  Result<std::vector<AppReconcileReport>> ReconcileOnce();

  /// Passes every interval until `options.cancel` is set.
  void Run();

 private:
  struct ManagedApp;
  Result<std::vector<ManagedApp>> ListApps();
  AppReconcileReport ReconcileApp(ManagedApp& managed, const std::string& cycle,
                                  const std::map<std::string, RecordedAppStatus>& recorded);
  Result<SyncResult> SyncWithRetries(KubeClient& destination, const Application& app,
                                     const DesiredManifests& desired,
                                     const AutoSyncDecision& decision,
                                     const AppComparison& comparison, int64_t* retries);
  void Sleep(std::chrono::milliseconds duration);
  void SleepUnlessCancelled(std::chrono::milliseconds duration) const;
  bool Cancelled() const { return options_.cancel && options_.cancel->load(); }
  void Log(const std::string& line) const;

  KubeClient& client_;
  RenderFn render_;
  const HealthAssessor& assessor_;
  const Conventions& conventions_;
  const Clock& clock_;
  ControllerOptions options_;
  bool default_project_ensured_ = false;  // EnsureDefaultProject succeeded once
};

std::string_view AutoSyncActionName(AutoSyncAction action);  // "none", "sync", ...

}  // namespace mlgitops
