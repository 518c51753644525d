// Run-to-completion controllers: batch/v1 Jobs and the Kubeflow Training Operator v1 jobs
// (PyTorchJob, TFJob, ...), with the Pods, labels, counters and conditions the real ones write.
#include <algorithm>
#include <string>

#include "kubesim/controller_support.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

constexpr const char* kCompletionIndex = "batch.kubernetes.io/job-completion-index";
constexpr int64_t kMaxCreatesPerPass = 100;

struct PodTally {
  std::vector<ObjectPtr> active;  // pending or running, not being deleted
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t ready = 0;
  int64_t restarts = 0;  // container restarts of active Pods
};

PodTally Tally(const std::vector<ObjectPtr>& pods) {
  PodTally t;
  for (const ObjectPtr& p : pods) {
    std::string phase = PodPhase(*p);
    if (phase == "Succeeded") {
      ++t.succeeded;
    } else if (phase == "Failed") {
      ++t.failed;
    } else if (!PodIsTerminating(*p)) {
      t.active.push_back(p);
      if (PodIsReady(*p)) ++t.ready;
      t.restarts += PodRestarts(*p);
    }
  }
  return t;
}

bool ConditionTrue(const Object& o, const char* type) {
  return ConditionStatusOf(o.json(), type) == "True";
}

void DeletePods(ControllerContext& ctx, const ResourceType& pods,
                const std::vector<ObjectPtr>& victims, const char* manager) {
  for (const ObjectPtr& p : victims) ctx.writer().Delete(pods, *p, manager);
}

// ttlSecondsAfterFinished: the TTL controller deletes a finished job and its Pods.
void ExpireFinished(ControllerContext& ctx, const ResourceType& type, const Object& job,
                    const char* ttl_path, const char* manager) {
  auto ttl = GetInt(job.json(), ttl_path);
  if (!ttl) return;
  if (ctx.pacer().Elapsed("ttl/" + UidOf(job), "finished",
                          std::chrono::milliseconds(std::max<int64_t>(0, *ttl) * 1000))) {
    ctx.writer().Delete(type, job, manager);
  }
}

// ---- batch/v1 Job ----

struct JobSpec {
  int64_t parallelism = 1;
  std::optional<int64_t> completions;
  int64_t backoff_limit = 6;
  bool indexed = false;
  bool suspended = false;
};

JobSpec ReadJobSpec(const JsonValue& v) {
  JobSpec s;
  s.parallelism = std::max<int64_t>(0, GetInt(v, "spec.parallelism").value_or(1));
  s.completions = GetInt(v, "spec.completions");
  s.backoff_limit = GetInt(v, "spec.backoffLimit").value_or(6);
  s.indexed = GetString(v, "spec.completionMode") == "Indexed";
  s.suspended = GetBool(v, "spec.suspend").value_or(false);
  return s;
}

std::optional<int64_t> IndexOf(const Object& pod) {
  auto index = pod.annotation(kCompletionIndex);
  if (!index) return std::nullopt;
  return std::strtoll(index->c_str(), nullptr, 10);
}

// "0-2,4": the compressed list of completed indexes the real controller writes.
std::string IndexRanges(const std::set<int64_t>& indexes) {
  std::string out;
  for (auto it = indexes.begin(); it != indexes.end();) {
    int64_t first = *it, last = *it;
    while (++it != indexes.end() && *it == last + 1) last = *it;
    out += (out.empty() ? "" : ",") + std::to_string(first);
    if (last != first) out += "-" + std::to_string(last);
  }
  return out;
}

void CreateJobPod(ControllerContext& ctx, const ResourceType& pods, const Object& job,
                  std::optional<int64_t> index) {
  Object pod = PodFromTemplate(Find(job.json(), "spec.template"), job);
  JsonAllocator& a = pod.allocator();
  JsonValue& root = pod.mutable_json();
  std::string uid = UidOf(job);
  SetLabel(root, "batch.kubernetes.io/controller-uid", uid, a);
  SetLabel(root, "batch.kubernetes.io/job-name", job.name(), a);
  SetLabel(root, "controller-uid", uid, a);
  SetLabel(root, "job-name", job.name(), a);
  std::string prefix = job.name() + "-";
  if (index) {
    SetLabel(root, kCompletionIndex, std::to_string(*index), a);
    SetAnnotation(root, kCompletionIndex, std::to_string(*index), a);
    prefix += std::to_string(*index) + "-";
  }
  SetPath(root, "metadata.generateName", Str(prefix, a), a);
  ctx.writer().Create(pods, pod, kControllerManager);
}

// Indexes with neither a succeeded nor an active Pod, lowest first.
std::vector<int64_t> MissingIndexes(const std::vector<ObjectPtr>& pods, int64_t completions,
                                    std::set<int64_t>* completed) {
  std::set<int64_t> taken;
  for (const ObjectPtr& p : pods) {
    auto index = IndexOf(*p);
    if (!index) continue;
    std::string phase = PodPhase(*p);
    if (phase == "Succeeded") completed->insert(*index);
    if (phase != "Failed" && !PodIsTerminating(*p)) taken.insert(*index);
  }
  std::vector<int64_t> missing;
  for (int64_t i = 0; i < completions; ++i) {
    if (!taken.count(i) && !completed->count(i)) missing.push_back(i);
  }
  return missing;
}

// Why the job has failed, or nothing: back-off limit (failed Pods, or restarts of crash-looping
// ones as for restartPolicy OnFailure) or activeDeadlineSeconds.
std::optional<Condition> JobFailure(ControllerContext& ctx, const Object& job, const JobSpec& s,
                                    const PodTally& t) {
  bool restarts_exceeded = t.restarts > 0 && t.restarts >= s.backoff_limit;
  if (t.failed > s.backoff_limit || restarts_exceeded) {
    return Condition{"", "True", "BackoffLimitExceeded",
                     "Job has reached the specified backoff limit"};
  }
  auto deadline = GetInt(job.json(), "spec.activeDeadlineSeconds");
  if (deadline && !s.suspended &&
      ctx.pacer().Elapsed("job-deadline/" + UidOf(job), "active",
                          std::chrono::milliseconds(*deadline * 1000))) {
    return Condition{"", "True", "DeadlineExceeded",
                     "Job was active longer than specified deadline"};
  }
  return std::nullopt;
}

void ReconcileJob(ControllerContext& ctx, const ResourceType& type, const ResourceType& pods,
                  const ObjectPtr& job, const OwnedIndex& pods_by_owner) {
  const JsonValue& v = job->json();
  if (Find(v, "metadata.deletionTimestamp")) return;
  if (ConditionTrue(*job, "Complete") || ConditionTrue(*job, "Failed")) {
    ExpireFinished(ctx, type, *job, "spec.ttlSecondsAfterFinished", kControllerManager);
    return;
  }
  JobSpec s = ReadJobSpec(v);
  const std::vector<ObjectPtr>& owned = OwnedBy(pods_by_owner, UidOf(*job));
  PodTally t = Tally(owned);
  t.succeeded = std::max(t.succeeded, GetInt(v, "status.succeeded").value_or(0));
  t.failed = std::max(t.failed, GetInt(v, "status.failed").value_or(0));
  std::set<int64_t> completed;
  std::vector<int64_t> missing = s.indexed
                                     ? MissingIndexes(owned, s.completions.value_or(1), &completed)
                                     : std::vector<int64_t>();
  if (s.indexed) t.succeeded = std::max<int64_t>(t.succeeded, completed.size());

  std::string now = ctx.Now();
  Object next = job->Clone();
  JsonAllocator& a = next.allocator();
  JsonValue& status = EnsureObject(next.mutable_json(), "status", a);
  auto failure = JobFailure(ctx, *job, s, t);
  bool succeeded =
      s.completions ? t.succeeded >= *s.completions : t.succeeded > 0 && t.active.empty();
  bool finishing = failure || succeeded;
  int64_t active_count = static_cast<int64_t>(t.active.size());
  if (failure) {
    for (const char* condition : {"FailureTarget", "Failed"}) {
      Condition c = *failure;
      c.type = condition;
      SetCondition(status, c, ConditionTimes::kProbeAndTransition, now, a);
    }
  } else if (succeeded) {
    for (const char* condition : {"SuccessCriteriaMet", "Complete"}) {
      SetCondition(
          status,
          {condition, "True", "CompletionsReached", "Reached expected number of succeeded pods"},
          ConditionTimes::kProbeAndTransition, now, a);
    }
    SetString(status, "completionTime", now, a);
  } else if (s.suspended) {
    SetCondition(status, {"Suspended", "True", "JobSuspended", "Job suspended"},
                 ConditionTimes::kProbeAndTransition, now, a);
  } else {
    if (ConditionStatusOf(v, "Suspended") == "True") {
      SetCondition(status, {"Suspended", "False", "JobResumed", "Job resumed"},
                   ConditionTimes::kProbeAndTransition, now, a);
    }
    int64_t want = s.completions
                       ? std::min(s.parallelism, std::max<int64_t>(0, *s.completions - t.succeeded))
                       : (t.succeeded > 0 ? 0 : s.parallelism);
    int64_t creates = std::min(want - active_count, kMaxCreatesPerPass);
    if (s.indexed) creates = std::min<int64_t>(creates, missing.size());
    for (int64_t i = 0; i < creates; ++i) {
      CreateJobPod(ctx, pods, *job, s.indexed ? std::optional<int64_t>(missing[i]) : std::nullopt);
    }
    active_count += std::max<int64_t>(0, creates);
    if (!FindMember(status, "startTime")) SetString(status, "startTime", now, a);
  }
  // Pods stopped because the job failed count as failed, as the real controller counts them.
  if (failure) t.failed += active_count;
  int64_t active = finishing || s.suspended ? 0 : active_count;
  for (auto [key, value] : {std::pair<const char*, int64_t>{"active", active},
                            {"succeeded", t.succeeded},
                            {"failed", t.failed}}) {
    if (value > 0) {
      SetInt(status, key, value, a);
    } else {
      RemoveMember(status, key);
    }
  }
  SetInt(status, "ready", finishing ? 0 : t.ready, a);
  SetInt(status, "terminating", 0, a);
  if (s.indexed) SetString(status, "completedIndexes", IndexRanges(completed), a);
  EnsureObject(status, "uncountedTerminatedPods", a);
  bool written = WriteStatusIfChanged(ctx, type, *job, next, kControllerManager);
  // Pods are stopped only once the verdict is recorded, so a lost write cannot lose it.
  if ((written && failure) || s.suspended) DeletePods(ctx, pods, t.active, kControllerManager);
}

// ---- Kubeflow Training Operator v1 ----

struct TrainingKind {
  const char* kind;
  const char* plural;
  const char* replica_specs;  // spec field holding the replica types
  const char* operator_name;
  std::vector<std::string> leaders;  // replica types whose success is the job's
};

const std::vector<TrainingKind>& TrainingKinds() {
  static const std::vector<TrainingKind> kKinds = {
      {"PyTorchJob", "pytorchjobs", "pytorchReplicaSpecs", "pytorchjob-controller", {"Master"}},
      {"TFJob", "tfjobs", "tfReplicaSpecs", "tfjob-controller", {"Chief", "Master"}},
      {"XGBoostJob", "xgboostjobs", "xgbReplicaSpecs", "xgboostjob-controller", {"Master"}},
      {"PaddleJob", "paddlejobs", "paddleReplicaSpecs", "paddlejob-controller", {"Master"}},
      {"JAXJob", "jaxjobs", "jaxReplicaSpecs", "jaxjob-controller", {}},
      {"MPIJob", "mpijobs", "mpiReplicaSpecs", "mpijob-controller", {"Launcher"}},
  };
  return kKinds;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Replica {
  std::string type;  // "Master", "Worker", ...
  const JsonValue* spec = nullptr;
  int64_t replicas = 1;
  PodTally tally;
  int64_t missing = 0;  // expected Pods that do not exist
};

struct TrainingJob {
  const TrainingKind& kind;
  const ResourceType& type;
  const ResourceType& pods;
  const ObjectPtr& job;
  std::vector<Replica> replicas;
};

void CreateReplicaPod(ControllerContext& ctx, const TrainingJob& j, const Replica& r, int64_t index,
                      const std::string& name) {
  Object pod = PodFromTemplate(Find(*r.spec, "template"), *j.job);
  JsonAllocator& a = pod.allocator();
  JsonValue& root = pod.mutable_json();
  SetPath(root, "metadata.name", Str(name, a), a);
  SetLabel(root, "training.kubeflow.org/job-name", j.job->name(), a);
  SetLabel(root, "training.kubeflow.org/operator-name", j.kind.operator_name, a);
  SetLabel(root, "training.kubeflow.org/replica-type", Lower(r.type), a);
  SetLabel(root, "training.kubeflow.org/replica-index", std::to_string(index), a);
  bool leader = std::count(j.kind.leaders.begin(), j.kind.leaders.end(), r.type) > 0;
  if (leader && index == 0) SetLabel(root, "training.kubeflow.org/job-role", "master", a);
  // The operator runs ExitCode replicas as Never and restarts the Pod itself.
  std::string policy = MemberString(*r.spec, "restartPolicy");
  if (policy.empty()) policy = "OnFailure";
  if (policy == "ExitCode") policy = "Never";
  SetPath(root, "spec.restartPolicy", Str(policy, a), a);
  ctx.writer().Create(j.pods, pod, kTrainingOperator);
}

// Creates the missing Pods of every replica type and counts the existing ones.
void SyncReplicas(ControllerContext& ctx, TrainingJob& j, const OwnedIndex& pods_by_owner,
                  bool create) {
  const JsonValue* specs = Find(j.job->json(), std::string("spec.") + j.kind.replica_specs);
  if (!specs || !specs->IsObject()) return;
  std::map<std::string, ObjectPtr> by_name;
  for (const ObjectPtr& p : OwnedBy(pods_by_owner, UidOf(*j.job))) by_name[p->name()] = p;
  for (const auto& m : specs->GetObject()) {
    Replica r;
    r.type = m.name.GetString();
    r.spec = &m.value;
    r.replicas = ReplicasAt(m.value, "replicas");
    std::vector<ObjectPtr> mine;
    for (int64_t i = 0; i < r.replicas; ++i) {
      std::string name = j.job->name() + "-" + Lower(r.type) + "-" + std::to_string(i);
      auto it = by_name.find(name);
      if (it != by_name.end()) {
        mine.push_back(it->second);
        continue;
      }
      ++r.missing;
      if (create) CreateReplicaPod(ctx, j, r, i, name);
    }
    r.tally = Tally(mine);
    j.replicas.push_back(std::move(r));
  }
}

std::optional<Condition> TrainingFailure(const TrainingJob& j) {
  std::string who = j.kind.kind + std::string(" ") + j.job->namespace_() + "/" + j.job->name();
  int64_t restarts = 0;
  for (const Replica& r : j.replicas) {
    restarts += r.tally.restarts;
    if (r.tally.failed > 0) {
      return Condition{"Failed", "True", std::string(j.kind.kind) + "Failed",
                       who + " has failed because " + std::to_string(r.tally.failed) + " " +
                           r.type + " replica(s) failed."};
    }
  }
  auto limit = GetInt(j.job->json(), "spec.runPolicy.backoffLimit");
  if (limit && restarts > 0 && restarts >= *limit) {
    return Condition{"Failed", "True", std::string(j.kind.kind) + "Failed",
                     who + " has failed because it has reached the specified backoff limit"};
  }
  return std::nullopt;
}

// Success as the operator judges it: the leader replicas (Master, Chief, Launcher) when the job
// has them, else every Worker, else every Pod.
bool TrainingSucceeded(const TrainingJob& j) {
  auto done = [](const Replica& r) { return r.missing == 0 && r.tally.succeeded == r.replicas; };
  bool has_leader = false, has_worker = false, leaders_done = true, workers_done = true;
  bool all_done = true;
  for (const Replica& r : j.replicas) {
    bool leader = std::count(j.kind.leaders.begin(), j.kind.leaders.end(), r.type) > 0;
    has_leader |= leader;
    if (leader) leaders_done &= done(r);
    if (r.type == "Worker") {
      has_worker = true;
      workers_done &= done(r);
    }
    all_done &= done(r);
  }
  if (j.replicas.empty()) return false;
  if (has_leader) return leaders_done;
  return has_worker ? workers_done : all_done;
}

bool TrainingRunning(const TrainingJob& j) {
  for (const Replica& r : j.replicas) {
    if (r.missing > 0) return false;
    for (const ObjectPtr& p : r.tally.active) {
      if (PodPhase(*p) != "Running") return false;
    }
  }
  return !j.replicas.empty();
}

JsonValue ReplicaStatuses(const TrainingJob& j, JsonAllocator& a) {
  JsonValue out(rapidjson::kObjectType);
  for (const Replica& r : j.replicas) {
    JsonValue s(rapidjson::kObjectType);
    for (auto [key, value] :
         {std::pair<const char*, int64_t>{"active", static_cast<int64_t>(r.tally.active.size())},
          {"succeeded", r.tally.succeeded},
          {"failed", r.tally.failed}}) {
      if (value > 0) SetInt(s, key, value, a);
    }
    SetString(s, "selector",
              "training.kubeflow.org/job-name=" + j.job->name() +
                  ",training.kubeflow.org/operator-name=" + j.kind.operator_name +
                  ",training.kubeflow.org/replica-type=" + Lower(r.type),
              a);
    SetMember(out, r.type, std::move(s), a);
  }
  return out;
}

// cleanPodPolicy: what the operator deletes once the job has finished.
void CleanPods(ControllerContext& ctx, const TrainingJob& j, const OwnedIndex& pods_by_owner) {
  std::string policy = GetString(j.job->json(), "spec.runPolicy.cleanPodPolicy", "None");
  if (policy == "None") return;
  std::vector<ObjectPtr> victims;
  for (const ObjectPtr& p : OwnedBy(pods_by_owner, UidOf(*j.job))) {
    std::string phase = PodPhase(*p);
    bool finished = phase == "Succeeded" || phase == "Failed";
    if (!PodIsTerminating(*p) && (policy == "All" || !finished)) victims.push_back(p);
  }
  DeletePods(ctx, j.pods, victims, kTrainingOperator);
}

void ReconcileTrainingJob(ControllerContext& ctx, TrainingJob j, const OwnedIndex& pods_by_owner) {
  const Object& job = *j.job;
  if (Find(job.json(), "metadata.deletionTimestamp")) return;
  if (ConditionTrue(job, "Succeeded") || ConditionTrue(job, "Failed")) {
    CleanPods(ctx, j, pods_by_owner);
    ExpireFinished(ctx, j.type, job, "spec.runPolicy.ttlSecondsAfterFinished", kTrainingOperator);
    return;
  }
  bool suspended = GetBool(job.json(), "spec.runPolicy.suspend").value_or(false);
  SyncReplicas(ctx, j, pods_by_owner, !suspended);

  std::string now = ctx.Now();
  std::string kind = j.kind.kind;
  std::string who = job.namespace_() + "/" + job.name();
  Object next = job.Clone();
  JsonAllocator& a = next.allocator();
  JsonValue& status = EnsureObject(next.mutable_json(), "status", a);
  auto set = [&](const Condition& c) {
    SetCondition(status, c, ConditionTimes::kUpdateAndTransition, now, a);
  };
  set({"Created", "True", kind + "Created", kind + " " + job.name() + " is created."});
  auto failure = TrainingFailure(j);
  bool succeeded = !failure && TrainingSucceeded(j);
  if (failure || succeeded || TrainingRunning(j)) {
    set({"Running", "True", kind + "Running", kind + " " + who + " is running."});
  }
  if (failure || succeeded) {
    // The operator keeps the Running condition's words and turns it False.
    const JsonValue* running = FindCondition(next.json(), "Running");
    if (running) {
      set({"Running", "False", MemberString(*running, "reason"),
           MemberString(*running, "message")});
    }
    set(failure ? *failure
                : Condition{"Succeeded", "True", kind + "Succeeded",
                            kind + " " + who + " successfully completed."});
    if (succeeded) SetString(status, "completionTime", now, a);
  }
  SetMember(status, "replicaStatuses", ReplicaStatuses(j, a), a);
  if (!FindMember(status, "startTime")) SetString(status, "startTime", now, a);
  const JsonValue* before = Find(job.json(), "status");
  if (before && *before == status) return;
  SetString(status, "lastReconcileTime", now, a);
  ctx.writer().ReplaceStatus(j.type, next, kTrainingOperator);
}

}  // namespace

void ReconcileJobs(ControllerContext& ctx) {
  auto jobs = ctx.Type("batch", "jobs");
  auto pods = ctx.Type("", "pods");
  if (!jobs || !pods) return;
  OwnedIndex pods_by_owner = IndexByController(ctx.List(*pods));
  for (const ObjectPtr& job : ctx.List(*jobs)) ReconcileJob(ctx, *jobs, *pods, job, pods_by_owner);
}

void ReconcileTrainingJobs(ControllerContext& ctx) {
  auto pods = ctx.Type("", "pods");
  if (!pods) return;
  std::optional<OwnedIndex> pods_by_owner;
  for (const TrainingKind& kind : TrainingKinds()) {
    auto type = ctx.Type("kubeflow.org", kind.plural, "v1");
    if (!type) continue;  // its CRD is not installed
    for (const ObjectPtr& job : ctx.List(*type)) {
      if (!pods_by_owner) pods_by_owner = IndexByController(ctx.List(*pods));
      ReconcileTrainingJob(ctx, {kind, *type, *pods, job, {}}, *pods_by_owner);
    }
  }
}

}  // namespace mlgitops::kubesim
