// One sync operation: validate and dry-run everything, then run the groups (phase × wave) in
// order — prunes, hooks, applies by kind — each gated on the health of what it applied.
#include "sync/syncer.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "health/health_util.h"
#include "kube/errors.h"
#include "kube/live_health.h"
#include "object/timeutil.h"
#include "sync/apply_strategy.h"
#include "sync/live_objects.h"
#include "sync/parallel.h"
#include "sync/tracking.h"

namespace mlgitops {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string GroupKey(const std::string& group, const std::string& kind) {
  return group + "/" + kind;
}

std::vector<std::string> SplitTrimmed(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    std::string part = TrimSpace(text.substr(start, end - start));
    if (!part.empty()) out.push_back(std::move(part));
    start = end + 1;
  }
  return out;
}

std::string HealthLabel(const HealthStatus& h) {
  std::string text(HealthCodeName(h.code));
  if (!h.message.empty()) text += ": " + h.message;
  return text;
}

/// A task of the operation: one manifest to apply, one hook to create, or one object to prune.
struct Task {
  PlanStep step;
  const Object* desired = nullptr;  // null for prunes
  Object prune_target;              // the live object, for prunes
  bool prune = false;
  bool kind_pending = false;  // its CRD is applied by this sync: not served yet
  bool skip_dry_run = false;  // its namespace (or kind) only exists once the sync ran
  bool live_exists = false;
  std::string live_resource_version;
  /// The live object is tracked by this other app (Argo CD's shared resource): not written.
  std::string shared_with;
  std::string created_name;       // hooks created with generateName
  std::optional<Object> applied;  // the server's answer to the apply
  int64_t applied_generation = 0;
  bool finished = false;  // healthy (or not gated), hook completed, or prune done
  size_t result_index = 0;
};

class Operation {
 public:
  Operation(KubeClient& client, const HealthAssessor& assessor, const Conventions& conventions,
            const Clock& clock, SyncInput input, const SyncOptions& options, SyncObserver* observer)
      : client_(client),
        assessor_(assessor),
        conventions_(conventions),
        clock_(clock),
        input_(std::move(input)),
        app_(*input_.app),
        options_(options),
        observer_(observer ? observer : &silent_),
        start_(SteadyClock::now()),
        writer_(client, options.field_manager,
                {options.wave_timeout, options.poll_interval, options.cancel}) {}

  Result<SyncResult> Execute();

 private:
  // ---- preparation ----
  Status BuildTasks();
  bool Validate();
  bool EnsureDestinationNamespace();
  /// One list per kind for what the app already owns: the live state of tracked desired objects
  /// (no GET each) and the prune candidates.
  bool ListTracked();
  bool DryRun();
  Status CollectPrunes();
  // ---- running ----
  bool RunGroup(const std::vector<size_t>& group, const std::string& label);
  bool ApplyTask(Task& task);
  bool CreateHook(Task& task);
  bool PruneTask(Task& task);
  bool WaitForGroup(const std::vector<size_t>& group);
  bool WaitGone(const std::vector<size_t>& tasks);
  /// Health of one task now; sets `gate_open` when the next wave may go.
  HealthStatus JudgeTask(Task& task, bool* gate_open, bool* hook_failed);
  bool IsRunningCleanly(const Object& live) const;
  /// The failing Pod behind a Degraded workload ("pod x container y: CrashLoopBackOff (last
  /// exit: Error)"), or "" when none is found.
  std::string FailingPodCause(const Task& task);
  bool WaitsForFirstConsumer(const Object& pvc);
  void RunSyncFailHooks();
  void DeleteHooks(HookDeletePolicy when);
  // ---- bookkeeping ----
  void Fail(const std::string& message) {
    if (result_.phase.empty()) {
      result_.phase = "Failed";
      result_.message = message;
    }
  }
  bool Stopped();
  ResourceResult& ResultOf(const Task& t) { return result_.resources[t.result_index]; }
  void Report(const Task& t) { observer_->OnResource(result_.resources[t.result_index]); }
  ObjectKey KeyOf(const Task& t) const;
  const Object& ObjectOf(const Task& t) const { return t.prune ? t.prune_target : *t.desired; }
  /// How `t` is written (apply_strategy.h): its Replace/Force options and --force.
  WriteRequest RequestFor(const Task& t, bool dry_run) const {
    WriteRequest request;
    request.desired = &*t.desired;
    request.key = KeyOf(t);
    request.ref = result_.resources[t.result_index].ref.ToString();
    request.live_exists = t.live_exists;
    request.strategy = WriteStrategyFor(*t.desired, app_, options_.force);
    request.dry_run = dry_run;
    return request;
  }
  std::optional<std::string> OptionOf(const Task& t, std::string_view key) const {
    return ResourceSyncOption(ObjectOf(t), app_, key);
  }
  void Sleep() {
    auto step = options_.poll_interval;
    auto until = SteadyClock::now() + step;
    while (SteadyClock::now() < until) {
      if (options_.cancel && options_.cancel->load()) return;
      std::this_thread::sleep_for(
          std::min<std::chrono::milliseconds>(step, std::chrono::milliseconds(50)));
    }
  }

  KubeClient& client_;
  const HealthAssessor& assessor_;
  const Conventions& conventions_;
  const Clock& clock_;
  SyncInput input_;
  const Application& app_;
  const SyncOptions& options_;
  SyncObserver silent_;
  SyncObserver* observer_;
  SteadyClock::time_point start_;
  ResourceWriter writer_;

  std::vector<Task> tasks_;
  std::vector<Task> sync_fail_tasks_;
  std::set<std::string> crd_kinds_;           // group/kind defined by CRDs in the manifests
  std::set<std::string> created_namespaces_;  // namespaces this sync creates
  std::map<std::string, bool> binding_mode_cache_;
  std::map<std::string, Object> tracked_live_;  // by ObjectIdentity
  SyncResult result_;
};

bool Operation::Stopped() {
  if (!result_.phase.empty()) return true;
  if (options_.cancel && options_.cancel->load()) {
    result_.phase = "Terminated";
    result_.message = "sync interrupted: stopped between steps; run it again to finish";
    return true;
  }
  if (options_.timeout.count() > 0 && SteadyClock::now() - start_ > options_.timeout) {
    result_.phase = "Failed";
    result_.message = "operation terminated: the sync did not finish within " +
                      SecondsText(options_.timeout) + " (--timeout)";
    return true;
  }
  return false;
}

ObjectKey Operation::KeyOf(const Task& t) const {
  const Object& obj = ObjectOf(t);
  ObjectKey key = ObjectKey::Of(obj);
  if (!t.created_name.empty()) key.name = t.created_name;
  return key;
}

Result<SyncResult> Operation::Execute() {
  result_.started_at = clock_.NowUnix();
  result_.dry_run = options_.dry_run;
  result_.revisions = input_.revisions;
  Status built = BuildTasks();
  if (!built.ok()) return built;

  if (Validate() && EnsureDestinationNamespace() && ListTracked() && DryRun()) {
    Status pruned = CollectPrunes();
    if (!pruned.ok()) Fail(pruned.message());
  }
  if (options_.dry_run || !result_.phase.empty()) {
    if (result_.phase.empty()) {
      result_.phase = "Succeeded";
      result_.message = "dry run: nothing was changed";
    }
    result_.finished_at = clock_.NowUnix();
    return std::move(result_);
  }

  // Groups: (phase, wave) in run order; prunes carry their mirrored wave in the Sync phase.
  std::map<std::pair<int, int64_t>, std::vector<size_t>> groups;
  for (size_t i = 0; i < tasks_.size(); ++i) {
    const PlanStep& s = tasks_[i].step;
    groups[{static_cast<int>(s.phase), s.wave}].push_back(i);
  }
  int index = 0;
  for (const auto& [key, members] : groups) {
    ++index;
    if (Stopped()) break;
    SyncPhase phase = static_cast<SyncPhase>(key.first);
    std::string label = phase == SyncPhase::kSync ? "wave " + std::to_string(key.second)
                                                  : std::string(SyncPhaseName(phase));
    observer_->OnGroup(label, index, static_cast<int>(groups.size()));
    if (!RunGroup(members, label)) break;
  }
  observer_->OnWaiting("");
  if (result_.phase == "Failed") {
    RunSyncFailHooks();
    DeleteHooks(HookDeletePolicy::kHookFailed);
  }
  if (result_.phase.empty()) {
    DeleteHooks(HookDeletePolicy::kHookSucceeded);
    result_.phase = "Succeeded";
    result_.message = "successfully synced (all tasks run)";
    if (result_.prune_skipped > 0) {
      result_.message +=
          "; " + std::to_string(result_.prune_skipped) + " resource(s) require pruning";
    }
    // Pruning saw only what could be listed: never claim it complete.
    if (!result_.warnings.empty()) result_.message += "; prune incomplete: " + result_.warnings[0];
    if (!result_.shared.empty()) {
      result_.message += "; not overwritten (shared): " + result_.shared[0] +
                         (result_.shared.size() > 1
                              ? " (and " + std::to_string(result_.shared.size() - 1) + " more)"
                              : "");
    }
  }
  result_.finished_at = clock_.NowUnix();
  return std::move(result_);
}

Status Operation::BuildTasks() {
  for (Object& obj : input_.desired) {
    if (obj.name().empty()) {
      return Status::InvalidArgument(obj.origin() + ": " + obj.kind() + " has no metadata.name");
    }
    if (obj.kind() == "CustomResourceDefinition" && obj.group() == "apiextensions.k8s.io") {
      std::string group = GetString(obj.json(), "spec.group");
      std::string kind = GetString(obj.json(), "spec.names.kind");
      crd_kinds_.insert(GroupKey(group, kind));
    }
  }
  std::vector<Classified> classes = Classify(input_.desired, conventions_);
  auto plan = BuildPlan(input_.desired, classes);
  if (!plan.ok()) return plan.status();
  bool selective = !options_.resources.empty();
  auto add = [&](const PlanStep& step, std::vector<Task>* into) {
    Task t;
    t.step = step;
    t.desired = &input_.desired[step.object_index];
    t.result_index = result_.resources.size();
    ResourceResult r;
    r.ref = t.desired->ref();
    r.api_version = t.desired->api_version();
    r.phase = step.phase;
    r.wave = step.wave;
    r.hook = step.hook;
    result_.resources.push_back(std::move(r));
    into->push_back(std::move(t));
  };
  for (const PlanStep& step : plan->steps) {
    if (selective && (step.hook || !MatchesResourceFilter(input_.desired[step.object_index].ref(),
                                                          options_.resources))) {
      continue;
    }
    add(step, &tasks_);
  }
  if (!selective) {
    for (const PlanStep& step : plan->sync_fail) add(step, &sync_fail_tasks_);
  }
  // Every object we write carries the app's tracking id (hooks too, so a later sync knows them).
  for (Object& obj : input_.desired) {
    auto info = client_.Resource(GroupVersionKind::Of(obj));
    bool namespaced = info.ok() ? info->namespaced : !obj.namespace_().empty();
    SetTrackingAnnotation(TrackingIdFor(input_.app_instance, obj, namespaced), &obj);
  }
  return Status::OK();
}

bool Operation::Validate() {
  std::vector<std::string> invalid;
  for (Task& t : tasks_) {
    auto info = client_.Resource(GroupVersionKind::Of(*t.desired));
    if (info.ok()) continue;
    if (info.status().code() == Status::Code::kNotFound &&
        crd_kinds_.count(GroupKey(t.desired->group(), t.desired->kind()))) {
      t.kind_pending = t.skip_dry_run = true;  // Argo CD's SkipDryRunOnMissingResource
      continue;
    }
    if (info.status().code() == Status::Code::kNotFound &&
        OptionOf(t, "SkipDryRunOnMissingResource") == std::string("true")) {
      t.kind_pending = t.skip_dry_run = true;
      continue;
    }
    ResultOf(t).status = "SyncFailed";
    ResultOf(t).message = info.status().message();
    invalid.push_back(t.desired->ref().ToString() + ": " + info.status().message());
  }
  if (invalid.empty()) return true;
  std::string message = "one or more synchronization tasks are not valid: " + invalid.front();
  if (invalid.size() > 1) message += " (and " + std::to_string(invalid.size() - 1) + " more)";
  Fail(message);
  return false;
}

bool Operation::EnsureDestinationNamespace() {
  const std::string& ns = app_.destination.namespace_;
  // Namespaces the manifests create, so their objects skip the server dry-run.
  std::set<std::string> desired_namespaces;
  for (const Task& t : tasks_) {
    if (t.desired->kind() == "Namespace" && t.desired->group().empty()) {
      desired_namespaces.insert(t.desired->name());
    }
  }
  std::set<std::string> used;
  for (const Task& t : tasks_) {
    if (!t.desired->namespace_().empty()) used.insert(t.desired->namespace_());
  }
  if (!ns.empty()) used.insert(ns);
  for (const std::string& name : used) {
    auto live = client_.Get(ObjectKey{{"", "v1", "Namespace"}, "", name});
    if (live.ok()) continue;
    bool create_wanted = desired_namespaces.count(name) ||
                         (name == ns && app_.sync_policy.SyncOptionTrue("CreateNamespace"));
    if (HasApiReason(live.status(), "Forbidden") && !create_wanted) {
      // A namespace-scoped account (a project's ServiceAccount) may not read Namespaces; the
      // API server itself refuses writes into one that does not exist.
      continue;
    }
    if (live.status().code() != Status::Code::kNotFound) {
      Fail("cannot read namespace " + name + ": " + live.status().message());
      return false;
    }
    bool create_destination = name == ns && app_.sync_policy.SyncOptionTrue("CreateNamespace");
    if (desired_namespaces.count(name) || create_destination) {
      created_namespaces_.insert(name);
      continue;
    }
    Fail("namespace \"" + name +
         "\" does not exist: create it, add it to the manifests, or set the sync option "
         "CreateNamespace=true");
    return false;
  }
  if (ns.empty() || !app_.sync_policy.SyncOptionTrue("CreateNamespace") ||
      desired_namespaces.count(ns)) {
    return true;
  }
  // Argo CD creates (or updates the metadata of) the destination namespace before anything
  // else, even before the dry run; it is not tracked, so it is never pruned.
  bool missing = created_namespaces_.count(ns) > 0;
  const auto& meta = app_.sync_policy.managed_namespace_metadata;
  if (!missing && !meta) return true;
  if (options_.dry_run) {
    if (missing) observer_->OnMessage("would create namespace " + ns + " (CreateNamespace=true)");
    return true;
  }
  Object namespace_object;
  {
    auto parsed = ParseJsonObject(
        "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"\"}}", "namespace");
    namespace_object = std::move(*parsed);
    JsonValue& metadata = namespace_object.mutable_json()["metadata"];
    metadata["name"].SetString(ns.data(), static_cast<rapidjson::SizeType>(ns.size()),
                               namespace_object.allocator());
    if (meta) {
      for (const char* field : {"labels", "annotations"}) {
        const auto& values = std::string(field) == "labels" ? meta->labels : meta->annotations;
        if (values.empty()) continue;
        JsonValue map(rapidjson::kObjectType);
        for (const auto& [k, v] : values) {
          map.AddMember(JsonString(k, namespace_object.allocator()),
                        JsonString(v, namespace_object.allocator()), namespace_object.allocator());
        }
        metadata.AddMember(JsonValue(field, namespace_object.allocator()), map,
                           namespace_object.allocator());
      }
    }
  }
  ApplyOptions apply;
  apply.field_manager = options_.field_manager;
  auto applied = client_.Apply(namespace_object, apply);
  if (!applied.ok()) {
    Fail("cannot create namespace " + ns +
         " (CreateNamespace=true): " + applied.status().message());
    return false;
  }
  created_namespaces_.erase(ns);
  observer_->OnMessage((missing ? "created namespace " : "updated namespace ") + ns);
  return true;
}

bool Operation::ListTracked() {
  std::vector<std::string> unlisted;
  auto tracked =
      ListTrackedObjects(client_, input_.app_instance, AppNamespaces(app_, input_.desired),
                         options_.parallelism, &unlisted);
  if (!tracked.ok()) {
    Fail(tracked.status().Prefixed("listing the objects the app owns").message());
    return false;
  }
  if (!unlisted.empty()) {
    result_.warnings.push_back(UnlistedKindsWarning(unlisted));
    observer_->OnMessage("warning: " + result_.warnings.back());
  }
  for (Object& obj : *tracked) {
    std::string id = ObjectIdentity(obj);
    tracked_live_.emplace(std::move(id), std::move(obj));
  }
  return true;
}

bool Operation::DryRun() {
  std::vector<Task*> runnable;
  for (Task& t : tasks_) {
    if (created_namespaces_.count(t.desired->namespace_())) t.skip_dry_run = true;
    runnable.push_back(&t);
  }
  std::vector<std::string> failures(runnable.size());
  RunParallel(runnable.size(), options_.parallelism, [&](size_t i) {
    Task& t = *runnable[i];
    ResourceResult& r = ResultOf(t);
    auto known = t.step.hook ? tracked_live_.end() : tracked_live_.find(ObjectIdentity(*t.desired));
    if (known != tracked_live_.end()) {
      t.live_exists = true;
      t.live_resource_version = GetString(known->second.json(), "metadata.resourceVersion");
    } else if (!t.kind_pending) {
      auto live = client_.Get(KeyOf(t));
      if (live.ok()) {
        t.live_exists = true;
        t.live_resource_version = GetString(live->json(), "metadata.resourceVersion");
        if (auto other = TrackedByAnotherApp(*live, input_.app_instance)) t.shared_with = *other;
      } else if (live.status().code() != Status::Code::kNotFound) {
        failures[i] = live.status().message();
        return;
      }
    }
    if (!t.shared_with.empty()) {
      // Another app's object is never overwritten; FailOnSharedResource=true fails the sync.
      if (app_.sync_policy.SyncOptionTrue("FailOnSharedResource")) {
        failures[i] = SharedResourceText(r.ref, t.shared_with, input_.app_instance) +
                      " (FailOnSharedResource=true)";
      }
      return;
    }
    if (t.skip_dry_run) {
      if (options_.dry_run) r.action = t.live_exists ? "configured" : "created";
      return;
    }
    if (t.step.hook) {
      if (options_.dry_run) r.action = "created";
      return;  // hooks are created when their phase comes; nothing to compare
    }
    auto dry = writer_.Write(RequestFor(t, true));
    if (!dry.ok()) {
      failures[i] = dry.status().message();
      return;
    }
    if (options_.dry_run) {
      bool same =
          t.live_exists && !dry->recreated &&
          GetString(dry->object.json(), "metadata.resourceVersion") == t.live_resource_version;
      r.action = !t.live_exists   ? "created"
                 : dry->recreated ? "recreated"
                 : same           ? "unchanged"
                 : dry->replaced  ? "replaced"
                                  : "configured";
      r.status = "Synced";
      r.message = "(dry run)";
    }
  });
  std::vector<std::string> failed;
  for (size_t i = 0; i < runnable.size(); ++i) {
    if (failures[i].empty()) continue;
    ResourceResult& r = ResultOf(*runnable[i]);
    r.status = "SyncFailed";
    r.message = failures[i];
    failed.push_back(r.ref.ToString() + ": " + failures[i]);
  }
  if (failed.empty()) {
    for (Task& t : tasks_) {
      if (t.shared_with.empty()) continue;
      ResourceResult& r = ResultOf(t);
      r.action = "shared";
      r.status = "Synced";
      r.message = "not overwritten: tracked by application " + t.shared_with;
      t.finished = true;
      result_.shared.push_back(SharedResourceText(r.ref, t.shared_with, input_.app_instance));
    }
    if (options_.dry_run) {
      for (const Task& t : tasks_) Report(t);
    }
    return true;
  }
  std::string message =
      "one or more objects failed to apply (dry run), nothing was changed: " + failed.front();
  if (failed.size() > 1) message += " (and " + std::to_string(failed.size() - 1) + " more)";
  Fail(message);
  return false;
}

Status Operation::CollectPrunes() {
  std::set<std::string> desired_ids;
  for (const Object& obj : input_.desired) desired_ids.insert(ObjectIdentity(obj));
  std::vector<Object> candidates;
  for (auto& [id, obj] : tracked_live_) {
    if (desired_ids.count(id)) continue;
    if (ReadHook(obj).is_hook) continue;  // hooks are deleted by their policies, not pruned
    if (!options_.resources.empty() && !MatchesResourceFilter(obj.ref(), options_.resources)) {
      continue;
    }
    candidates.push_back(std::move(obj));
  }
  std::sort(candidates.begin(), candidates.end(), [](const Object& a, const Object& b) {
    return a.ref().ToString() < b.ref().ToString();
  });
  // Prune waves mirror the objects' own waves (highest wave pruned first); PruneLast moves a
  // prune after the last wave.
  int64_t last_wave = 0;
  for (const Task& t : tasks_) {
    if (t.step.phase == SyncPhase::kSync) last_wave = std::max(last_wave, t.step.wave);
  }
  std::vector<int64_t> waves;
  for (const Object& obj : candidates) waves.push_back(ClassifyObject(obj, conventions_).wave);
  int64_t low = waves.empty() ? 0 : *std::min_element(waves.begin(), waves.end());
  int64_t high = waves.empty() ? 0 : *std::max_element(waves.begin(), waves.end());
  for (size_t i = 0; i < candidates.size(); ++i) {
    Task t;
    t.prune = true;
    t.prune_target = std::move(candidates[i]);
    t.step.phase = SyncPhase::kSync;
    t.step.wave = low + high - waves[i];
    bool prune_last = OptionOf(t, "PruneLast") == std::string("true");
    if (prune_last) t.step.wave = last_wave + 1;
    t.result_index = result_.resources.size();
    ResourceResult r;
    r.ref = t.prune_target.ref();
    r.api_version = t.prune_target.api_version();
    r.wave = t.step.wave;
    auto prune_option = OptionOf(t, "Prune");
    if (prune_option == std::string("false")) {
      r.action = "prune-skipped";
      r.status = "PruneSkipped";
      r.message = "ignored (Prune=false)";
    } else if (prune_option == std::string("confirm") ||
               OptionOf(t, "Delete") == std::string("confirm")) {
      // Argo CD prunes these only after the Application carries an approval given while the
      // operation waits; mlgitops has no waiting operation yet, so it never prunes them itself.
      r.action = "prune-skipped";
      r.status = "PruneSkipped";
      r.message =
          "not pruned: Prune=confirm/Delete=confirm needs a confirmation mlgitops cannot "
          "take yet; delete it by hand or remove the option";
    } else if (OptionOf(t, "Delete") == std::string("false")) {
      // Argo CD reads Delete=false when the app is deleted; an object marked so (a PVC holding
      // a dataset) is not deleted by a prune either.
      r.action = "prune-skipped";
      r.status = "PruneSkipped";
      r.message = "ignored (Delete=false)";
    } else if (!options_.prune) {
      r.action = "prune-skipped";
      r.status = "PruneSkipped";
      r.message = "ignored (requires pruning: sync with --prune)";
    } else if (options_.dry_run) {
      r.action = "pruned";
      r.status = "Pruned";
      r.message = "(dry run)";
    }
    bool skipped = r.status == "PruneSkipped";
    if (skipped) ++result_.prune_skipped;
    result_.resources.push_back(std::move(r));
    if (options_.dry_run || skipped) {
      observer_->OnResource(result_.resources.back());
      continue;
    }
    tasks_.push_back(std::move(t));
  }
  return Status::OK();
}

bool Operation::RunGroup(const std::vector<size_t>& group, const std::string& label) {
  (void)label;
  // Prunes first, then hooks, then applies kind by kind (objects of one kind in parallel).
  std::vector<size_t> prunes;
  for (size_t i : group) {
    if (tasks_[i].prune) prunes.push_back(i);
  }
  if (!prunes.empty()) {
    std::vector<char> ok(prunes.size(), 0);
    RunParallel(prunes.size(), options_.parallelism,
                [&](size_t k) { ok[k] = PruneTask(tasks_[prunes[k]]); });
    for (size_t k = 0; k < prunes.size(); ++k) Report(tasks_[prunes[k]]);
    if (std::find(ok.begin(), ok.end(), 0) != ok.end()) {
      Fail("one or more resources failed to prune");
      return false;
    }
    if (!WaitGone(prunes)) return false;
  }
  // Hooks and applies in plan order, a batch per kind (a Namespace before what goes in it, a
  // CRD before its custom resources); the objects of one batch go in parallel.
  std::vector<size_t> writes;
  for (size_t i : group) {
    if (!tasks_[i].prune) writes.push_back(i);
  }
  size_t start = 0;
  bool any_failed = false;
  while (start < writes.size()) {
    if (Stopped()) return false;
    const Task& first = tasks_[writes[start]];
    size_t end = start;
    while (end < writes.size() && tasks_[writes[end]].step.hook == first.step.hook &&
           tasks_[writes[end]].desired->kind() == first.desired->kind() &&
           tasks_[writes[end]].desired->group() == first.desired->group()) {
      ++end;
    }
    std::vector<char> ok(end - start, 0);
    RunParallel(end - start, options_.parallelism, [&](size_t k) {
      Task& t = tasks_[writes[start + k]];
      ok[k] = !t.shared_with.empty() || (t.step.hook ? CreateHook(t) : ApplyTask(t));
    });
    for (size_t k = start; k < end; ++k) Report(tasks_[writes[k]]);
    if (std::find(ok.begin(), ok.end(), 0) != ok.end()) any_failed = true;
    start = end;
  }
  if (any_failed) {
    std::string first;
    bool hook = false;
    for (size_t i : writes) {
      if (ResultOf(tasks_[i]).status == "SyncFailed") {
        first = ResultOf(tasks_[i]).ref.ToString() + ": " + ResultOf(tasks_[i]).message;
        hook = tasks_[i].step.hook;
        break;
      }
    }
    Fail(std::string(hook ? "a hook could not be created: "
                          : "one or more objects failed to apply: ") +
         first);
    return false;
  }
  return WaitForGroup(writes);
}

bool Operation::ApplyTask(Task& task) {
  ResourceResult& r = ResultOf(task);
  // Server-side apply, or Replace=true's PUT; an immutable-field refusal is recreated under
  // Force=true / --force and otherwise an error naming the fields (apply_strategy.h).
  auto written = writer_.Write(RequestFor(task, false));
  if (!written.ok()) {
    r.status = "SyncFailed";
    r.message = written.status().message();
    task.finished = true;
    return false;
  }
  std::string version = GetString(written->object.json(), "metadata.resourceVersion");
  r.action = !task.live_exists                       ? "created"
             : written->recreated                    ? "recreated"
             : version == task.live_resource_version ? "unchanged"
             : written->replaced                     ? "replaced"
                                                     : "configured";
  r.status = "Synced";
  task.applied_generation = GetInt(written->object.json(), "metadata.generation").value_or(0);
  task.applied = std::move(written->object);
  return true;
}

bool Operation::CreateHook(Task& task) {
  ResourceResult& r = ResultOf(task);
  const Object& hook = *task.desired;
  bool named = !GetString(hook.json(), "metadata.name").empty();
  const auto& policies = task.step.delete_policies;
  bool before_creation = std::find(policies.begin(), policies.end(),
                                   HookDeletePolicy::kBeforeHookCreation) != policies.end();
  if (named) {
    auto live = client_.Get(KeyOf(task));
    if (live.ok()) {
      if (!before_creation && !options_.force) {
        // A named hook is created once; the existing one is judged as it is.
        r.action = "unchanged";
        r.status = "Synced";
        return true;
      }
      DeleteOptions del;
      del.propagation = Propagation::kForeground;
      Status deleted = client_.Delete(KeyOf(task), del);
      if (!deleted.ok() && deleted.code() != Status::Code::kNotFound) {
        r.status = "SyncFailed";
        r.message = deleted.message();
        return false;
      }
      auto deadline = SteadyClock::now() + options_.wave_timeout;
      // Runs on a worker thread: no observer calls here, only the cancel flag is read.
      while (client_.Get(KeyOf(task)).ok()) {
        bool expired = options_.wave_timeout.count() > 0 && SteadyClock::now() > deadline;
        if (expired || (options_.cancel && options_.cancel->load())) {
          r.status = "SyncFailed";
          r.message = expired ? "the previous hook object was not deleted in time"
                              : "interrupted while the previous hook object was deleted";
          return false;
        }
        Sleep();
      }
    }
  }
  WriteOptions write;
  write.field_manager = options_.field_manager;
  auto created = client_.Create(hook, write);
  if (!created.ok()) {
    r.status = "SyncFailed";
    r.message = created.status().message();
    return false;
  }
  task.created_name = created->name();
  r.ref.name = task.created_name;
  r.action = "created";
  r.status = "Synced";
  task.applied_generation = GetInt(created->json(), "metadata.generation").value_or(0);
  return true;
}

bool Operation::PruneTask(Task& task) {
  ResourceResult& r = ResultOf(task);
  DeleteOptions del;
  std::string policy =
      AsciiLower(app_.sync_policy.SyncOption("PrunePropagationPolicy").value_or("foreground"));
  del.propagation = policy == "background" ? Propagation::kBackground
                    : policy == "orphan"   ? Propagation::kOrphan
                                           : Propagation::kForeground;
  // Never delete an object that was replaced since it was listed.
  del.precondition_uid = GetString(task.prune_target.json(), "metadata.uid");
  Status deleted = client_.Delete(KeyOf(task), del);
  if (!deleted.ok() && deleted.code() != Status::Code::kNotFound) {
    r.status = "SyncFailed";
    r.message = deleted.message();
    task.finished = true;
    return false;
  }
  r.action = "pruned";
  r.status = "Pruned";
  r.message = "pruned";
  return true;
}

bool Operation::WaitGone(const std::vector<size_t>& group) {
  auto deadline = SteadyClock::now() + options_.wave_timeout;
  while (true) {
    std::vector<std::string> remaining;
    for (size_t i : group) {
      auto live = client_.Get(KeyOf(tasks_[i]));
      if (live.ok() && GetString(live->json(), "metadata.uid") ==
                           GetString(tasks_[i].prune_target.json(), "metadata.uid")) {
        remaining.push_back(ResultOf(tasks_[i]).ref.ToString());
      }
    }
    if (remaining.empty()) return true;
    std::string what = "deletion of " + remaining.front();
    if (remaining.size() > 1) what += " and " + std::to_string(remaining.size() - 1) + " more";
    if (Stopped()) return false;
    if (options_.wave_timeout.count() > 0 && SteadyClock::now() > deadline) {
      Fail("timed out after " + SecondsText(options_.wave_timeout) + " waiting for " + what);
      return false;
    }
    observer_->OnWaiting(what);
    Sleep();
  }
}

bool Operation::IsRunningCleanly(const Object& live) const {
  const JsonValue& j = live.json();
  const JsonValue* running = FindCondition(j, "Running");
  if (running && MemberString(*running, "status") == "True") return true;
  if (GetInt(j, "status.active").value_or(0) > 0) return true;
  const JsonValue* replicas = Find(j, "status.replicaStatuses");
  if (replicas && replicas->IsObject()) {
    for (auto it = replicas->MemberBegin(); it != replicas->MemberEnd(); ++it) {
      if (GetInt(it->value, "active").value_or(0) > 0) return true;
    }
  }
  return false;
}

bool Operation::WaitsForFirstConsumer(const Object& pvc) {
  if (GetString(pvc.json(), "status.phase") != "Pending") return false;
  std::string class_name = GetString(pvc.json(), "spec.storageClassName");
  auto cached = binding_mode_cache_.find(class_name);
  if (cached != binding_mode_cache_.end()) return cached->second;
  bool waits = false;
  GroupVersionKind sc{"storage.k8s.io", "v1", "StorageClass"};
  if (!class_name.empty()) {
    auto live = client_.Get(ObjectKey{sc, "", class_name});
    waits = live.ok() && GetString(live->json(), "volumeBindingMode") == "WaitForFirstConsumer";
  } else {
    auto list = client_.List(sc, "", {});
    if (list.ok()) {
      for (const Object& c : list->items) {
        if (c.annotation("storageclass.kubernetes.io/is-default-class") == std::string("true")) {
          waits = GetString(c.json(), "volumeBindingMode") == "WaitForFirstConsumer";
        }
      }
    }
  }
  binding_mode_cache_[class_name] = waits;
  return waits;
}

HealthStatus Operation::JudgeTask(Task& task, bool* gate_open, bool* hook_failed) {
  *gate_open = false;
  *hook_failed = false;
  if (task.applied && !task.step.hook) {
    // A kind with no health check at all (ConfigMap, Role, ...) is done once applied: the
    // server's answer says so without reading it back.
    Assessment first = assessor_.Assess(*task.applied, HealthContext{});
    task.applied.reset();
    if (first.source == HealthSource::kNone) {
      *gate_open = true;
      return first.status;
    }
  }
  auto live = client_.Get(KeyOf(task));
  if (!live.ok()) {
    if (live.status().code() == Status::Code::kNotFound) {
      return HealthStatus{HealthCode::kMissing, "not found: it was deleted while the sync waited"};
    }
    return HealthStatus{HealthCode::kUnknown, live.status().message()};
  }
  // Status written for an older generation says nothing about what was just applied.
  int64_t generation = GetInt(live->json(), "metadata.generation").value_or(0);
  auto observed = GetInt(live->json(), "status.observedGeneration");
  if (observed && *observed < generation) {
    return HealthStatus{HealthCode::kProgressing,
                        "waiting for the controller to observe generation " +
                            std::to_string(generation) + " (status is for " +
                            std::to_string(*observed) + ")"};
  }
  auto assessed = AssessLiveObject(client_, *live, assessor_, conventions_, clock_.NowUnix());
  if (!assessed.ok()) return HealthStatus{HealthCode::kUnknown, assessed.status().message()};
  const HealthStatus& h = assessed->status;
  if (task.step.hook) {
    // A hook is a task that completes: Healthy is success, Degraded or Unknown failure.
    *gate_open = h.code == HealthCode::kHealthy || assessed->source == HealthSource::kNone;
    *hook_failed = h.code == HealthCode::kDegraded || h.code == HealthCode::kUnknown;
    return h;
  }
  if (h.code == HealthCode::kHealthy || assessed->source == HealthSource::kNone) {
    *gate_open = true;
    return h;
  }
  if (h.code == HealthCode::kDegraded) return h;
  const Object& obj = *task.desired;
  if (obj.annotation(kSkipHealthGateAnnotation) == std::string("true") ||
      OptionOf(task, "SkipHealthCheck") == std::string("true")) {
    *gate_open = true;
  } else if (obj.annotation(kWaveGateAnnotation) == std::string("running") &&
             h.code == HealthCode::kProgressing && IsRunningCleanly(*live)) {
    *gate_open = true;
  } else if ((obj.kind() == "CronJob" || obj.kind() == "CronWorkflow") &&
             !Find(live->json(), "status.lastScheduleTime") &&
             !GetBool(live->json(), "spec.suspend").value_or(false)) {
    // A schedule that has not fired yet: its first run may be hours away, and nothing in a
    // later wave depends on it having run.
    *gate_open = true;
  } else if (obj.kind() == "PersistentVolumeClaim" && obj.group().empty() &&
             WaitsForFirstConsumer(*live)) {
    // Binding waits for a Pod of a later wave: holding the wave would deadlock the sync.
    *gate_open = true;
  }
  return h;
}

std::string Operation::FailingPodCause(const Task& task) {
  auto live = client_.Get(KeyOf(task));
  if (!live.ok()) return "";
  auto children = FetchChildren(client_, *live);
  if (!children.ok()) return "";
  std::string terminated;
  for (const Object& child : *children) {
    if (child.kind() != "Pod" || !child.group().empty()) continue;
    if (auto why = health_util::PodFailure(child)) return *why;
    // A container that ended in error: the reason and exit code say why.
    for (const char* list : {"status.initContainerStatuses", "status.containerStatuses"}) {
      for (const JsonValue* c : health_util::MapEntries(child.json(), list)) {
        const JsonValue* last = Find(*c, "state.terminated");
        if (!last) last = Find(*c, "lastState.terminated");
        int64_t code = last ? GetInt(*last, "exitCode").value_or(0) : 0;
        if (terminated.empty() && last && code != 0) {
          terminated = "pod " + child.name() + " container " + MemberString(*c, "name") +
                       ": terminated " + GetString(*last, "reason", "Error") + " (exit code " +
                       std::to_string(code) + ")";
        }
      }
    }
  }
  return terminated;
}

bool Operation::WaitForGroup(const std::vector<size_t>& group) {
  auto deadline = SteadyClock::now() + options_.wave_timeout;
  while (true) {
    std::vector<size_t> waiting;
    for (size_t i : group) {
      Task& t = tasks_[i];
      if (t.finished) continue;
      bool gate_open = false, hook_failed = false;
      HealthStatus h = JudgeTask(t, &gate_open, &hook_failed);
      ResourceResult& r = ResultOf(t);
      bool changed = !(r.health == h) || !r.health_known;
      r.health = h;
      r.health_known = true;
      if (changed) Report(t);
      if (hook_failed) {
        r.status = "SyncFailed";
        r.message = "hook failed: " + HealthLabel(h);
        Report(t);
        Fail("hook " + r.ref.ToString() + " failed: " + h.message);
        return false;
      }
      if (!t.step.hook && h.code == HealthCode::kDegraded) {
        r.message = h.message;
        std::string cause = FailingPodCause(t);
        if (!cause.empty() && h.message.find("pod ") == std::string::npos) {
          r.message += "; " + cause;
        }
        Fail(r.ref.ToString() + " is Degraded: " + r.message);
        return false;
      }
      if (h.code == HealthCode::kMissing) {
        Fail(r.ref.ToString() + " is missing: it was deleted while the sync waited for it");
        return false;
      }
      if (gate_open) {
        t.finished = true;
        continue;
      }
      waiting.push_back(i);
    }
    if (waiting.empty()) return true;
    const ResourceResult& first = ResultOf(tasks_[waiting.front()]);
    std::string what = std::string(tasks_[waiting.front()].step.hook ? "completion of hook "
                                                                     : "healthy state of ") +
                       first.ref.ToString();
    if (!first.health.message.empty()) what += " (" + first.health.message + ")";
    if (waiting.size() > 1) what += " and " + std::to_string(waiting.size() - 1) + " more";
    if (Stopped()) return false;
    if (options_.wave_timeout.count() > 0 && SteadyClock::now() > deadline) {
      std::vector<std::string> names;
      for (size_t i : waiting) {
        names.push_back(ResultOf(tasks_[i]).ref.ToString() + " (" +
                        HealthLabel(ResultOf(tasks_[i]).health) + ")");
      }
      std::string list = names.front();
      for (size_t k = 1; k < names.size() && k < 5; ++k) list += ", " + names[k];
      if (names.size() > 5) list += " and " + std::to_string(names.size() - 5) + " more";
      Fail("wave did not become healthy within " + SecondsText(options_.wave_timeout) +
           " (--wave-timeout); still waiting for " + list);
      return false;
    }
    observer_->OnWaiting(what);
    Sleep();
  }
}

void Operation::RunSyncFailHooks() {
  if (sync_fail_tasks_.empty()) return;
  size_t base = tasks_.size();
  for (Task& t : sync_fail_tasks_) tasks_.push_back(std::move(t));
  sync_fail_tasks_.clear();
  std::vector<size_t> group;
  for (size_t i = base; i < tasks_.size(); ++i) group.push_back(i);
  observer_->OnGroup("SyncFail", 1, 1);
  // The operation has failed already; SyncFail hooks run to completion on their own terms.
  std::string phase = result_.phase, message = result_.message;
  result_.phase.clear();
  for (size_t i : group) {
    if (!CreateHook(tasks_[i])) break;
    Report(tasks_[i]);
  }
  if (result_.phase.empty()) WaitForGroup(group);
  result_.phase = phase;
  result_.message = message;
}

void Operation::DeleteHooks(HookDeletePolicy when) {
  for (Task& t : tasks_) {
    if (!t.step.hook || t.created_name.empty()) continue;
    const auto& p = t.step.delete_policies;
    if (std::find(p.begin(), p.end(), when) == p.end()) continue;
    DeleteOptions del;
    del.propagation = Propagation::kBackground;
    Status deleted = client_.Delete(KeyOf(t), del);
    if (deleted.ok()) {
      ResultOf(t).action = "deleted";
      ResultOf(t).message =
          std::string("deleted (") + std::string(HookDeletePolicyName(when)) + ")";
    }
  }
}

}  // namespace

Syncer::Syncer(KubeClient& client, const HealthAssessor& assessor, const Conventions& conventions,
               const Clock& clock)
    : client_(client), assessor_(assessor), conventions_(conventions), clock_(clock) {}

Result<SyncResult> Syncer::Run(SyncInput input, const SyncOptions& options,
                               SyncObserver* observer) {
  if (!input.app) return Status::InvalidArgument("sync: no Application given");
  if (input.app_instance.empty()) input.app_instance = input.app->name;
  Operation op(client_, assessor_, conventions_, clock_, std::move(input), options, observer);
  return op.Execute();
}

std::optional<std::string> ResourceSyncOption(const Object& object, const Application& app,
                                              std::string_view key) {
  auto annotation = object.annotation(kSyncOptionsAnnotation);
  if (annotation) {
    for (const std::string& entry : SplitTrimmed(*annotation, ',')) {
      size_t eq = entry.find('=');
      if (eq != std::string::npos && TrimSpace(entry.substr(0, eq)) == key) {
        return TrimSpace(entry.substr(eq + 1));
      }
    }
  }
  return app.sync_policy.SyncOption(key);
}

namespace {

// What each option name does here with a given value; "" when that value is carried out.
std::string OptionVerdict(const std::string& key, const std::string& value) {
  static const std::set<std::string> kHonoured = {"CreateNamespace",
                                                  "PruneLast",
                                                  "PrunePropagationPolicy",
                                                  "SkipDryRunOnMissingResource",
                                                  "SkipHealthCheck",
                                                  "Replace",
                                                  "Force",
                                                  "FailOnSharedResource",
                                                  "Prune",
                                                  "Delete"};
  if (kHonoured.count(key)) return "";
  // Already the behaviour: every apply is server-side, validated, and applies every object.
  if ((key == "ServerSideApply" || key == "Validate") && value == "true") return "";
  if ((key == "ApplyOutOfSyncOnly" || key == "RespectIgnoreDifferences") && value == "false") {
    return "";
  }
  if (key == "ServerSideApply") return "not supported: objects are always applied server-side";
  if (key == "Validate") return "not supported: the API server validates every object";
  if (key == "ApplyOutOfSyncOnly") return "not supported: every object is applied";
  if (key == "RespectIgnoreDifferences") {
    return "not supported: ignored fields are applied from Git";
  }
  return "unknown sync option";
}

}  // namespace

std::vector<std::string> UnsupportedSyncOptions(const Application& app,
                                                const std::vector<Object>& desired) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto check = [&](const std::string& entry, const std::string& where) {
    size_t eq = entry.find('=');
    std::string key = TrimSpace(entry.substr(0, eq));
    std::string value = eq == std::string::npos ? "" : TrimSpace(entry.substr(eq + 1));
    std::string verdict = OptionVerdict(key, value);
    if (verdict.empty()) return;
    std::string line = entry + " (" + where + "): " + verdict;
    if (seen.insert(line).second) out.push_back(line);
  };
  for (const std::string& option : app.sync_policy.sync_options) {
    check(TrimSpace(option), "the application's syncOptions");
  }
  for (const Object& object : desired) {
    auto annotation = object.annotation(kSyncOptionsAnnotation);
    if (!annotation) continue;
    for (const std::string& entry : SplitTrimmed(*annotation, ',')) {
      if (!entry.empty()) check(entry, object.ref().ToString());
    }
  }
  return out;
}

bool MatchesResourceFilter(const ObjectRef& ref, const std::vector<std::string>& filters) {
  for (const std::string& filter : filters) {
    // GROUP:KIND:[NS/]NAME (Argo CD) or [GROUP/]KIND/[NS/]NAME (kubectl-like).
    std::vector<std::string> parts;
    if (filter.find(':') != std::string::npos) {
      std::vector<std::string> colon = SplitTrimmed(filter, ':');
      if (filter.front() == ':') colon.insert(colon.begin(), "");
      if (colon.size() != 3) continue;
      std::string group = colon[0], kind = colon[1], rest = colon[2];
      std::string ns, name = rest;
      if (rest.find('/') != std::string::npos) {
        ns = rest.substr(0, rest.find('/'));
        name = rest.substr(rest.find('/') + 1);
      }
      bool match = (group == "*" || group == ref.group) &&
                   (kind == "*" || AsciiLower(kind) == AsciiLower(ref.kind)) &&
                   (ns.empty() || ns == ref.namespace_) && (name == "*" || name == ref.name);
      if (match) return true;
      continue;
    }
    // [GROUP/]KIND/[NS/]NAME. Three parts are GROUP/KIND/NAME or KIND/NS/NAME: kinds are
    // capitalised, groups never are.
    parts = SplitTrimmed(filter, '/');
    if (parts.size() < 2 || parts.size() > 4) continue;
    std::string group, kind, ns, name = parts.back();
    if (parts.size() == 2) {
      kind = parts[0];
    } else if (parts.size() == 4) {
      group = parts[0];
      kind = parts[1];
      ns = parts[2];
    } else if (std::isupper(static_cast<unsigned char>(parts[0][0]))) {
      kind = parts[0];
      ns = parts[1];
    } else {
      group = parts[0];
      kind = parts[1];
    }
    bool match = AsciiLower(kind) == AsciiLower(ref.kind) && (name == "*" || name == ref.name) &&
                 (group.empty() || group == ref.group) && (ns.empty() || ns == ref.namespace_);
    if (match) return true;
  }
  return false;
}

HealthStatus SyncedAppHealth(const SyncResult& result) {
  std::vector<HealthStatus> statuses;
  for (const ResourceResult& r : result.resources) {
    if (r.hook || r.action == "pruned" || r.action == "prune-skipped" || r.action.empty()) continue;
    statuses.push_back(r.health);
  }
  return Worst(statuses);
}

std::string SyncResultToJson(const SyncResult& result, bool pretty) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  auto str = [&](const std::string& s) { return JsonString(s, a); };
  doc.AddMember("phase", str(result.phase), a);
  doc.AddMember("message", str(result.message), a);
  doc.AddMember("dryRun", result.dry_run, a);
  doc.AddMember("renderedFromCache", result.rendered_from_cache, a);
  doc.AddMember("pruneSkipped", result.prune_skipped, a);
  JsonValue warnings(rapidjson::kArrayType);
  for (const std::string& w : result.warnings) warnings.PushBack(str(w), a);
  doc.AddMember("warnings", warnings, a);
  JsonValue revisions(rapidjson::kArrayType);
  for (const std::string& r : result.revisions) revisions.PushBack(str(r), a);
  doc.AddMember("revisions", revisions, a);
  doc.AddMember("startedAt", str(FormatRfc3339(result.started_at)), a);
  doc.AddMember("finishedAt", str(FormatRfc3339(result.finished_at)), a);
  JsonValue resources(rapidjson::kArrayType);
  for (const ResourceResult& r : result.resources) {
    JsonValue o(rapidjson::kObjectType);
    o.AddMember("group", str(r.ref.group), a);
    o.AddMember("version", str(r.api_version.substr(r.api_version.find('/') + 1)), a);
    o.AddMember("kind", str(r.ref.kind), a);
    o.AddMember("namespace", str(r.ref.namespace_), a);
    o.AddMember("name", str(r.ref.name), a);
    o.AddMember("syncPhase", str(std::string(SyncPhaseName(r.phase))), a);
    o.AddMember("wave", static_cast<int64_t>(r.wave), a);
    o.AddMember("hook", r.hook, a);
    o.AddMember("action", str(r.action), a);
    o.AddMember("status", str(r.status), a);
    o.AddMember("health", str(std::string(HealthCodeName(r.health.code))), a);
    o.AddMember("healthMessage", str(r.health.message), a);
    o.AddMember("message", str(r.message), a);
    resources.PushBack(o, a);
  }
  doc.AddMember("resources", resources, a);
  return ToJson(doc, pretty);
}

}  // namespace mlgitops
