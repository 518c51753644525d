// Live health: fetch, find children, assess.
#include "kube/live_health.h"

#include "health/children.h"

namespace mlgitops {

namespace {
const GroupVersionKind kPods{"", "v1", "Pod"};
const GroupVersionKind kReplicaSets{"apps", "v1", "ReplicaSet"};
const GroupVersionKind kJobs{"batch", "v1", "Job"};
const GroupVersionKind kWorkflows{"argoproj.io", "v1alpha1", "Workflow"};

// spec.selector.matchLabels as "k=v,k2=v2": it selects a workload's Pods and ReplicaSets.
std::string MatchLabelsSelector(const Object& parent) {
  const JsonValue* labels = Find(parent.json(), "spec.selector.matchLabels");
  std::string out;
  if (!labels || !labels->IsObject()) return out;
  for (auto it = labels->MemberBegin(); it != labels->MemberEnd(); ++it) {
    if (!it->value.IsString()) continue;
    out +=
        (out.empty() ? "" : ",") + std::string(it->name.GetString()) + "=" + it->value.GetString();
  }
  return out;
}
}  // namespace

std::vector<ChildQuery> ChildQueries(const Object& parent) {
  std::string group = parent.group(), kind = parent.kind(), name = parent.name();
  std::string selector = MatchLabelsSelector(parent);
  if (group == "apps" && kind == "Deployment") {
    return {{kReplicaSets, selector}, {kPods, selector}};
  }
  if (group == "apps" || (group == "batch" && kind == "Job")) return {{kPods, selector}};
  if (group == "batch" && kind == "CronJob") return {{kJobs, ""}, {kPods, ""}};
  if (group == "kubeflow.org") return {{kPods, "training.kubeflow.org/job-name=" + name}};
  if (group == "batch.volcano.sh" && kind == "Job") return {{kPods, "volcano.sh/job-name=" + name}};
  if (group == "argoproj.io" && kind == "CronWorkflow") {
    return {{kWorkflows, "workflows.argoproj.io/cron-workflow=" + name}};
  }
  if (group == "argoproj.io" && kind == "Workflow") {
    return {{kPods, "workflows.argoproj.io/workflow=" + name}};
  }
  if (group == "ray.io" || group == "trainer.kubeflow.org" || group == "sparkoperator.k8s.io") {
    return {{kPods, ""}};
  }
  return {};
}

Result<std::vector<Object>> FetchChildren(KubeClient& client, const Object& parent) {
  std::vector<Object> candidates;
  for (const ChildQuery& q : ChildQueries(parent)) {
    ListOptions options;
    options.label_selector = q.label_selector;
    auto list = ListAll(client, q.gvk, parent.namespace_(), options);
    if (!list.ok()) {
      // A cluster without the child kind (no Argo Workflows installed) has no such children.
      if (list.status().code() == Status::Code::kNotFound) continue;
      return list.status();
    }
    for (auto& o : list->items) candidates.push_back(std::move(o));
  }
  std::vector<Object> children;
  for (const Object* child : FindChildren(parent, candidates)) children.push_back(child->Clone());
  return children;
}

Result<Assessment> AssessLiveObject(KubeClient& client, const Object& live,
                                    const HealthAssessor& assessor, const Conventions& conventions,
                                    int64_t now_unix) {
  auto children = FetchChildren(client, live);
  if (!children.ok()) return children.status().Prefixed(live.ref().ToString());
  HealthContext ctx;
  for (const Object& c : *children) ctx.children.push_back(&c);
  ctx.now_unix = now_unix;
  ctx.role = ClassifyObject(live, conventions).role;
  return assessor.Assess(live, ctx);
}

Result<std::vector<LiveAssessment>> AssessLive(KubeClient& client,
                                               const std::vector<ObjectKey>& wanted,
                                               const HealthAssessor& assessor,
                                               const Conventions& conventions, int64_t now_unix) {
  std::vector<LiveAssessment> out;
  for (const ObjectKey& key : wanted) {
    LiveAssessment a;
    a.api_version = key.gvk.api_version();
    a.object = ObjectRef{key.gvk.group, key.gvk.kind, key.namespace_, key.name};
    auto live = client.Get(key);
    if (!live.ok()) {
      if (live.status().code() != Status::Code::kNotFound) return live.status();
      a.health.status = HealthStatus{HealthCode::kMissing, "not found in the cluster"};
      out.push_back(std::move(a));
      continue;
    }
    auto health = AssessLiveObject(client, *live, assessor, conventions, now_unix);
    if (!health.ok()) return health.status();
    a.object = live->ref();
    a.api_version = live->api_version();
    a.health = std::move(*health);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace mlgitops
