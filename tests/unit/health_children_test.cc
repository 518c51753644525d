// Tests of FindChildren: owner references, controller labels, selectors, namespaces and the
// Deployment -> ReplicaSet -> Pod chain.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "health/children.h"
#include "health/health.h"
#include "object/yaml_loader.h"
#include "test_util.h"

namespace mlgitops {
namespace {

std::vector<Object> Parse(const std::string& yaml) {
  auto docs = ParseManifests(yaml, "children-test");
  EXPECT_TRUE(docs.ok()) << docs.status().ToString();
  return docs.ok() ? std::move(*docs) : std::vector<Object>();
}

std::vector<std::string> Names(const std::vector<const Object*>& objects) {
  std::vector<std::string> names;
  for (const Object* o : objects) names.push_back(o->kind() + "/" + o->name());
  return names;
}

const Object& Named(const std::vector<Object>& all, const std::string& kind,
                    const std::string& name) {
  for (const Object& o : all) {
    if (o.kind() == kind && o.name() == name) return o;
  }
  ADD_FAILURE() << "no " << kind << "/" << name;
  return all.front();
}

using Expected = std::vector<std::string>;

TEST(FindChildren, JobPodsByOwnerUidAndByLabels) {
  auto all = Parse(R"(
apiVersion: batch/v1
kind: Job
metadata: {name: train, namespace: ml, uid: job-uid}
---
apiVersion: v1
kind: Pod
metadata:
  name: by-owner
  namespace: ml
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: train, uid: job-uid}]
---
apiVersion: v1
kind: Pod
metadata:
  name: stale-owner
  namespace: ml
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: train, uid: old-uid}]
---
apiVersion: v1
kind: Pod
metadata: {name: by-job-name, namespace: ml, labels: {batch.kubernetes.io/job-name: train}}
---
apiVersion: v1
kind: Pod
metadata: {name: by-legacy-label, namespace: ml, labels: {job-name: train}}
---
apiVersion: v1
kind: Pod
metadata: {name: by-controller-uid, namespace: ml, labels: {controller-uid: job-uid}}
---
apiVersion: v1
kind: Pod
metadata: {name: other-namespace, namespace: dev, labels: {job-name: train}}
---
apiVersion: v1
kind: Pod
metadata: {name: other-job, namespace: ml, labels: {job-name: eval}}
)");
  EXPECT_EQ(Names(FindChildren(all[0], all)),
            (Expected{"Pod/by-owner", "Pod/by-job-name", "Pod/by-legacy-label",
                      "Pod/by-controller-uid"}));
}

TEST(FindChildren, OwnerByKindAndNameWhenUidsAreMissing) {
  auto all = Parse(R"(
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: nightly-1
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: nightly}]
---
apiVersion: v1
kind: Pod
metadata: {name: nightly-1-x, labels: {job-name: nightly-1}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: other
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: weekly}]
)");
  // The CronJob's Job, and that Job's Pod.
  EXPECT_EQ(Names(FindChildren(all[0], all)), (Expected{"Job/nightly-1", "Pod/nightly-1-x"}));
}

TEST(FindChildren, DeploymentThroughReplicaSetsToPods) {
  auto all = Parse(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ml, uid: d1}
spec:
  selector: {matchLabels: {app: web}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-abc
  namespace: ml
  uid: rs1
  labels: {app: web, pod-template-hash: abc}
  ownerReferences: [{kind: Deployment, name: web, uid: d1}]
---
apiVersion: v1
kind: Pod
metadata:
  name: web-abc-1
  namespace: ml
  labels: {app: web-canary}
  ownerReferences: [{kind: ReplicaSet, name: web-abc, uid: rs1}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-selected, namespace: ml, labels: {app: web, tier: x}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: ml, labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: ml, labels: {app: api}}
)");
  EXPECT_EQ(Names(FindChildren(all[0], all)),
            (Expected{"ReplicaSet/web-abc", "Pod/web-abc-1", "Pod/web-selected"}));
}

TEST(FindChildren, SelectorExpressionsAndEmptySelector) {
  auto all = Parse(R"(
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  selector:
    matchLabels: {app: db}
    matchExpressions:
    - {key: tier, operator: In, values: [primary, replica]}
    - {key: legacy, operator: DoesNotExist}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, labels: {app: db, tier: primary}}
---
apiVersion: v1
kind: Pod
metadata: {name: db-old, labels: {app: db, tier: primary, legacy: 'yes'}}
---
apiVersion: v1
kind: Pod
metadata: {name: db-cache, labels: {app: db, tier: cache}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: everything}
spec: {selector: {}}
)");
  EXPECT_EQ(Names(FindChildren(all[0], all)), (Expected{"Pod/db-0"}));
  EXPECT_TRUE(FindChildren(all[4], all).empty());
}

TEST(FindChildren, MlControllerLabels) {
  auto all = Parse(R"(
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: mnist}
---
apiVersion: ray.io/v1
kind: RayJob
metadata: {name: rj}
status: {rayClusterName: rj-raycluster-x}
---
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: etl}
---
apiVersion: v1
kind: Pod
metadata: {name: mnist-worker-0, labels: {training.kubeflow.org/job-name: mnist}}
---
apiVersion: v1
kind: Pod
metadata: {name: rj-head, labels: {ray.io/cluster: rj-raycluster-x}}
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: etl-1, labels: {workflows.argoproj.io/cron-workflow: etl}}
---
apiVersion: v1
kind: Pod
metadata: {name: unrelated, labels: {ray.io/cluster: other}}
)");
  EXPECT_EQ(Names(FindChildren(all[0], all)), (Expected{"Pod/mnist-worker-0"}));
  EXPECT_EQ(Names(FindChildren(all[1], all)), (Expected{"Pod/rj-head"}));
  EXPECT_EQ(Names(FindChildren(all[2], all)), (Expected{"Workflow/etl-1"}));
}

TEST(FindChildren, ParentIsNeverItsOwnChild) {
  auto all = Parse(R"(
apiVersion: batch/v1
kind: Job
metadata: {name: self, labels: {job-name: self}}
)");
  EXPECT_TRUE(FindChildren(all[0], all).empty());
}

TEST(FindChildren, FoundChildrenFeedTheHealthVerdict) {
  auto all = Parse(R"(
apiVersion: batch/v1
kind: Job
metadata: {name: train, namespace: ml}
status: {active: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: train-abc, namespace: ml, labels: {batch.kubernetes.io/job-name: train}}
status:
  phase: Running
  containerStatuses:
  - name: trainer
    restartCount: 3
    state: {waiting: {reason: CrashLoopBackOff}}
    lastState: {terminated: {reason: OOMKilled, exitCode: 137}}
)");
  const Object& job = Named(all, "Job", "train");
  HealthContext ctx;
  ctx.children = FindChildren(job, all);
  auto verdict = AssessBuiltin(job, ctx);
  ASSERT_TRUE(verdict);
  EXPECT_EQ(*verdict, (HealthStatus{HealthCode::kDegraded,
                                    "pod train-abc container trainer: CrashLoopBackOff (last "
                                    "exit: OOMKilled)"}));
}

// `apps` applications as a cluster dump holds them: a Deployment, its ReplicaSet, two Pods and
// a Service each, all in one namespace and all carrying one shared label (team: ml).
std::string Dump(int apps) {
  std::string y;
  for (int i = 0; i < apps; ++i) {
    std::string a = "app-" + std::to_string(i);
    std::string labels = "{team: ml, app: " + a + "}";
    y += "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + a +
         ", namespace: ml, uid: d-" + a + "}\nspec: {selector: {matchLabels: " + labels + "}}\n";
    y += "---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: " + a +
         "-rs, namespace: ml, uid: r-" + a + ", labels: " + labels +
         ", ownerReferences: [{kind: Deployment, name: " + a + ", uid: d-" + a +
         "}]}\nspec: {selector: {matchLabels: " + labels + "}}\n";
    for (int p = 0; p < 2; ++p) {
      y += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: " + a + "-" + std::to_string(p) +
           ", namespace: ml, labels: " + labels +
           ", ownerReferences: [{kind: ReplicaSet, name: " + a + "-rs, uid: r-" + a + "}]}\n";
    }
    y += "---\napiVersion: v1\nkind: Service\nmetadata: {name: " + a +
         ", namespace: ml}\nspec: {selector: " + labels + "}\n";
  }
  return y;
}

// The work of finding every object's children through one index: how many candidates were
// checked against a parent's rules. A scan per object checks every pair instead.
size_t WorkForEveryObject(int apps) {
  std::vector<Object> all = Parse(Dump(apps));
  ChildIndex index(all);
  size_t found = 0;
  for (const Object& o : all) found += index.Children(o).size();
  size_t work = index.candidates_examined();
  // Per app: the Deployment finds its ReplicaSet and both Pods, the ReplicaSet its two Pods.
  EXPECT_EQ(found, static_cast<size_t>(apps) * 5);
  EXPECT_EQ(Names(index.Children(all[0])),
            (Expected{"ReplicaSet/app-0-rs", "Pod/app-0-0", "Pod/app-0-1"}));
  return work;
}

TEST(ChildIndex, WorkGrowsLinearlyWithTheObjects) {
  size_t small = WorkForEveryObject(50);
  size_t large = WorkForEveryObject(200);
  // Four times the objects, four times the work: linear. A scan per object would be sixteen
  // times, and the label every object shares does not make a parent look at all of them.
  EXPECT_EQ(large, 4 * small);
  EXPECT_LE(small, 50u * 5 * 3) << "a few candidates per object";
  EXPECT_GT(small, 0u);
}

TEST(ChildIndex, AgreesWithFindChildrenForParentsInsideAndOutsideTheSet) {
  std::vector<Object> all = Parse(Dump(3));
  ChildIndex index(all);
  for (const Object& o : all) {
    EXPECT_EQ(Names(index.Children(o)), Names(FindChildren(o, all))) << o.name();
  }
  // A parent that is not in the set (the live path: candidates fetched from a cluster).
  std::vector<Object> parent = Parse(Dump(1));
  std::vector<Object> children(std::make_move_iterator(all.begin() + 1),
                               std::make_move_iterator(all.begin() + 4));
  EXPECT_EQ(Names(ChildIndex(children).Children(parent[0])),
            (Expected{"ReplicaSet/app-0-rs", "Pod/app-0-0", "Pod/app-0-1"}));
}

}  // namespace
}  // namespace mlgitops
