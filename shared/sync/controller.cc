// The controller's decisions (pure functions: auto-sync, backoffs, dependencies) and its pass:
// list Applications, render, compare, decide, sync, write status back.
#include "sync/controller.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "kube/errors.h"
#include "object/timeutil.h"
#include "project/sync_windows.h"
#include "sync/app_state.h"
#include "sync/parallel.h"
#include "sync/tracking.h"

namespace mlgitops {

namespace {

constexpr const char* kApplicationGroups[] = {"mlgitops.io", "argoproj.io"};
constexpr char kInClusterServer[] = "https://kubernetes.default.svc";
constexpr char kSyncError[] = "SyncError";
constexpr char kComparisonError[] = "ComparisonError";
// Argo CD's condition for resources it cannot manage; here: kinds the account may not list.
constexpr char kExcludedResourceWarning[] = "ExcludedResourceWarning";
constexpr char kInvalidSpecError[] = "InvalidSpecError";
constexpr char kSharedResourceWarning[] = "SharedResourceWarning";
constexpr char kOrphanedResourceWarning[] = "OrphanedResourceWarning";
constexpr char kSyncOptionUnknown[] = "SyncOptionUnknown";
constexpr char kDependencyNotReady[] = "DependencyNotReady";
constexpr char kDependencyCycle[] = "DependencyCycle";

std::string KeyOf(const std::string& ns, const std::string& name) { return ns + "/" + name; }
std::string KeyOf(const Application& app) { return KeyOf(app.namespace_, app.name); }

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::string RevisionText(const std::vector<std::string>& revisions) {
  return revisions.empty() ? "(no revision)" : Join(revisions, ", ");
}

AppCondition MakeCondition(const char* type, std::string message) {
  return AppCondition{type, std::move(message), 0};
}

AutoSyncDecision Skip(std::string reason, std::optional<AppCondition> condition = std::nullopt) {
  AutoSyncDecision d;
  d.reason = std::move(reason);
  d.condition = std::move(condition);
  return d;
}

std::string SourceText(const ApplicationSource& s) {
  std::string text = s.repo_url + "|" + s.path + "|" + s.target_revision + "|" + s.chart + "|" +
                     s.ref + "|" + s.name;
  if (s.directory) {
    text += "|dir:" + std::to_string(s.directory->recurse) + s.directory->include + ":" +
            s.directory->exclude + ":" + s.directory->jsonnet;
  }
  if (s.helm) text += "|helm:" + s.helm->raw;
  if (s.kustomize) text += "|kustomize:" + s.kustomize->raw;
  if (s.plugin) text += "|plugin:" + *s.plugin;
  return text;
}

std::vector<std::string> StringsAt(const JsonValue& v, std::string_view path) {
  std::vector<std::string> out;
  const JsonValue* array = Find(v, path);
  if (!array || !array->IsArray()) return out;
  for (const JsonValue& item : array->GetArray()) {
    if (item.IsString()) out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

}  // namespace

// ---- pure decisions ----

RecordedAppStatus ParseRecordedStatus(const JsonValue& status) {
  RecordedAppStatus r;
  r.sync_status = GetString(status, "sync.status");
  r.health = GetString(status, "health.status");
  r.has_operation = Find(status, "operationState.phase") != nullptr;
  r.revisions = StringsAt(status, "operationState.syncResult.revisions");
  if (r.revisions.empty() && !GetString(status, "operationState.syncResult.revision").empty()) {
    r.revisions.push_back(GetString(status, "operationState.syncResult.revision"));
  }
  r.source = GetString(status, "operationState.syncResult.source");
  r.phase = GetString(status, "operationState.phase");
  r.message = GetString(status, "operationState.message");
  r.finished_at = ParseRfc3339(GetString(status, "operationState.finishedAt")).value_or(0);
  r.self_heal_attempts =
      GetInt(status, "operationState.operation.sync.autoHealAttemptsCount").value_or(0);
  const JsonValue* conditions = Find(status, "conditions");
  if (conditions && conditions->IsArray()) {
    for (const JsonValue& c : conditions->GetArray()) {
      r.conditions.push_back(
          AppCondition{GetString(c, "type"), GetString(c, "message"),
                       ParseRfc3339(GetString(c, "lastTransitionTime")).value_or(0)});
    }
  }
  return r;
}

int64_t SelfHealDelaySeconds(int64_t previous_attempts, const SelfHealBackoff& backoff) {
  if (previous_attempts <= 0) return 0;
  int64_t delay = backoff.initial_seconds;
  for (int64_t i = 1; i < previous_attempts && delay < backoff.cap_seconds; ++i) {
    delay *= std::max<int64_t>(backoff.factor, 1);
  }
  return std::min(delay, backoff.cap_seconds);
}

std::chrono::milliseconds RetryDelay(const RetryBackoff& backoff, int64_t retry) {
  int64_t cap = backoff.max_duration_seconds * 1000;
  int64_t delay = backoff.duration_seconds * 1000;
  for (int64_t i = 0; i < retry && delay < cap; ++i) delay *= std::max<int64_t>(backoff.factor, 1);
  return std::chrono::milliseconds(std::min(delay, cap));
}

int64_t AutoSyncRetryLimit(const Application& app) {
  return app.sync_policy.retry ? app.sync_policy.retry->limit : 5;
}

std::string SourceFingerprint(const Application& app) {
  std::vector<std::string> parts;
  for (const ApplicationSource& s : app.sources) parts.push_back(SourceText(s));
  return Join(parts, ";");
}

std::vector<std::string> DependsOn(const Application& app) {
  std::vector<std::string> out;
  auto it = app.annotations.find(std::string(kDependsOnAnnotation));
  if (it == app.annotations.end()) return out;
  std::string_view text = it->second;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = std::min(text.find(',', start), text.size());
    std::string name = TrimSpace(text.substr(start, comma - start));
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) {
      out.push_back(name);
    }
    start = comma + 1;
  }
  return out;
}

bool AlreadyAttempted(const AutoSyncState& state) {
  const RecordedAppStatus& last = state.recorded;
  return last.has_operation && last.revisions == state.revisions &&
         (last.source.empty() || last.source == state.source);
}

std::optional<AppCondition> FailedAttemptCondition(const AutoSyncState& state) {
  if (!AlreadyAttempted(state) || state.recorded.phase == "Succeeded") return std::nullopt;
  return MakeCondition(kSyncError, "Failed last sync attempt to " + RevisionText(state.revisions) +
                                       ": " + state.recorded.message);
}

AutoSyncDecision DecideAutoSync(const Application& app, const AutoSyncState& state,
                                const AppComparison& comparison, int64_t now,
                                const SelfHealBackoff& backoff) {
  if (!app.sync_policy.AutoSyncEnabled()) return Skip("auto-sync is disabled");
  if (comparison.sync_status == kSyncUnknown) return Skip("comparison failed");
  if (comparison.sync_status != kOutOfSync) return Skip("already synced");
  const AutomatedSync& automated = *app.sync_policy.automated;
  if (!automated.prune && comparison.OnlyPruningNeeded()) {
    return Skip("only resources that require pruning differ, and automated.prune is off");
  }
  if (state.dependency_wait) return Skip(state.dependency_wait->message, state.dependency_wait);

  const RecordedAppStatus& last = state.recorded;
  AutoSyncDecision d;
  d.prune = automated.prune;
  if (AlreadyAttempted(state)) {
    std::string rev = RevisionText(state.revisions);
    if (auto failed = FailedAttemptCondition(state)) {
      return Skip("the last sync to " + rev + " failed; waiting for a new revision", failed);
    }
    if (!automated.self_heal) return Skip("most recent sync already to " + rev);
    int64_t attempts = last.self_heal_attempts;
    if (last.finished_at > 0 && now - last.finished_at > backoff.cooldown_seconds) attempts = 0;
    int64_t due = last.finished_at + SelfHealDelaySeconds(attempts, backoff);
    d.self_heal_attempts = attempts + 1;
    if (now < due) {
      d.action = AutoSyncAction::kBackoff;
      d.retry_at = due;
      d.reason = "self-heal backoff: next attempt in " + std::to_string(due - now) + "s";
      return d;
    }
    d.action = AutoSyncAction::kSelfHeal;
    d.reason = "self-heal: " + std::to_string(comparison.CountOutOfSync()) +
               " resource(s) drifted from " + rev;
  } else {
    d.action = AutoSyncAction::kSync;
    d.reason = std::to_string(comparison.CountOutOfSync()) + " resource(s) OutOfSync at " +
               RevisionText(state.revisions);
  }
  if (automated.prune && !automated.allow_empty && comparison.AllRequirePruning()) {
    return Skip("refusing to prune every resource",
                MakeCondition(kSyncError, "auto-sync will wipe out all resources"));
  }
  return d;
}

std::map<std::string, std::string> FindDependencyCycles(const std::vector<Application>& apps) {
  std::map<std::string, std::vector<std::string>> edges;
  for (const Application& app : apps) {
    auto& out = edges[KeyOf(app)];
    for (const std::string& dep : DependsOn(app)) out.push_back(KeyOf(app.namespace_, dep));
  }
  std::map<std::string, std::string> cycles;
  std::map<std::string, int> color;  // 0 new, 1 on the stack, 2 done
  std::vector<std::string> stack;
  std::function<void(const std::string&)> visit = [&](const std::string& node) {
    color[node] = 1;
    stack.push_back(node);
    for (const std::string& next : edges[node]) {
      if (!edges.count(next)) continue;  // not an app: a missing dependency, not a cycle
      if (color[next] == 1) {
        auto from = std::find(stack.begin(), stack.end(), next);
        std::vector<std::string> names;
        for (auto it = from; it != stack.end(); ++it)
          names.push_back(it->substr(it->find('/') + 1));
        names.push_back(next.substr(next.find('/') + 1));
        std::string path = Join(names, " -> ");
        for (auto it = from; it != stack.end(); ++it) cycles.emplace(*it, path);
      } else if (color[next] == 0) {
        visit(next);
      }
    }
    stack.pop_back();
    color[node] = 2;
  };
  for (const Application& app : apps) {
    if (color[KeyOf(app)] == 0) visit(KeyOf(app));
  }
  return cycles;
}

std::vector<size_t> DependencyOrder(const std::vector<Application>& apps) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < apps.size(); ++i) index.emplace(KeyOf(apps[i]), i);
  std::vector<int> state(apps.size(), 0);
  std::vector<size_t> order;
  std::function<void(size_t)> visit = [&](size_t i) {
    state[i] = 1;
    for (const std::string& dep : DependsOn(apps[i])) {
      auto it = index.find(KeyOf(apps[i].namespace_, dep));
      if (it != index.end() && state[it->second] == 0) visit(it->second);
    }
    state[i] = 2;
    order.push_back(i);
  };
  for (size_t i = 0; i < apps.size(); ++i) {
    if (state[i] == 0) visit(i);
  }
  return order;
}

std::string DependencyBlocker(const Application& app,
                              const std::map<std::string, RecordedAppStatus>& recorded) {
  std::vector<std::string> waiting;
  for (const std::string& dep : DependsOn(app)) {
    auto it = recorded.find(KeyOf(app.namespace_, dep));
    if (it == recorded.end()) {
      waiting.push_back(dep + " (not found)");
      continue;
    }
    const RecordedAppStatus& s = it->second;
    if (s.sync_status == kSynced && s.health == "Healthy") continue;
    waiting.push_back(dep + " (" + (s.sync_status.empty() ? "Unknown" : s.sync_status) + ", " +
                      (s.health.empty() ? "Unknown" : s.health) + ")");
  }
  return waiting.empty() ? "" : "waiting for " + Join(waiting, ", ");
}

std::string_view AutoSyncActionName(AutoSyncAction action) {
  switch (action) {
    case AutoSyncAction::kNone:
      return "none";
    case AutoSyncAction::kSync:
      return "sync";
    case AutoSyncAction::kSelfHeal:
      return "self-heal";
    case AutoSyncAction::kBackoff:
      return "backoff";
  }
  return "none";
}

// ---- the controller ----

struct Controller::ManagedApp {
  Application app;
  RecordedAppStatus recorded;
};

namespace {

/// The whole status patch the controller writes after a pass over one app.
std::string StatusPatch(const AppComparison* comparison, const std::string& sync_status,
                        const std::vector<std::string>& revisions,
                        const std::vector<AppCondition>& conditions, int64_t now) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  JsonValue status(rapidjson::kObjectType);
  JsonValue sync(rapidjson::kObjectType);
  sync.AddMember("status", JsonString(sync_status, a), a);
  sync.AddMember("revision", JsonString(revisions.empty() ? "" : revisions.front(), a), a);
  JsonValue revs(rapidjson::kArrayType);
  for (const std::string& r : revisions) revs.PushBack(JsonString(r, a), a);
  sync.AddMember("revisions", revs, a);
  status.AddMember("sync", sync, a);
  status.AddMember("reconciledAt", JsonString(FormatRfc3339(now), a), a);
  if (conditions.empty()) {
    status.AddMember("conditions", JsonValue(rapidjson::kNullType), a);
  } else {
    JsonValue list(rapidjson::kArrayType);
    for (const AppCondition& c : conditions) {
      JsonValue o(rapidjson::kObjectType);
      o.AddMember("type", JsonString(c.type, a), a);
      o.AddMember("message", JsonString(c.message, a), a);
      o.AddMember("lastTransitionTime", JsonString(FormatRfc3339(c.last_transition), a), a);
      list.PushBack(o, a);
    }
    status.AddMember("conditions", list, a);
  }
  if (comparison) {
    JsonValue resources(rapidjson::kArrayType);
    for (const ResourceComparison& r : comparison->resources) {
      JsonValue o(rapidjson::kObjectType);
      size_t slash = r.api_version.find('/');
      o.AddMember("group", JsonString(r.ref.group, a), a);
      o.AddMember(
          "version",
          JsonString(slash == std::string::npos ? r.api_version : r.api_version.substr(slash + 1),
                     a),
          a);
      o.AddMember("kind", JsonString(r.ref.kind, a), a);
      o.AddMember("namespace", JsonString(r.ref.namespace_, a), a);
      o.AddMember("name", JsonString(r.ref.name, a), a);
      o.AddMember("status", JsonString(r.status, a), a);
      if (r.requires_pruning) o.AddMember("requiresPruning", true, a);
      JsonValue health(rapidjson::kObjectType);
      health.AddMember("status", JsonString(std::string(HealthCodeName(r.health.code)), a), a);
      if (!r.health.message.empty())
        health.AddMember("message", JsonString(r.health.message, a), a);
      o.AddMember("health", health, a);
      resources.PushBack(o, a);
    }
    status.AddMember("resources", resources, a);
  }
  doc.AddMember("status", status, a);
  return ToJson(doc);
}

/// Bookkeeping the controller adds to the operation AppStateStore::Record wrote.
std::string OperationPatch(const std::string& source, const std::vector<std::string>& revisions,
                           bool prune, int64_t self_heal_attempts, int64_t retries) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  JsonValue sync(rapidjson::kObjectType);
  JsonValue revs(rapidjson::kArrayType);
  for (const std::string& r : revisions) revs.PushBack(JsonString(r, a), a);
  sync.AddMember("revisions", revs, a);
  sync.AddMember("prune", prune, a);
  sync.AddMember("autoHealAttemptsCount", self_heal_attempts, a);
  JsonValue by(rapidjson::kObjectType);
  by.AddMember("automated", true, a);
  JsonValue operation(rapidjson::kObjectType);
  operation.AddMember("sync", sync, a);
  operation.AddMember("initiatedBy", by, a);
  JsonValue result(rapidjson::kObjectType);
  result.AddMember("source", JsonString(source, a), a);
  JsonValue op(rapidjson::kObjectType);
  op.AddMember("operation", operation, a);
  op.AddMember("syncResult", result, a);
  op.AddMember("retryCount", retries, a);
  JsonValue status(rapidjson::kObjectType);
  status.AddMember("operationState", op, a);
  doc.AddMember("status", status, a);
  return ToJson(doc);
}

/// Conditions keep their transition time while type and message stay the same.
void StampConditions(const std::vector<AppCondition>& before, int64_t now,
                     std::vector<AppCondition>* conditions) {
  for (AppCondition& c : *conditions) {
    c.last_transition = now;
    for (const AppCondition& old : before) {
      if (old.type == c.type && old.message == c.message && old.last_transition > 0) {
        c.last_transition = old.last_transition;
      }
    }
  }
}

void AddCondition(AppCondition c, std::vector<AppCondition>* conditions) {
  for (AppCondition& existing : *conditions) {
    if (existing.type == c.type) {
      existing = std::move(c);
      return;
    }
  }
  conditions->push_back(std::move(c));
}

// "https://h:6443/" and "https://h:6443" are one cluster; "" is the controller's own.
std::string NormalizeServerUrl(std::string server) {
  while (!server.empty() && server.back() == '/') server.pop_back();
  return server.empty() ? std::string(kInClusterServer) : server;
}

bool IsLocalDestination(const ApplicationDestination& d) {
  return (d.server.empty() && (d.name.empty() || d.name == "in-cluster")) ||
         d.server == kInClusterServer;
}

/// "GROUP:KIND:NS/NAME" filters for the resources a self-heal re-syncs.
std::vector<std::string> DriftedResources(const AppComparison& comparison, bool prune) {
  std::vector<std::string> out;
  for (const ResourceComparison& r : comparison.resources) {
    if (r.status == kSynced || (r.requires_pruning && !prune)) continue;
    out.push_back(r.ref.group + ":" + r.ref.kind + ":" +
                  (r.ref.namespace_.empty() ? "" : r.ref.namespace_ + "/") + r.ref.name);
  }
  return out;
}

std::vector<Object> CloneAll(const std::vector<Object>& objects) {
  std::vector<Object> out;
  out.reserve(objects.size());
  for (const Object& o : objects) out.push_back(o.Clone());
  return out;
}

}  // namespace

Controller::Controller(KubeClient& client, RenderFn render, const HealthAssessor& assessor,
                       const Conventions& conventions, const Clock& clock,
                       ControllerOptions options)
    : client_(client),
      render_(std::move(render)),
      assessor_(assessor),
      conventions_(conventions),
      clock_(clock),
      options_(std::move(options)) {}

void Controller::Log(const std::string& line) const {
  static std::mutex mu;  // lanes log from several threads
  std::lock_guard<std::mutex> lock(mu);
  if (options_.log) options_.log(line);
}

void Controller::Sleep(std::chrono::milliseconds duration) {
  if (options_.sleep) return options_.sleep(duration);
  SleepUnlessCancelled(duration);
}

void Controller::SleepUnlessCancelled(std::chrono::milliseconds duration) const {
  auto until = std::chrono::steady_clock::now() + duration;
  while (!Cancelled()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(100)));
  }
}

Result<std::vector<Controller::ManagedApp>> Controller::ListApps() {
  std::vector<ManagedApp> apps;
  for (const char* group : kApplicationGroups) {
    auto list = ListAll(client_, {group, "v1alpha1", "Application"}, options_.namespace_, {});
    if (!list.ok()) {
      if (list.status().code() == Status::Code::kNotFound) continue;  // CRD not installed
      return list.status().Prefixed("listing " + std::string(group) + " Applications");
    }
    for (Object& obj : list->items) {
      obj.set_origin("Application " + obj.namespace_() + "/" + obj.name());
      auto app = ParseApplication(obj);
      if (!app.ok()) {
        // One bad app must not stop the others; tell its owner on the app itself.
        Log(app.status().message());
        std::string patch = StatusPatch(nullptr, std::string(kSyncUnknown), {},
                                        {MakeCondition(kInvalidSpecError, app.status().message())},
                                        clock_.NowUnix());
        client_.Patch(ObjectKey::Of(obj), PatchType::kMerge, patch, WriteOptions());
        continue;
      }
      ManagedApp managed{std::move(*app), {}};
      if (const JsonValue* status = Find(obj.json(), "status")) {
        managed.recorded = ParseRecordedStatus(*status);
      }
      apps.push_back(std::move(managed));
    }
  }
  return apps;
}

Result<std::vector<AppReconcileReport>> Controller::ReconcileOnce() {
  if (!default_project_ensured_) {
    Status ensured = EnsureDefaultProject(client_, options_.control_namespace);
    if (ensured.ok()) {
      default_project_ensured_ = true;
    } else {
      Log("the default AppProject is not there and could not be created: " + ensured.message());
    }
  }
  auto listed = ListApps();
  if (!listed.ok()) return listed.status();
  std::vector<ManagedApp>& apps = *listed;
  std::vector<Application> specs;
  for (const ManagedApp& m : apps) specs.push_back(m.app);
  std::map<std::string, std::string> cycles = FindDependencyCycles(specs);
  std::map<std::string, RecordedAppStatus> recorded;
  for (const ManagedApp& m : apps) recorded[KeyOf(m.app)] = m.recorded;
  // One lane per destination cluster, run side by side: a slow or unreachable cluster holds up
  // only its own apps. Within a lane apps go in dependency order and later ones see what earlier
  // ones recorded this pass; across lanes, dependencies are judged as recorded at its start.
  std::vector<size_t> order = DependencyOrder(specs);
  std::map<std::string, std::vector<size_t>> lanes;
  for (size_t i : order) {
    const ApplicationDestination& d = apps[i].app.destination;
    lanes[d.name.empty() ? NormalizeServerUrl(d.server) : "name:" + d.name].push_back(i);
  }
  std::vector<std::vector<size_t>> lane_list;
  for (auto& [key, members] : lanes) lane_list.push_back(std::move(members));
  std::vector<std::optional<AppReconcileReport>> by_app(apps.size());
  RunParallel(lane_list.size(), options_.cluster_parallelism, [&](size_t lane) {
    std::map<std::string, RecordedAppStatus> seen = recorded;
    for (size_t i : lane_list[lane]) {
      if (Cancelled()) break;
      ManagedApp& m = apps[i];
      auto cycle = cycles.find(KeyOf(m.app));
      AppReconcileReport report = ReconcileApp(m, cycle == cycles.end() ? "" : cycle->second, seen);
      seen[KeyOf(m.app)].sync_status = report.sync_status;
      seen[KeyOf(m.app)].health = report.health;
      by_app[i] = std::move(report);
    }
  });
  std::vector<AppReconcileReport> reports;
  for (size_t i : order) {
    if (by_app[i]) reports.push_back(std::move(*by_app[i]));
  }
  return reports;
}

AppReconcileReport Controller::ReconcileApp(
    ManagedApp& managed, const std::string& cycle,
    const std::map<std::string, RecordedAppStatus>& recorded) {
  const Application& app = managed.app;
  int64_t now = clock_.NowUnix();
  AppReconcileReport report;
  report.app = KeyOf(app);
  AppStateStore store(client_, app, true, app.namespace_);
  std::vector<AppCondition> conditions;
  auto finish = [&](const AppComparison* comparison, const std::string& sync_status,
                    const HealthStatus& health, const std::vector<std::string>& revisions) {
    StampConditions(managed.recorded.conditions, now, &conditions);
    Status written = store.RecordStatus(sync_status, health);
    if (written.ok()) {
      auto patched = client_.Patch(
          ObjectKey{GroupVersionKind::FromApiVersion(app.api_version, "Application"),
                    app.namespace_, app.name},
          PatchType::kMerge, StatusPatch(comparison, sync_status, revisions, conditions, now),
          WriteOptions());
      if (!patched.ok()) written = patched.status();
    }
    if (!written.ok()) Log(report.app + ": status not written: " + written.message());
    report.sync_status = sync_status;
    report.health = std::string(HealthCodeName(health.code));
    report.conditions = conditions;
    return report;
  };
  auto fail = [&](const char* type, const std::string& message) {
    conditions.push_back(MakeCondition(type, message));
    Log(report.app + ": " + message);
    HealthStatus health{ParseHealthCode(managed.recorded.health).value_or(HealthCode::kUnknown),
                        ""};
    return finish(nullptr, std::string(kSyncUnknown), health, {});
  };

  // The project gate comes first: an app its project does not permit is never rendered (its
  // repo is not fetched), never compared, applied or pruned.
  auto project = ProjectForApplication(client_, options_.control_namespace, app);
  if (!project.ok()) {
    bool spec = project.status().code() == Status::Code::kInvalidArgument;
    return fail(spec ? kInvalidSpecError : kComparisonError, project.status().message());
  }
  KubeClient* destination = &client_;
  if (options_.destination) {
    // A destination that cannot be reached fails this app only; the others go on.
    auto connected = options_.destination(app);
    if (!connected.ok()) return fail(kComparisonError, connected.status().message());
    destination = *connected;
  } else if (!IsLocalDestination(app.destination)) {
    return fail(kInvalidSpecError, "destination " + app.destination.server + app.destination.name +
                                       " is not the controller's cluster: run a controller there");
  }
  // destinationServiceAccounts: the app's objects are read, applied and pruned as the
  // project's ServiceAccount for the destination (Argo CD 2.13's impersonation), never as the
  // controller; with require_impersonation an unmapped destination is refused.
  auto acting_as = ClientForProjectAccount(*project, app.destination, *destination,
                                           options_.require_impersonation);
  if (!acting_as.ok()) {
    bool spec = acting_as.status().code() == Status::Code::kNotFound ||
                acting_as.status().code() == Status::Code::kInvalidArgument;
    return fail(spec ? kInvalidSpecError : kComparisonError, acting_as.status().message());
  }
  if (*acting_as) destination = acting_as->get();
  auto desired = render_(app, "");
  if (!desired.ok()) return fail(kComparisonError, desired.status().message());
  Status permitted = CheckManifestsPermitted(*project, app, desired->objects, *destination);
  if (!permitted.ok()) return fail(kInvalidSpecError, permitted.message());
  std::string instance = AppInstanceName(app, options_.control_namespace);
  CompareOptions compare;
  compare.assessor = &assessor_;
  compare.conventions = &conventions_;
  compare.now_unix = now;
  compare.field_manager = options_.sync.field_manager;
  compare.parallelism = options_.sync.parallelism;
  compare.find_orphans = project->orphaned_resources.has_value();
  auto comparison = CompareApp(*destination, app, instance, desired->objects, compare);
  if (!comparison.ok()) return fail(kComparisonError, comparison.status().message());
  if (!comparison->errors.empty()) {
    conditions.push_back(MakeCondition(kComparisonError, comparison->errors.front()));
  }
  if (!comparison->warnings.empty()) {
    conditions.push_back(MakeCondition(kExcludedResourceWarning, comparison->warnings.front()));
  }
  if (std::vector<std::string> unsupported = UnsupportedSyncOptions(app, desired->objects);
      !unsupported.empty()) {
    // An option the app asks for and this engine does not carry out is said, never dropped.
    std::string message = unsupported.front();
    if (unsupported.size() > 1) {
      message += " (and " + std::to_string(unsupported.size() - 1) + " more)";
    }
    conditions.push_back(MakeCondition(kSyncOptionUnknown, message));
  }
  if (project->orphaned_resources && project->orphaned_resources->warn) {
    // Argo CD's OrphanedResourceWarning for the project's orphanedResources.warn.
    size_t orphans = CountedOrphans(*project, comparison->orphaned).size();
    if (orphans > 0) {
      conditions.push_back(
          MakeCondition(kOrphanedResourceWarning,
                        "Application has " + std::to_string(orphans) + " orphaned resources"));
    }
  }
  if (!comparison->shared.empty()) {
    // Argo CD's SharedResourceWarning; the sync leaves such objects alone.
    conditions.push_back(MakeCondition(kSharedResourceWarning, comparison->shared.front()));
  }

  AutoSyncState state;
  state.revisions = desired->revisions;
  state.source = SourceFingerprint(app);
  state.recorded = managed.recorded;
  if (!cycle.empty()) {
    AppCondition c = MakeCondition(kDependencyCycle, "dependency cycle: " + cycle);
    state.dependency_wait = c;
    conditions.push_back(c);
  } else if (std::string blocker = DependencyBlocker(app, recorded); !blocker.empty()) {
    state.dependency_wait = MakeCondition(kDependencyNotReady, blocker);
  }
  AutoSyncDecision decision = DecideAutoSync(app, state, *comparison, now, options_.self_heal);
  report.action = decision.action;
  report.reason = decision.reason;
  if (decision.condition) AddCondition(*decision.condition, &conditions);
  // Also while the failed attempt left the app Synced but unhealthy: nothing retries it.
  if (auto failed = FailedAttemptCondition(state); failed && app.sync_policy.AutoSyncEnabled()) {
    AddCondition(*failed, &conditions);
  }

  bool syncs =
      decision.action == AutoSyncAction::kSync || decision.action == AutoSyncAction::kSelfHeal;
  if (syncs) {
    // The project's sync windows gate automated syncs (Argo CD's CanSync, not manual).
    auto window = CheckSyncWindows(*project, app, now, /*manual=*/false);
    if (!window.ok()) {
      conditions.push_back(MakeCondition(kInvalidSpecError, window.status().message()));
      syncs = false;
    } else if (!window->allowed) {
      report.action = AutoSyncAction::kNone;
      report.reason = decision.reason = "automated sync " + window->reason;
      syncs = false;
    }
  }
  if (!syncs) {
    if (decision.action != AutoSyncAction::kNone || app.sync_policy.AutoSyncEnabled()) {
      Log(report.app + ": " + comparison->sync_status + ", " + decision.reason);
    }
    return finish(&*comparison, comparison->sync_status, comparison->health, desired->revisions);
  }

  Log(report.app + ": " + std::string(AutoSyncActionName(decision.action)) + ": " +
      decision.reason);
  int64_t retries = 0;
  auto result = SyncWithRetries(*destination, app, *desired, decision, *comparison, &retries);
  if (!result.ok()) return fail(kSyncError, result.status().message());
  report.sync_phase = result->phase;
  Log(report.app + ": sync " + result->phase + ": " + result->message);
  Status recorded_op = store.Record(*result, "automated");
  if (recorded_op.ok()) {
    auto patched = client_.Patch(
        ObjectKey{GroupVersionKind::FromApiVersion(app.api_version, "Application"), app.namespace_,
                  app.name},
        PatchType::kMerge,
        OperationPatch(
            state.source, result->revisions, decision.prune,
            decision.action == AutoSyncAction::kSelfHeal ? decision.self_heal_attempts : 0,
            retries),
        WriteOptions());
    if (!patched.ok()) recorded_op = patched.status();
  }
  if (!recorded_op.ok()) Log(report.app + ": result not recorded: " + recorded_op.message());
  if (!result->succeeded()) {
    AddCondition(
        MakeCondition(kSyncError, "Failed last sync attempt to " +
                                      RevisionText(desired->revisions) + ": " + result->message),
        &conditions);
  }
  // What the cluster looks like now the sync ran.
  compare.now_unix = clock_.NowUnix();
  auto after = CompareApp(*destination, app, instance, desired->objects, compare);
  if (!after.ok()) return fail(kComparisonError, after.status().message());
  return finish(&*after, after->sync_status, after->health, desired->revisions);
}

Result<SyncResult> Controller::SyncWithRetries(KubeClient& destination, const Application& app,
                                               const DesiredManifests& desired,
                                               const AutoSyncDecision& decision,
                                               const AppComparison& comparison, int64_t* retries) {
  SyncOptions options = options_.sync;
  options.prune = decision.prune;
  options.cancel = options_.cancel;
  if (decision.action == AutoSyncAction::kSelfHeal) {
    options.resources = DriftedResources(comparison, decision.prune);
  }
  Syncer syncer(destination, assessor_, conventions_, clock_);
  int64_t limit = AutoSyncRetryLimit(app);
  RetryBackoff backoff = app.sync_policy.retry ? app.sync_policy.retry->backoff : RetryBackoff();
  for (int64_t attempt = 0;; ++attempt) {
    SyncInput input;
    input.app = &app;
    input.app_instance = AppInstanceName(app, options_.control_namespace);
    input.desired = CloneAll(desired.objects);
    input.revisions = desired.revisions;
    auto result = syncer.Run(std::move(input), options);
    *retries = attempt;
    if (!result.ok() || result->succeeded() || result->phase == "Terminated" || Cancelled()) {
      return result;
    }
    if (limit >= 0 && attempt >= limit) return result;
    auto wait = RetryDelay(backoff, attempt);
    Log(KeyOf(app) + ": sync failed (" + result->message + "); retry " +
        std::to_string(attempt + 1) + (limit >= 0 ? "/" + std::to_string(limit) : "") + " in " +
        std::to_string(wait.count() / 1000) + "s");
    Sleep(wait);
    if (Cancelled()) return result;
  }
}

void Controller::Run() {
  while (!Cancelled()) {
    auto started = std::chrono::steady_clock::now();
    auto reports = ReconcileOnce();
    if (!reports.ok()) Log("reconcile failed: " + reports.status().message());
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    // The interval is real time, whatever the retries' injected sleep does.
    if (elapsed < options_.interval) SleepUnlessCancelled(options_.interval - elapsed);
  }
}

}  // namespace mlgitops
