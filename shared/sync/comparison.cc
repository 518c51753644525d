// CompareApp: dry-run each desired object in parallel, diff it against the live one, list what
// the app tracks but no longer wants, and judge the live objects' health.
#include "sync/comparison.h"

#include <set>

#include "kube/errors.h"
#include "kube/live_health.h"
#include "plan/plan.h"
#include "sync/live_objects.h"
#include "sync/parallel.h"
#include "sync/tracking.h"

namespace mlgitops {

namespace {

constexpr std::string_view kIgnoreHealthcheckAnnotation = "argocd.argoproj.io/ignore-healthcheck";

bool LeftOutOfComparison(const Object& obj) {
  HookInfo hook = ReadHook(obj);
  return hook.is_hook || hook.skip;
}

std::string ErrorLine(const ResourceComparison& r) { return r.ref.ToString() + ": " + r.message; }

/// The live object's health, as the sync engine judges it: status written for an older
/// generation says nothing yet.
HealthStatus JudgeLive(KubeClient& client, const Object& live, const CompareOptions& options) {
  int64_t generation = GetInt(live.json(), "metadata.generation").value_or(0);
  auto observed = GetInt(live.json(), "status.observedGeneration");
  if (observed && *observed < generation) {
    return HealthStatus{
        HealthCode::kProgressing,
        "waiting for the controller to observe generation " + std::to_string(generation)};
  }
  static const HealthAssessor kBuiltinOnly;
  const HealthAssessor& assessor = options.assessor ? *options.assessor : kBuiltinOnly;
  const Conventions& conventions =
      options.conventions ? *options.conventions : DefaultConventions();
  auto assessed = AssessLiveObject(client, live, assessor, conventions, options.now_unix);
  if (!assessed.ok()) return HealthStatus{HealthCode::kUnknown, assessed.status().message()};
  return assessed->status;
}

class Comparer {
 public:
  Comparer(KubeClient& client, const Application& app, std::string app_instance,
           const CompareOptions& options)
      : client_(client), app_instance_(std::move(app_instance)), options_(options) {
    diff_options_.ignore = app.ignore_differences;
  }

  /// Fills `r` for one desired object; `live` receives the live object when there is one.
  void CompareDesired(const Object& desired, ResourceComparison* r, std::optional<Object>* live) {
    r->ref = desired.ref();
    r->api_version = desired.api_version();
    Object with_id = desired.Clone();
    auto info = client_.Resource(GroupVersionKind::Of(desired));
    if (!info.ok()) {
      if (info.status().code() != Status::Code::kNotFound) return Fail(r, info.status());
      // Its CRD comes with the app (or is missing): it would be created.
      SetTrackingAnnotation(TrackingIdFor(app_instance_, with_id, !desired.namespace_().empty()),
                            &with_id);
      r->message = "kind not served by the cluster yet";
      return Finish(r, nullptr, &with_id);
    }
    SetTrackingAnnotation(TrackingIdFor(app_instance_, with_id, info->namespaced), &with_id);
    auto got = client_.Get(ObjectKey::Of(with_id));
    if (got.ok()) {
      if (auto other = TrackedByAnotherApp(*got, app_instance_)) r->shared_with = *other;
      *live = std::move(*got);
    } else if (got.status().code() != Status::Code::kNotFound) {
      return Fail(r, got.status());
    }
    ApplyOptions apply;
    apply.dry_run = true;
    apply.field_manager = options_.field_manager;
    auto dry = client_.Apply(with_id, apply);
    if (!dry.ok()) {
      // A namespace the app creates (or CreateNamespace makes) does not exist yet.
      if (!live->has_value() && dry.status().code() == Status::Code::kNotFound) {
        return Finish(r, nullptr, &with_id);
      }
      if (live->has_value() && HasApiReason(dry.status(), "Invalid")) {
        // The server refuses to change the live object in place (an immutable field, or an
        // invalid manifest): it differs from Git all the same, compared as written there.
        Finish(r, &**live, &with_id);
        r->message = dry.status().Prefixed("dry-run apply").message();
        return;
      }
      return Fail(r, dry.status().Prefixed("dry-run apply"));
    }
    Finish(r, live->has_value() ? &**live : nullptr, &*dry);
  }

  void Finish(ResourceComparison* r, const Object* live, const Object* desired) {
    auto diff = DiffResource(live, desired, diff_options_);
    if (!diff.ok()) return Fail(r, diff.status());
    r->diff = std::move(*diff);
    r->live_missing = live == nullptr;
    r->status = r->diff.differs || r->live_missing ? kOutOfSync : kSynced;
  }

  void ComparePrune(const Object& live, ResourceComparison* r) {
    r->ref = live.ref();
    r->api_version = live.api_version();
    r->requires_pruning = true;
    auto diff = DiffResource(&live, nullptr, diff_options_);
    if (diff.ok()) r->diff = std::move(*diff);
    r->status = kOutOfSync;
  }

  HealthStatus Judge(const Object& live) { return JudgeLive(client_, live, options_); }

 private:
  void Fail(ResourceComparison* r, const Status& status) {
    r->status = kSyncUnknown;
    r->message = status.message();
  }

  KubeClient& client_;
  std::string app_instance_;
  const CompareOptions& options_;
  DiffOptions diff_options_;
};

/// Argo CD's app health: the worst live, non-hook resource not excluded from health; Missing
/// when resources are expected but none exists.
HealthStatus AppHealth(const std::vector<ResourceComparison>& resources,
                       const std::vector<bool>& counts) {
  std::vector<HealthStatus> statuses;
  bool any_live = false;
  for (size_t i = 0; i < resources.size(); ++i) {
    if (resources[i].live_missing) continue;  // shows as OutOfSync instead
    any_live = true;
    if (counts[i]) statuses.push_back(resources[i].health);
  }
  if (!resources.empty() && !any_live) {
    return HealthStatus{HealthCode::kMissing, "none of the app's resources exists"};
  }
  return Worst(statuses);
}

}  // namespace

int AppComparison::CountOutOfSync() const {
  int n = 0;
  for (const ResourceComparison& r : resources) n += r.status != kSynced;
  return n;
}

int AppComparison::CountRequiresPruning() const {
  int n = 0;
  for (const ResourceComparison& r : resources) n += r.requires_pruning;
  return n;
}

bool AppComparison::OnlyPruningNeeded() const {
  bool any = false;
  for (const ResourceComparison& r : resources) {
    if (r.status == kSynced) continue;
    if (!r.requires_pruning) return false;
    any = true;
  }
  return any;
}

bool AppComparison::AllRequirePruning() const {
  if (resources.empty()) return false;
  for (const ResourceComparison& r : resources) {
    if (!r.requires_pruning) return false;
  }
  return true;
}

Result<AppComparison> CompareApp(KubeClient& client, const Application& app,
                                 const std::string& app_instance,
                                 const std::vector<Object>& desired,
                                 const CompareOptions& options) {
  std::vector<const Object*> compared;
  for (const Object& obj : desired) {
    if (!LeftOutOfComparison(obj)) compared.push_back(&obj);
  }
  Comparer comparer(client, app, app_instance, options);
  AppComparison out;
  out.resources.resize(compared.size());
  std::vector<std::optional<Object>> live(compared.size());
  std::vector<bool> counts_for_health(compared.size(), true);
  RunParallel(compared.size(), options.parallelism, [&](size_t i) {
    comparer.CompareDesired(*compared[i], &out.resources[i], &live[i]);
    if (live[i]) out.resources[i].health = comparer.Judge(*live[i]);
  });
  for (size_t i = 0; i < compared.size(); ++i) {
    if (compared[i]->annotation(kIgnoreHealthcheckAnnotation) == std::string("true")) {
      counts_for_health[i] = false;
    }
  }

  std::set<std::string> desired_ids;
  for (const Object& obj : desired) desired_ids.insert(ObjectIdentity(obj));
  std::vector<std::string> unlisted;
  std::vector<ObjectRef> untracked;
  auto tracked =
      ListTrackedObjects(client, app_instance, AppNamespaces(app, desired), options.parallelism,
                         &unlisted, options.find_orphans ? &untracked : nullptr);
  for (ObjectRef& ref : untracked) {
    // A desired object not adopted yet is the app's own, not an orphan.
    if (ref.namespace_ == app.destination.namespace_ && !desired_ids.count(ObjectIdentity(ref))) {
      out.orphaned.push_back(std::move(ref));
    }
  }
  if (!tracked.ok()) return tracked.status().Prefixed(app.DisplayName() + ": comparing");
  if (!unlisted.empty()) out.warnings.push_back(UnlistedKindsWarning(unlisted));
  std::vector<const Object*> prunes;
  for (const Object& obj : *tracked) {
    if (desired_ids.count(ObjectIdentity(obj)) || ReadHook(obj).is_hook) continue;
    prunes.push_back(&obj);
  }
  size_t base = out.resources.size();
  out.resources.resize(base + prunes.size());
  counts_for_health.resize(base + prunes.size(), true);
  RunParallel(prunes.size(), options.parallelism, [&](size_t k) {
    ResourceComparison& r = out.resources[base + k];
    comparer.ComparePrune(*prunes[k], &r);
    r.health = comparer.Judge(*prunes[k]);
  });
  for (size_t k = 0; k < prunes.size(); ++k) {
    if (prunes[k]->annotation(kIgnoreHealthcheckAnnotation) == std::string("true")) {
      counts_for_health[base + k] = false;
    }
  }

  for (const ResourceComparison& r : out.resources) {
    if (!r.shared_with.empty()) {
      out.shared.push_back(SharedResourceText(r.ref, r.shared_with, app_instance));
    }
  }
  bool unknown = false;
  for (const ResourceComparison& r : out.resources) {
    if (r.status == kSyncUnknown) {
      unknown = true;
      out.errors.push_back(ErrorLine(r));
    }
  }
  out.sync_status = unknown                    ? std::string(kSyncUnknown)
                    : out.CountOutOfSync() > 0 ? std::string(kOutOfSync)
                                               : std::string(kSynced);
  out.health = AppHealth(out.resources, counts_for_health);
  return out;
}

std::string ComparisonSummary(const AppComparison& comparison) {
  std::string text;
  for (const ResourceComparison& r : comparison.resources) {
    text += r.ref.ToString() + ": " + r.status;
    if (r.requires_pruning) text += " (requires pruning)";
    if (r.live_missing) text += " (missing)";
    text += " " + std::string(HealthCodeName(r.health.code));
    if (!r.message.empty()) text += ": " + r.message;
    text += "\n";
  }
  return text;
}

}  // namespace mlgitops
