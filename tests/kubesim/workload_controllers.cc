// Deployment, ReplicaSet and StatefulSet controllers: Pods from templates with the labels and
// owner references the real controllers set, rollouts on template changes, and the status
// fields and conditions kubectl and health checks read.
#include <algorithm>
#include <string>

#include "kubesim/controller_support.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

constexpr const char* kTemplateHash = "pod-template-hash";
constexpr const char* kRevision = "deployment.kubernetes.io/revision";
constexpr const char* kDesiredReplicas = "deployment.kubernetes.io/desired-replicas";
constexpr const char* kRevisionHash = "controller-revision-hash";
constexpr int64_t kMaxCreatesPerPass = 100;

struct PodCounts {
  int64_t total = 0;
  int64_t ready = 0;
};

// Pods that count toward a controller's replicas: not finished, not being deleted.
std::vector<ObjectPtr> ActivePods(const std::vector<ObjectPtr>& pods) {
  std::vector<ObjectPtr> out;
  for (const ObjectPtr& p : pods) {
    std::string phase = PodPhase(*p);
    if (!PodIsTerminating(*p) && phase != "Succeeded" && phase != "Failed") out.push_back(p);
  }
  return out;
}

PodCounts Count(const std::vector<ObjectPtr>& pods) {
  PodCounts c;
  for (const ObjectPtr& p : pods) {
    ++c.total;
    if (PodIsReady(*p)) ++c.ready;
  }
  return c;
}

void SetCount(JsonValue& status, const char* key, int64_t value, bool omit_zero, JsonAllocator& a) {
  if (value == 0 && omit_zero) {
    RemoveMember(status, key);
  } else {
    SetInt(status, key, value, a);
  }
}

int64_t Generation(const Object& o) { return GetInt(o.json(), "metadata.generation").value_or(0); }

int64_t StatusInt(const Object& o, const char* field) {
  return GetInt(o.json(), std::string("status.") + field).value_or(0);
}

int64_t RevisionOf(const Object& rs) {
  auto text = rs.annotation(kRevision);
  return text ? std::strtoll(text->c_str(), nullptr, 10) : 0;
}

// ---- ReplicaSet ----

void ScaleDownPods(ControllerContext& ctx, const ResourceType& pods, std::vector<ObjectPtr> active,
                   int64_t excess) {
  // Pods that are not ready go first, then the newest, as the real controller ranks them.
  std::stable_sort(active.begin(), active.end(), [](const ObjectPtr& x, const ObjectPtr& y) {
    if (PodIsReady(*x) != PodIsReady(*y)) return !PodIsReady(*x);
    return GetString(x->json(), "metadata.creationTimestamp") >
           GetString(y->json(), "metadata.creationTimestamp");
  });
  for (int64_t i = 0; i < excess && i < static_cast<int64_t>(active.size()); ++i) {
    ctx.writer().Delete(pods, *active[i], kControllerManager);
  }
}

void ReconcileReplicaSet(ControllerContext& ctx, const ResourceType& type, const ResourceType& pods,
                         const ObjectPtr& rs, const OwnedIndex& pods_by_owner) {
  if (Find(rs->json(), "metadata.deletionTimestamp")) return;
  int64_t desired = ReplicasAt(rs->json(), "spec.replicas");
  std::vector<ObjectPtr> active = ActivePods(OwnedBy(pods_by_owner, UidOf(*rs)));
  int64_t have = static_cast<int64_t>(active.size());
  for (int64_t i = have; i < desired && i - have < kMaxCreatesPerPass; ++i) {
    Object pod = PodFromTemplate(Find(rs->json(), "spec.template"), *rs);
    SetPath(pod.mutable_json(), "metadata.generateName", Str(rs->name() + "-", pod.allocator()),
            pod.allocator());
    ctx.writer().Create(pods, pod, kControllerManager);
  }
  if (have > desired) ScaleDownPods(ctx, pods, active, have - desired);

  PodCounts counts = Count(active);
  Object next = rs->Clone();
  JsonAllocator& a = next.allocator();
  JsonValue& status = EnsureObject(next.mutable_json(), "status", a);
  SetInt(status, "replicas", counts.total, a);
  SetCount(status, "fullyLabeledReplicas", counts.total, true, a);
  SetCount(status, "readyReplicas", counts.ready, true, a);
  SetCount(status, "availableReplicas", counts.ready, true, a);
  SetInt(status, "observedGeneration", Generation(*rs), a);
  WriteStatusIfChanged(ctx, type, *rs, next, kControllerManager);
}

// ---- Deployment ----

struct Rollout {
  const ResourceType& deployments;
  const ResourceType& replicasets;
  const ObjectPtr& deployment;
  int64_t desired;
  std::string hash;
  ObjectPtr new_rs;               // nullptr until created
  std::vector<ObjectPtr> old_rs;  // every other ReplicaSet the Deployment controls
};

// maxUnavailable as a count: an integer, or a percentage of desired rounded down.
int64_t MaxUnavailable(const JsonValue& d, int64_t desired) {
  if (GetString(d, "spec.strategy.type") == "Recreate") return 0;
  const JsonValue* value = Find(d, "spec.strategy.rollingUpdate.maxUnavailable");
  int64_t count = desired / 4;
  if (value && value->IsInt64()) count = value->GetInt64();
  if (value && value->IsString()) {
    std::string text = value->GetString();
    int64_t n = std::strtoll(text.c_str(), nullptr, 10);
    count = !text.empty() && text.back() == '%' ? desired * n / 100 : n;
  }
  return std::clamp<int64_t>(count, 0, desired);
}

Object NewReplicaSet(const Rollout& r, int64_t revision) {
  const Object& d = *r.deployment;
  Object rs;
  JsonAllocator& a = rs.allocator();
  JsonValue& root = rs.mutable_json();
  SetString(root, "apiVersion", "apps/v1", a);
  SetString(root, "kind", "ReplicaSet", a);
  JsonValue pod_template(rapidjson::kObjectType);
  if (const JsonValue* t = Find(d.json(), "spec.template")) pod_template.CopyFrom(*t, a);
  SetLabel(pod_template, kTemplateHash, r.hash, a);
  JsonValue& meta = EnsureObject(root, "metadata", a);
  SetString(meta, "name", d.name() + "-" + r.hash, a);
  SetString(meta, "namespace", d.namespace_(), a);
  if (const JsonValue* labels = Find(pod_template, "metadata.labels")) {
    SetMember(meta, "labels", JsonValue(*labels, a), a);
  }
  SetAnnotation(root, kDesiredReplicas, std::to_string(r.desired), a);
  SetAnnotation(root, kRevision, std::to_string(revision), a);
  JsonValue refs(rapidjson::kArrayType);
  refs.PushBack(ControllerReference(d, a), a);
  SetMember(meta, "ownerReferences", std::move(refs), a);
  JsonValue spec(rapidjson::kObjectType);
  SetInt(spec, "replicas", r.desired, a);
  if (auto min_ready = GetInt(d.json(), "spec.minReadySeconds")) {
    SetInt(spec, "minReadySeconds", *min_ready, a);
  }
  JsonValue selector(rapidjson::kObjectType);
  if (const JsonValue* s = Find(d.json(), "spec.selector")) selector.CopyFrom(*s, a);
  SetString(EnsureObject(selector, "matchLabels", a), kTemplateHash, r.hash, a);
  SetMember(spec, "selector", std::move(selector), a);
  SetMember(spec, "template", std::move(pod_template), a);
  SetMember(root, "spec", std::move(spec), a);
  return rs;
}

// Sets a ReplicaSet's replicas (and the Deployment's desired count on it) when they differ.
void ScaleReplicaSet(ControllerContext& ctx, const Rollout& r, const ObjectPtr& rs,
                     int64_t replicas, int64_t revision) {
  bool same_scale = ReplicasAt(rs->json(), "spec.replicas") == replicas;
  bool same_desired = rs->annotation(kDesiredReplicas) == std::to_string(r.desired);
  bool same_revision = revision == 0 || RevisionOf(*rs) == revision;
  if (same_scale && same_desired && same_revision) return;
  Object next = rs->Clone();
  JsonAllocator& a = next.allocator();
  SetPath(next.mutable_json(), "spec.replicas", JsonValue(static_cast<int64_t>(replicas)), a);
  SetAnnotation(next.mutable_json(), kDesiredReplicas, std::to_string(r.desired), a);
  if (revision != 0) SetAnnotation(next.mutable_json(), kRevision, std::to_string(revision), a);
  ctx.writer().Replace(r.replicasets, next, kControllerManager);
}

// Creates or scales ReplicaSets toward the Deployment's spec; true when it created the new one.
bool SyncReplicaSets(ControllerContext& ctx, Rollout& r) {
  int64_t newest_revision = 0;
  for (const ObjectPtr& rs : r.old_rs) newest_revision = std::max(newest_revision, RevisionOf(*rs));
  if (!r.new_rs) {
    ctx.writer().Create(r.replicasets, NewReplicaSet(r, newest_revision + 1), kControllerManager);
    return true;
  }
  bool recreate = GetString(r.deployment->json(), "spec.strategy.type") == "Recreate";
  int64_t old_pods = 0;
  for (const ObjectPtr& rs : r.old_rs) old_pods += StatusInt(*rs, "replicas");
  int64_t target = recreate && old_pods > 0 ? 0 : r.desired;
  // A rollback to an older template makes that ReplicaSet the newest revision again.
  int64_t revision = RevisionOf(*r.new_rs) > newest_revision ? 0 : newest_revision + 1;
  ScaleReplicaSet(ctx, r, r.new_rs, target, revision);
  bool new_rs_serves = StatusInt(*r.new_rs, "availableReplicas") >= r.desired;
  if (recreate || new_rs_serves) {
    for (const ObjectPtr& rs : r.old_rs) ScaleReplicaSet(ctx, r, rs, 0, 0);
  }
  return false;
}

struct DeploymentCounts {
  int64_t replicas = 0, updated = 0, ready = 0, available = 0;
  std::string Key() const {
    return std::to_string(replicas) + "/" + std::to_string(updated) + "/" + std::to_string(ready) +
           "/" + std::to_string(available);
  }
};

DeploymentCounts CountDeployment(const Rollout& r) {
  DeploymentCounts c;
  auto add = [&](const ObjectPtr& rs) {
    c.replicas += StatusInt(*rs, "replicas");
    c.ready += StatusInt(*rs, "readyReplicas");
    c.available += StatusInt(*rs, "availableReplicas");
  };
  for (const ObjectPtr& rs : r.old_rs) add(rs);
  if (r.new_rs) {
    add(r.new_rs);
    c.updated = StatusInt(*r.new_rs, "replicas");
  }
  return c;
}

// The Progressing condition, following the real controller's rules: complete, timed out
// (no change in the counts for progressDeadlineSeconds), or progressing.
std::optional<Condition> ProgressingCondition(ControllerContext& ctx, const Rollout& r,
                                              const DeploymentCounts& c, bool created_new) {
  const Object& d = *r.deployment;
  if (GetBool(d.json(), "spec.paused").value_or(false)) {
    return Condition{"Progressing", "Unknown", "DeploymentPaused", "Deployment is paused"};
  }
  std::string rs_name = d.name() + "-" + r.hash;
  bool complete = c.updated == r.desired && c.replicas == r.desired && c.available == r.desired;
  if (complete) {
    return Condition{"Progressing", "True", "NewReplicaSetAvailable",
                     "ReplicaSet \"" + rs_name + "\" has successfully progressed."};
  }
  const JsonValue* current = FindCondition(d.json(), "Progressing");
  bool was_complete = current && MemberString(*current, "reason") == "NewReplicaSetAvailable";
  bool same_generation = StatusInt(d, "observedGeneration") == Generation(d);
  // A finished rollout whose Pods later fail is not a new rollout: Progressing stays.
  if (was_complete && same_generation && c.replicas == c.updated) return std::nullopt;
  int64_t deadline = GetInt(d.json(), "spec.progressDeadlineSeconds").value_or(600);
  std::string progress = std::to_string(Generation(d)) + "/" + c.Key();
  if (ctx.pacer().Elapsed("deployment-progress/" + UidOf(d), progress,
                          std::chrono::milliseconds(deadline * 1000))) {
    return Condition{"Progressing", "False", "ProgressDeadlineExceeded",
                     "ReplicaSet \"" + rs_name + "\" has timed out progressing."};
  }
  if (created_new) {
    return Condition{"Progressing", "True", "NewReplicaSetCreated",
                     "Created new replica set \"" + rs_name + "\""};
  }
  return Condition{"Progressing", "True", "ReplicaSetUpdated",
                   "ReplicaSet \"" + rs_name + "\" is progressing."};
}

void WriteDeploymentStatus(ControllerContext& ctx, const Rollout& r, bool created_new) {
  const Object& d = *r.deployment;
  DeploymentCounts c = CountDeployment(r);
  Object next = d.Clone();
  JsonAllocator& a = next.allocator();
  JsonValue& status = EnsureObject(next.mutable_json(), "status", a);
  SetInt(status, "observedGeneration", Generation(d), a);
  SetCount(status, "replicas", c.replicas, true, a);
  SetCount(status, "updatedReplicas", c.updated, true, a);
  SetCount(status, "readyReplicas", c.ready, true, a);
  SetCount(status, "availableReplicas", c.available, true, a);
  SetCount(status, "unavailableReplicas", std::max<int64_t>(0, r.desired - c.available), true, a);
  std::string now = ctx.Now();
  bool available = c.available >= r.desired - MaxUnavailable(d.json(), r.desired);
  SetCondition(status,
               available ? Condition{"Available", "True", "MinimumReplicasAvailable",
                                     "Deployment has minimum availability."}
                         : Condition{"Available", "False", "MinimumReplicasUnavailable",
                                     "Deployment does not have minimum availability."},
               ConditionTimes::kUpdateAndTransition, now, a);
  if (auto progressing = ProgressingCondition(ctx, r, c, created_new)) {
    SetCondition(status, *progressing, ConditionTimes::kUpdateAndTransition, now, a);
  }
  WriteStatusIfChanged(ctx, r.deployments, d, next, kControllerManager);
}

void ReconcileDeployment(ControllerContext& ctx, Rollout r, const OwnedIndex& rs_by_owner) {
  const Object& d = *r.deployment;
  if (Find(d.json(), "metadata.deletionTimestamp")) return;
  const JsonValue* pod_template = Find(d.json(), "spec.template");
  r.hash = SafeHash(pod_template ? ToJson(*pod_template) : "");
  for (const ObjectPtr& rs : OwnedBy(rs_by_owner, UidOf(d))) {
    if (rs->label(kTemplateHash) == r.hash) {
      r.new_rs = rs;
    } else {
      r.old_rs.push_back(rs);
    }
  }
  bool paused = GetBool(d.json(), "spec.paused").value_or(false);
  bool created_new = !paused && SyncReplicaSets(ctx, r);
  // The revision annotation is a separate write; status follows on the next pass.
  if (r.new_rs && d.annotation(kRevision) != r.new_rs->annotation(kRevision)) {
    Object next = d.Clone();
    SetAnnotation(next.mutable_json(), kRevision, r.new_rs->annotation(kRevision).value_or(""),
                  next.allocator());
    ctx.writer().Replace(r.deployments, next, kControllerManager);
    return;
  }
  WriteDeploymentStatus(ctx, r, created_new);
}

// ---- StatefulSet ----

struct StatefulSetPlan {
  const ResourceType& statefulsets;
  const ResourceType& pods;
  const ObjectPtr& sts;
  int64_t desired = 0;
  std::string revision;  // "<name>-<hash>" of the current template
};

int64_t OrdinalOf(const Object& pod, const std::string& sts_name) {
  std::string name = pod.name();
  if (name.size() <= sts_name.size() + 1 || name.compare(0, sts_name.size() + 1, sts_name + "-"))
    return -1;
  std::string digits = name.substr(sts_name.size() + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::strtoll(digits.c_str(), nullptr, 10);
}

void EnsureRevision(ControllerContext& ctx, const StatefulSetPlan& p) {
  auto revisions = ctx.Type("apps", "controllerrevisions");
  if (!revisions || ctx.Get(*revisions, p.sts->namespace_(), p.revision)) return;
  int64_t count = 0;
  for (const ObjectPtr& r : ctx.List(*revisions, p.sts->namespace_())) {
    if (ControllerUid(*r) == UidOf(*p.sts)) ++count;
  }
  Object cr;
  JsonAllocator& a = cr.allocator();
  JsonValue& root = cr.mutable_json();
  SetString(root, "apiVersion", "apps/v1", a);
  SetString(root, "kind", "ControllerRevision", a);
  SetPath(root, "metadata.name", Str(p.revision, a), a);
  SetPath(root, "metadata.namespace", Str(p.sts->namespace_(), a), a);
  if (const JsonValue* labels = Find(p.sts->json(), "spec.selector.matchLabels")) {
    SetPath(root, "metadata.labels", JsonValue(*labels, a), a);
  }
  SetLabel(root, kRevisionHash, p.revision, a);
  JsonValue refs(rapidjson::kArrayType);
  refs.PushBack(ControllerReference(*p.sts, a), a);
  SetPath(root, "metadata.ownerReferences", std::move(refs), a);
  JsonValue pod_template(rapidjson::kObjectType);
  if (const JsonValue* t = Find(p.sts->json(), "spec.template")) pod_template.CopyFrom(*t, a);
  SetString(pod_template, "$patch", "replace", a);
  SetPath(root, "data.spec.template", std::move(pod_template), a);
  SetInt(root, "revision", count + 1, a);
  ctx.writer().Create(*revisions, cr, kControllerManager);
}

// Claims from volumeClaimTemplates, created before the Pod that mounts them.
void AddClaims(ControllerContext& ctx, const StatefulSetPlan& p, Object& pod,
               const std::string& pod_name) {
  const JsonValue* templates = Find(p.sts->json(), "spec.volumeClaimTemplates");
  auto claims = ctx.Type("", "persistentvolumeclaims");
  if (!templates || !templates->IsArray() || !claims) return;
  JsonAllocator& a = pod.allocator();
  JsonValue& spec = EnsureObject(pod.mutable_json(), "spec", a);
  if (!FindMember(spec, "volumes")) SetMember(spec, "volumes", JsonValue(rapidjson::kArrayType), a);
  JsonValue* volumes = FindMember(spec, "volumes");
  for (const auto& t : templates->GetArray()) {
    std::string volume = GetString(t, "metadata.name");
    std::string claim_name = volume + "-" + pod_name;
    if (!ctx.Get(*claims, p.sts->namespace_(), claim_name)) {
      Object claim;
      JsonAllocator& ca = claim.allocator();
      JsonValue& root = claim.mutable_json();
      SetString(root, "apiVersion", "v1", ca);
      SetString(root, "kind", "PersistentVolumeClaim", ca);
      SetPath(root, "metadata.name", Str(claim_name, ca), ca);
      SetPath(root, "metadata.namespace", Str(p.sts->namespace_(), ca), ca);
      if (const JsonValue* labels = Find(p.sts->json(), "spec.selector.matchLabels")) {
        SetPath(root, "metadata.labels", JsonValue(*labels, ca), ca);
      }
      if (const JsonValue* claim_spec = Find(t, "spec")) {
        SetMember(root, "spec", JsonValue(*claim_spec, ca), ca);
      }
      ctx.writer().Create(*claims, claim, kControllerManager);
    }
    bool mounted = false;
    for (const auto& v : volumes->GetArray()) mounted |= MemberString(v, "name") == volume;
    if (mounted) continue;
    JsonValue entry(rapidjson::kObjectType);
    SetString(entry, "name", volume, a);
    SetPath(entry, "persistentVolumeClaim.claimName", Str(claim_name, a), a);
    volumes->PushBack(std::move(entry), a);
  }
}

void CreateOrdinal(ControllerContext& ctx, const StatefulSetPlan& p, int64_t ordinal) {
  std::string name = p.sts->name() + "-" + std::to_string(ordinal);
  Object pod = PodFromTemplate(Find(p.sts->json(), "spec.template"), *p.sts);
  JsonAllocator& a = pod.allocator();
  JsonValue& root = pod.mutable_json();
  SetPath(root, "metadata.name", Str(name, a), a);
  SetLabel(root, kRevisionHash, p.revision, a);
  SetLabel(root, "statefulset.kubernetes.io/pod-name", name, a);
  SetLabel(root, "apps.kubernetes.io/pod-index", std::to_string(ordinal), a);
  SetPath(root, "spec.hostname", Str(name, a), a);
  std::string service = GetString(p.sts->json(), "spec.serviceName");
  if (!service.empty()) SetPath(root, "spec.subdomain", Str(service, a), a);
  AddClaims(ctx, p, pod, name);
  ctx.writer().Create(p.pods, pod, kControllerManager);
}

struct StatefulSetCounts {
  int64_t replicas = 0, ready = 0, current = 0, updated = 0;
};

void ReconcileStatefulSet(ControllerContext& ctx, StatefulSetPlan p,
                          const OwnedIndex& pods_by_owner) {
  const Object& sts = *p.sts;
  if (Find(sts.json(), "metadata.deletionTimestamp")) return;
  p.desired = ReplicasAt(sts.json(), "spec.replicas");
  const JsonValue* pod_template = Find(sts.json(), "spec.template");
  p.revision = sts.name() + "-" + SafeHash(pod_template ? ToJson(*pod_template) : "");
  EnsureRevision(ctx, p);
  std::string current_revision = GetString(sts.json(), "status.currentRevision", p.revision);

  std::map<int64_t, ObjectPtr> by_ordinal;
  for (const ObjectPtr& pod : OwnedBy(pods_by_owner, UidOf(sts))) {
    int64_t ordinal = OrdinalOf(*pod, sts.name());
    if (ordinal >= 0) by_ordinal[ordinal] = pod;
  }
  bool ordered = GetString(sts.json(), "spec.podManagementPolicy", "OrderedReady") != "Parallel";
  bool all_ready = true;
  StatefulSetCounts c;
  for (int64_t i = 0; i < p.desired; ++i) {
    auto it = by_ordinal.find(i);
    if (it == by_ordinal.end()) {
      // OrderedReady: a Pod is created only once every lower ordinal is Ready.
      if (ordered && !all_ready) break;
      CreateOrdinal(ctx, p, i);
      all_ready = false;
      if (ordered) break;
      continue;
    }
    all_ready &= PodIsReady(*it->second) && !PodIsTerminating(*it->second);
  }
  for (const auto& [ordinal, pod] : by_ordinal) {
    ++c.replicas;
    if (PodIsReady(*pod)) ++c.ready;
    std::string revision = pod->label(kRevisionHash).value_or("");
    if (revision == current_revision) ++c.current;
    if (revision == p.revision) ++c.updated;
  }
  // Scale down from the highest ordinal; roll outdated Pods one at a time, highest first.
  for (auto it = by_ordinal.rbegin(); it != by_ordinal.rend(); ++it) {
    if (it->first >= p.desired && !PodIsTerminating(*it->second)) {
      ctx.writer().Delete(p.pods, *it->second, kControllerManager);
      if (ordered) break;
    }
  }
  bool rolling = GetString(sts.json(), "spec.updateStrategy.type", "RollingUpdate") != "OnDelete";
  int64_t partition = GetInt(sts.json(), "spec.updateStrategy.rollingUpdate.partition").value_or(0);
  if (rolling && all_ready) {
    for (auto it = by_ordinal.rbegin(); it != by_ordinal.rend(); ++it) {
      if (it->first >= p.desired || it->first < partition) continue;
      if (it->second->label(kRevisionHash) == p.revision) continue;
      ctx.writer().Delete(p.pods, *it->second, kControllerManager);
      break;
    }
  }
  if (c.updated == p.desired && c.ready == p.desired && c.replicas == p.desired) {
    current_revision = p.revision;
    c.current = c.updated;
  }

  Object next = sts.Clone();
  JsonAllocator& a = next.allocator();
  JsonValue& status = EnsureObject(next.mutable_json(), "status", a);
  SetInt(status, "observedGeneration", Generation(sts), a);
  SetInt(status, "replicas", c.replicas, a);
  SetCount(status, "readyReplicas", c.ready, true, a);
  SetCount(status, "availableReplicas", c.ready, false, a);
  SetCount(status, "currentReplicas", c.current, true, a);
  SetCount(status, "updatedReplicas", c.updated, true, a);
  SetString(status, "currentRevision", current_revision, a);
  SetString(status, "updateRevision", p.revision, a);
  SetInt(status, "collisionCount", 0, a);
  WriteStatusIfChanged(ctx, p.statefulsets, sts, next, kControllerManager);
}

}  // namespace

void ReconcileReplicaSets(ControllerContext& ctx) {
  auto replicasets = ctx.Type("apps", "replicasets");
  auto pods = ctx.Type("", "pods");
  if (!replicasets || !pods) return;
  OwnedIndex pods_by_owner = IndexByController(ctx.List(*pods));
  for (const ObjectPtr& rs : ctx.List(*replicasets)) {
    ReconcileReplicaSet(ctx, *replicasets, *pods, rs, pods_by_owner);
  }
}

void ReconcileDeployments(ControllerContext& ctx) {
  auto deployments = ctx.Type("apps", "deployments");
  auto replicasets = ctx.Type("apps", "replicasets");
  if (!deployments || !replicasets) return;
  OwnedIndex rs_by_owner = IndexByController(ctx.List(*replicasets));
  for (const ObjectPtr& d : ctx.List(*deployments)) {
    Rollout rollout{*deployments, *replicasets, d, ReplicasAt(d->json(), "spec.replicas"),
                    "",           nullptr,      {}};
    ReconcileDeployment(ctx, std::move(rollout), rs_by_owner);
  }
}

void ReconcileStatefulSets(ControllerContext& ctx) {
  auto statefulsets = ctx.Type("apps", "statefulsets");
  auto pods = ctx.Type("", "pods");
  if (!statefulsets || !pods) return;
  OwnedIndex pods_by_owner = IndexByController(ctx.List(*pods));
  for (const ObjectPtr& sts : ctx.List(*statefulsets)) {
    ReconcileStatefulSet(ctx, {*statefulsets, *pods, sts, 0, ""}, pods_by_owner);
  }
}

}  // namespace mlgitops::kubesim
