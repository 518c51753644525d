// PlanAppSetSync, ApplyAppSetPlan and the AllAtOnce sync of an ApplicationSet's Applications.
#include "appset/appset_sync.h"

#include <map>
#include <set>
#include <utility>

#include "sync/parallel.h"

namespace mlgitops {

namespace {

constexpr char kResourcesFinalizer[] = "resources-finalizer.argocd.argoproj.io";

JsonValue& MetadataOf(Object* object) {
  JsonValue& root = object->mutable_json();
  if (!root.HasMember("metadata") || !root["metadata"].IsObject()) {
    root.RemoveMember("metadata");
    root.AddMember("metadata", JsonValue(rapidjson::kObjectType), object->allocator());
  }
  return root["metadata"];
}

void SetMember(JsonValue* parent, const char* key, JsonValue value, JsonAllocator& a) {
  parent->RemoveMember(key);
  parent->AddMember(JsonValue(key, a), value, a);
}

void SetLabel(Object* object, const std::string& key, const std::string& value) {
  JsonAllocator& a = object->allocator();
  JsonValue& metadata = MetadataOf(object);
  if (!metadata.HasMember("labels") || !metadata["labels"].IsObject()) {
    SetMember(&metadata, "labels", JsonValue(rapidjson::kObjectType), a);
  }
  SetMember(&metadata["labels"], key.c_str(), JsonString(value, a), a);
}

void SetOwnerReference(Object* object, const AppSetOwner& owner) {
  JsonAllocator& a = object->allocator();
  JsonValue ref(rapidjson::kObjectType);
  ref.AddMember("apiVersion", JsonString(owner.api_version, a), a);
  ref.AddMember("kind", "ApplicationSet", a);
  ref.AddMember("name", JsonString(owner.name, a), a);
  ref.AddMember("uid", JsonString(owner.uid, a), a);
  ref.AddMember("controller", true, a);
  ref.AddMember("blockOwnerDeletion", true, a);
  JsonValue refs(rapidjson::kArrayType);
  refs.PushBack(ref, a);
  SetMember(&MetadataOf(object), "ownerReferences", std::move(refs), a);
}

/// The generated app as it should be written: owned, labelled, in the AppSet's namespace.
Object DesiredObject(const GeneratedApp& generated, const AppSetOwner& owner) {
  Object object = generated.object.Clone();
  SetLabel(&object, kAppSetLabel, owner.name);
  if (!owner.uid.empty()) SetOwnerReference(&object, owner);
  if (object.namespace_().empty() && !owner.namespace_.empty()) {
    object.SetNamespace(owner.namespace_);
  }
  return object;
}

/// Every member of `want` (an object of strings) is in `have` with the same value.
bool Contains(const JsonValue* have, const JsonValue* want) {
  if (!want || !want->IsObject()) return true;
  if (!have || !have->IsObject()) return want->MemberCount() == 0;
  for (const auto& m : want->GetObject()) {
    auto it = have->FindMember(m.name);
    if (it == have->MemberEnd() || it->value != m.value) return false;
  }
  return true;
}

bool NeedsUpdate(const Object& desired, const Object& existing) {
  const JsonValue* want_spec = Find(desired.json(), "spec");
  const JsonValue* have_spec = Find(existing.json(), "spec");
  if ((want_spec == nullptr) != (have_spec == nullptr)) return true;
  if (want_spec && *want_spec != *have_spec) return true;
  for (const char* path : {"metadata.labels", "metadata.annotations"}) {
    if (!Contains(Find(existing.json(), path), Find(desired.json(), path))) return true;
  }
  const JsonValue* want_finalizers = Find(desired.json(), "metadata.finalizers");
  const JsonValue* have_finalizers = Find(existing.json(), "metadata.finalizers");
  if (!want_finalizers || !want_finalizers->IsArray()) return false;
  if (!have_finalizers || !have_finalizers->IsArray()) return !want_finalizers->Empty();
  for (const JsonValue& f : want_finalizers->GetArray()) {
    bool found = false;
    for (const JsonValue& h : have_finalizers->GetArray()) found = found || h == f;
    if (!found) return true;
  }
  return false;
}

PlannedApp Planned(std::string name, AppAction action, Object object, std::string note = "") {
  PlannedApp planned;
  planned.name = std::move(name);
  planned.action = action;
  auto app = ParseApplication(object);
  if (app.ok()) planned.app = std::move(*app);
  planned.app.name = planned.name;
  planned.object = std::move(object);
  planned.note = std::move(note);
  return planned;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// The plan's deletions, unless the policy or a generator failure forbids them.
void PlanDeletions(const std::vector<const Object*>& orphans, const AppSetSyncPolicy& policy,
                   AppSetSyncPlan* plan) {
  if (orphans.empty()) return;
  std::vector<std::string> names;
  for (const Object* o : orphans) names.push_back(o->name());
  std::string count = std::to_string(orphans.size()) + " Application(s) no longer generated (" +
                      JoinNames(names) + ")";
  if (plan->generators_failed) {
    plan->notes.push_back("not deleting " + count + ": the generators failed");
    return;
  }
  if (!policy.allow_delete) {
    plan->notes.push_back("applicationsSync " + policy.name + ": keeping " + count);
    return;
  }
  for (const Object* o : orphans)
    plan->apps.push_back(Planned(o->name(), AppAction::kDelete, o->Clone()));
}

}  // namespace

std::string_view AppActionName(AppAction action) {
  switch (action) {
    case AppAction::kCreate:
      return "create";
    case AppAction::kUpdate:
      return "update";
    case AppAction::kDelete:
      return "delete";
    case AppAction::kUnchanged:
      break;
  }
  return "unchanged";
}

Result<AppSetSyncPolicy> AppSetSyncPolicy::Of(const ApplicationSet& appset) {
  AppSetSyncPolicy policy;
  policy.preserve_resources_on_deletion = appset.preserve_resources_on_deletion;
  const std::string& mode = appset.applications_sync;
  if (mode.empty() || mode == "sync") return policy;
  policy.name = mode;
  if (mode == "create-only") {
    policy.allow_update = policy.allow_delete = false;
  } else if (mode == "create-update") {
    policy.allow_delete = false;
  } else if (mode == "create-delete") {
    policy.allow_update = false;
  } else {
    return Status::InvalidArgument(appset.DisplayName() +
                                   ": spec.syncPolicy.applicationsSync: unknown policy \"" + mode +
                                   "\" (use create-only, create-update, create-delete or sync)");
  }
  return policy;
}

AppSetOwner AppSetOwner::Of(const ApplicationSet& appset, std::string uid) {
  AppSetOwner owner;
  owner.api_version = appset.api_version.empty() ? "argoproj.io/v1alpha1" : appset.api_version;
  owner.name = appset.name;
  owner.namespace_ = appset.namespace_;
  owner.uid = std::move(uid);
  return owner;
}

int AppSetSyncPlan::Count(AppAction action) const {
  int n = 0;
  for (const PlannedApp& p : apps) n += p.action == action ? 1 : 0;
  return n;
}

std::vector<const PlannedApp*> AppSetSyncPlan::ToSync() const {
  std::vector<const PlannedApp*> out;
  for (const PlannedApp& p : apps) {
    if (p.action != AppAction::kDelete) out.push_back(&p);
  }
  return out;
}

bool OwnedBy(const Object& existing, const AppSetOwner& owner) {
  if (existing.label(kAppSetLabel) == owner.name) return true;
  const JsonValue* refs = Find(existing.json(), "metadata.ownerReferences");
  if (!refs || !refs->IsArray()) return false;
  for (const JsonValue& ref : refs->GetArray()) {
    if (GetString(ref, "kind") == "ApplicationSet" && GetString(ref, "name") == owner.name) {
      return true;
    }
  }
  return false;
}

AppSetSyncPlan PlanAppSetSync(const Result<AppSetExpansion>& expansion,
                              const std::vector<Object>& existing, const AppSetOwner& owner,
                              const AppSetSyncPolicy& policy) {
  AppSetSyncPlan plan;
  std::map<std::string, const Object*> by_name;
  for (const Object& o : existing) by_name[o.name()] = &o;
  if (!expansion.ok()) {
    plan.generators_failed = true;
    plan.notes.push_back("the generators failed, nothing is created, updated or deleted: " +
                         expansion.status().message());
  } else {
    plan.generators_failed = !expansion->errors.empty();
    for (const std::string& error : expansion->errors) plan.notes.push_back("skipped: " + error);
  }
  std::set<std::string> generated;
  if (expansion.ok()) {
    for (const GeneratedApp& g : expansion->apps) {
      std::string name = g.object.name();
      generated.insert(name);
      auto found = by_name.find(name);
      if (found == by_name.end()) {
        plan.apps.push_back(Planned(name, AppAction::kCreate, DesiredObject(g, owner)));
        continue;
      }
      const Object& live = *found->second;
      if (!OwnedBy(live, owner)) {
        plan.notes.push_back("Application " + name + " exists and is not owned by " +
                             "ApplicationSet " + owner.name + ": left alone");
        continue;
      }
      Object desired = DesiredObject(g, owner);
      if (!NeedsUpdate(desired, live)) {
        plan.apps.push_back(Planned(name, AppAction::kUnchanged, live.Clone()));
      } else if (!policy.allow_update) {
        plan.notes.push_back("applicationsSync " + policy.name + ": not updating Application " +
                             name);
        plan.apps.push_back(
            Planned(name, AppAction::kUnchanged, live.Clone(), "update held back by the policy"));
      } else {
        plan.apps.push_back(Planned(name, AppAction::kUpdate, std::move(desired)));
      }
    }
  }
  std::vector<const Object*> orphans;
  for (const Object& o : existing) {
    if (OwnedBy(o, owner) && !generated.count(o.name())) orphans.push_back(&o);
  }
  if (!expansion.ok() && !orphans.empty()) {
    plan.notes.push_back("not deleting " + std::to_string(orphans.size()) +
                         " Application(s): the generators failed");
  } else {
    PlanDeletions(orphans, policy, &plan);
  }
  return plan;
}

namespace {

Status DeleteApp(KubeClient& client, const PlannedApp& planned, const AppSetSyncPolicy& policy,
                 const AppSetApplyOptions& options) {
  ObjectKey key = ObjectKey::Of(planned.object);
  const JsonValue* finalizers = Find(planned.object.json(), "metadata.finalizers");
  if (policy.preserve_resources_on_deletion && finalizers && finalizers->IsArray()) {
    // Without the finalizer nobody deletes the app's resources: they keep running.
    std::string kept;
    for (const JsonValue& f : finalizers->GetArray()) {
      if (f.IsString() && f.GetString() != std::string(kResourcesFinalizer)) {
        kept += (kept.empty() ? "" : ",") + ToJson(f);
      }
    }
    if (!options.dry_run && kept.size() + 2 != ToJson(*finalizers).size()) {
      WriteOptions write;
      write.field_manager = options.field_manager;
      auto patched = client.Patch(key, PatchType::kMerge,
                                  "{\"metadata\":{\"finalizers\":[" + kept + "]}}", write);
      if (!patched.ok()) return patched.status();
    }
  }
  DeleteOptions del;
  del.dry_run = options.dry_run;
  return client.Delete(key, del);
}

}  // namespace

AppSetApplyResult ApplyAppSetPlan(KubeClient* client, const AppSetSyncPlan& plan,
                                  const AppSetOwner& owner, const AppSetSyncPolicy& policy,
                                  const AppSetApplyOptions& options) {
  AppSetApplyResult result;
  std::string group = GroupVersionKind::FromApiVersion(owner.api_version, "Application").group;
  result.in_cluster = client && client->Resource({group, "v1alpha1", "Application"}).ok();
  for (const PlannedApp& p : plan.apps) {
    if (p.action == AppAction::kUnchanged) continue;
    std::string what = std::string(AppActionName(p.action)) + " Application " +
                       (owner.namespace_.empty() ? "" : owner.namespace_ + "/") + p.name;
    if (!result.in_cluster) {
      if (p.action != AppAction::kDelete) result.done.push_back(what + " (in memory)");
      continue;
    }
    Status status;
    if (p.action == AppAction::kDelete) {
      status = DeleteApp(*client, p, policy, options);
    } else {
      ApplyOptions apply;
      apply.dry_run = options.dry_run;
      apply.field_manager = options.field_manager;
      status = client->Apply(p.object, apply).status();
    }
    if (status.ok()) {
      result.done.push_back(what + (options.dry_run ? " (dry run)" : ""));
    } else {
      result.errors.push_back(what + ": " + status.message());
    }
  }
  return result;
}

std::string DestinationOf(const Application& app) {
  if (!app.destination.name.empty()) return app.destination.name;
  if (!app.destination.server.empty()) return app.destination.server;
  return kInClusterServer;
}

AppSyncOutcome SyncAndJudge(const Application& app, const AppSyncFn& sync) {
  AppSyncOutcome outcome;
  outcome.app = app.name;
  outcome.cluster = DestinationOf(app);
  outcome.attempted = true;
  Result<SyncResult> result = sync(app);
  if (!result.ok()) {
    outcome.phase = "Error";
    outcome.health = "Unknown";
    outcome.message = result.status().message();
    return outcome;
  }
  HealthStatus health = SyncedAppHealth(*result);
  outcome.phase = result->phase;
  outcome.synced = result->succeeded() && result->prune_skipped == 0;
  outcome.healthy = health.code == HealthCode::kHealthy;
  outcome.health = std::string(HealthCodeName(health.code));
  outcome.message = !result->message.empty() ? result->message : health.message;
  return outcome;
}

bool AppSetSyncReport::ok() const {
  if (stopped) return false;
  for (const AppSyncOutcome& a : apps) {
    if (a.attempted && !a.ok()) return false;
  }
  return true;
}

AppSetSyncReport SyncAllAtOnce(const std::vector<const Application*>& apps, const AppSyncFn& sync,
                               int cluster_parallelism) {
  std::vector<std::string> clusters;
  std::map<std::string, std::vector<size_t>> by_cluster;
  for (size_t i = 0; i < apps.size(); ++i) {
    std::string cluster = DestinationOf(*apps[i]);
    if (!by_cluster.count(cluster)) clusters.push_back(cluster);
    by_cluster[cluster].push_back(i);
  }
  AppSetSyncReport report;
  report.apps.resize(apps.size());
  RunParallel(clusters.size(), cluster_parallelism, [&](size_t c) {
    for (size_t i : by_cluster[clusters[c]]) report.apps[i] = SyncAndJudge(*apps[i], sync);
  });
  return report;
}

std::vector<std::string> ClusterSummary(const AppSetSyncReport& report) {
  std::vector<std::string> clusters;
  std::map<std::string, std::pair<int, int>> counts;  // failed, attempted
  for (const AppSyncOutcome& a : report.apps) {
    if (!a.attempted) continue;
    if (!counts.count(a.cluster)) clusters.push_back(a.cluster);
    counts[a.cluster].second++;
    if (!a.ok()) counts[a.cluster].first++;
  }
  std::vector<std::string> lines;
  for (const std::string& c : clusters) {
    auto [failed, attempted] = counts[c];
    lines.push_back("cluster " + c + ": " +
                    (failed == 0 ? "all " + std::to_string(attempted) + " app(s) Synced and Healthy"
                                 : std::to_string(failed) + " of " + std::to_string(attempted) +
                                       " app(s) failed"));
  }
  return lines;
}

}  // namespace mlgitops
