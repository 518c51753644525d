// The sync engine: brings the cluster to an Application's rendered manifests in Argo CD's order
// (PreSync hooks, waves, PostSync; SyncFail on failure), gating each wave on the health of the
// last.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "app/application.h"
#include "health/assessor.h"
#include "health/health.h"
#include "kube/client.h"
#include "object/clock.h"
#include "object/object.h"
#include "plan/plan.h"
#include "policy/conventions.h"

namespace mlgitops {

/// On a training job: "running" lets the next wave start once the job runs cleanly, instead of
/// waiting for it to complete (Argo CD's behaviour, and ours by default).
inline constexpr std::string_view kWaveGateAnnotation = "mlgitops.io/wave-gate";
/// "true" on a resource: its health never holds back the next wave (it still counts for the
/// app's health). Argo CD's sync option SkipHealthCheck=true means the same.
inline constexpr std::string_view kSkipHealthGateAnnotation = "mlgitops.io/skip-health-gate";
inline constexpr std::string_view kSyncOptionsAnnotation = "argocd.argoproj.io/sync-options";

/// One resource's outcome, in Argo CD's terms.
struct ResourceResult {
  ObjectRef ref;
  std::string api_version;
  SyncPhase phase = SyncPhase::kSync;
  int64_t wave = 0;
  bool hook = false;
  /// created, configured, unchanged, pruned, prune-skipped, deleted (a hook), or "" (not reached).
  std::string action;
  /// Synced, SyncFailed, Pruned, PruneSkipped; "" while not reached.
  std::string status;
  HealthStatus health{HealthCode::kMissing, ""};
  bool health_known = false;  // judged at least once (else `health` means nothing yet)
  std::string message;
};

/// Succeeded, Failed (a resource failed, went Degraded or timed out) or Terminated (interrupted).
struct SyncResult {
  std::string phase;
  std::string message;
  bool dry_run = false;
  std::vector<std::string> revisions;
  int64_t started_at = 0;
  int64_t finished_at = 0;
  std::vector<ResourceResult> resources;  // in plan order, then prunes
  /// Tracked objects no longer in Git that were left in place (no --prune, or Prune=false).
  int prune_skipped = 0;
  /// Kinds that could not be listed (Forbidden): their objects were neither tracked nor pruned.
  std::vector<std::string> warnings;
  /// Desired objects another app tracks, left as they are (SharedResourceWarning).
  std::vector<std::string> shared;
  /// The manifests came from the rendered-manifest cache (set by the caller that rendered).
  bool rendered_from_cache = false;
  bool succeeded() const { return phase == "Succeeded"; }
};

/// What a sync tells whoever watches it (the terminal, a log, the controller). Called from the
/// syncing thread only.
class SyncObserver {
 public:
  virtual ~SyncObserver() = default;
  /// A new group starts: "PreSync", "wave 2", "PostSync", "prune", ...; `index` counts from 1.
  virtual void OnGroup(const std::string& /*label*/, int /*index*/, int /*total*/) {}
  virtual void OnResource(const ResourceResult& /*result*/) {}
  /// What the sync is waiting for now ("" when nothing).
  virtual void OnWaiting(const std::string& /*what*/) {}
  virtual void OnMessage(const std::string& /*text*/) {}
};

struct SyncOptions {
  bool dry_run = false;
  bool prune = false;  // --prune, or automated.prune
  /// Take over fields other managers own when applying (server-side apply `force`); hooks are
  /// recreated even without BeforeHookCreation.
  bool force = false;
  /// Selective sync: only these resources ("KIND/NAME", "GROUP/KIND/NAME", optionally with
  /// "NAMESPACE/" before the name as Argo CD's GROUP:KIND:NS/NAME); hooks do not run.
  std::vector<std::string> resources;
  /// The whole operation; zero means no limit.
  std::chrono::milliseconds timeout{0};
  /// One group (wave or hook phase) reaching health; zero means no limit.
  std::chrono::milliseconds wave_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds poll_interval{500};
  int parallelism = 8;
  std::string field_manager = "mlgitops";
  /// Set from another thread (Ctrl-C) to stop between steps.
  const std::atomic<bool>* cancel = nullptr;
};

/// What to sync: the app and its rendered manifests (destination namespace applied).
struct SyncInput {
  const Application* app = nullptr;
  /// The name tracking ids carry (AppInstanceName).
  std::string app_instance;
  std::vector<Object> desired;
  std::vector<std::string> revisions;
};

class Syncer {
 public:
  /// Everything given must outlive the Syncer.
  Syncer(KubeClient& client, const HealthAssessor& assessor, const Conventions& conventions,
         const Clock& clock);

  /// Runs one sync operation to its end. Problems with the cluster or the manifests are a
  /// Failed result naming the resource, never a crash; the returned Status is an error only when
  /// the input itself is unusable (no app, manifests without names).
  Result<SyncResult> Run(SyncInput input, const SyncOptions& options,
                         SyncObserver* observer = nullptr);

 private:
  KubeClient& client_;
  const HealthAssessor& assessor_;
  const Conventions& conventions_;
  const Clock& clock_;
};

/// The value of sync option `key` for one resource: its `argocd.argoproj.io/sync-options`
/// annotation wins over the app's syncPolicy.syncOptions.
std::optional<std::string> ResourceSyncOption(const Object& object, const Application& app,
                                              std::string_view key);

/// The sync options (the app's syncPolicy.syncOptions and each object's
/// argocd.argoproj.io/sync-options) this engine does not carry out, one line each, e.g.
/// "ApplyOutOfSyncOnly=true (the application's syncOptions): not supported, every object is
/// applied". Unknown names and unsupported values both count; Argo CD's option names that
/// are honoured (or already the behaviour, such as ServerSideApply=true) do not.
std::vector<std::string> UnsupportedSyncOptions(const Application& app,
                                                const std::vector<Object>& desired);

/// Whether `ref` is selected by one of the --resource filters (see SyncOptions::resources).
bool MatchesResourceFilter(const ObjectRef& ref, const std::vector<std::string>& filters);

/// The app's health after a sync: the worst of the resources it applied (hooks, prunes and
/// steps never reached left out), as Argo CD aggregates app health.
HealthStatus SyncedAppHealth(const SyncResult& result);

/// "Succeeded" results as JSON: {phase, message, dryRun, revisions, startedAt, finishedAt,
/// resources: [{group, version, kind, namespace, name, phase, wave, hook, action, status,
/// health, healthMessage, message}]}.
std::string SyncResultToJson(const SyncResult& result, bool pretty = false);

}  // namespace mlgitops
