// Tests of the in-memory KubeClient the core tests use: apply as a merge with versions and
// generations, selectors, paging, deletion rules, CRDs becoming served, watches with a bounded
// history, WaitFor over it, dry runs, injected failures and the call log.
#include <gtest/gtest.h>

#include <thread>

#include "kube/errors.h"
#include "kube/fake_client.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::ParseOne;

const GroupVersionKind kDeployment{"apps", "v1", "Deployment"};
const GroupVersionKind kConfigMap{"", "v1", "ConfigMap"};

Object Deployment(const std::string& name, int replicas, const std::string& labels = "{}") {
  return ParseOne("{apiVersion: apps/v1, kind: Deployment, metadata: {name: " + name +
                  ", namespace: ml, labels: " + labels +
                  "}, spec: {replicas: " + std::to_string(replicas) + "}}");
}

std::string Version(const Object& object) {
  return GetString(object.json(), "metadata.resourceVersion");
}

class FakeKubeClientTest : public ::testing::Test {
 protected:
  FakeKubeClientTest() : clock_(1'700'000'000), client_("ml", &clock_) {}

  std::vector<std::string> Names(const GroupVersionKind& gvk, const std::string& ns,
                                 const std::string& selector) {
    ListOptions options;
    options.label_selector = selector;
    auto list = client_.List(gvk, ns, options);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    std::vector<std::string> names;
    if (list.ok()) {
      for (const Object& item : list->items) names.push_back(item.name());
    }
    return names;
  }

  FixedClock clock_;
  FakeKubeClient client_;
};

TEST_F(FakeKubeClientTest, ApplyCreatesThenMergesAndIsANoOpWhenUnchanged) {
  auto created = client_.Apply(Deployment("ranker", 2), ApplyOptions());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_FALSE(GetString(created->json(), "metadata.uid").empty());
  EXPECT_EQ(GetString(created->json(), "metadata.creationTimestamp"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(GetInt(created->json(), "metadata.generation"), 1);

  auto again = client_.Apply(Deployment("ranker", 2), ApplyOptions());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Version(again.value()), Version(created.value())) << "re-applying is a no-op";

  auto scaled = client_.Apply(Deployment("ranker", 5), ApplyOptions());
  ASSERT_TRUE(scaled.ok());
  EXPECT_NE(Version(scaled.value()), Version(created.value()));
  EXPECT_EQ(GetInt(scaled->json(), "metadata.generation"), 2);
  EXPECT_EQ(GetString(scaled->json(), "metadata.uid"), GetString(created->json(), "metadata.uid"));
  auto live = client_.Get(ObjectKey{kDeployment, "ml", "ranker"});
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(GetInt(live->json(), "spec.replicas"), 5);
}

TEST_F(FakeKubeClientTest, ApplyLeavesStatusToTheControllers) {
  Object seeded = ParseOne(
      "{apiVersion: apps/v1, kind: Deployment, metadata: {name: r, namespace: ml}, "
      "spec: {replicas: 1}, status: {readyReplicas: 1}}");
  ASSERT_TRUE(client_.Seed(seeded).ok());
  Object desired = ParseOne(
      "{apiVersion: apps/v1, kind: Deployment, metadata: {name: r, namespace: ml}, "
      "spec: {replicas: 1}, status: {readyReplicas: 9}}");
  auto applied = client_.Apply(desired, ApplyOptions());
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(GetInt(applied->json(), "status.readyReplicas"), 1);
}

TEST_F(FakeKubeClientTest, NamespaceDefaultsToTheClientsAndClusterScopedHaveNone) {
  ASSERT_TRUE(
      client_
          .Apply(ParseOne("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}"), ApplyOptions())
          .ok());
  EXPECT_TRUE(client_.Get(ObjectKey{kConfigMap, "ml", "c"}).ok());
  auto ns = client_.Apply(
      ParseOne("{apiVersion: v1, kind: Namespace, metadata: {name: team, namespace: x}}"),
      ApplyOptions());
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->namespace_(), "");
  EXPECT_TRUE(client_.Get(ObjectKey{{"", "v1", "Namespace"}, "", "team"}).ok());
}

TEST_F(FakeKubeClientTest, LabelSelectorsFollowKubernetesSyntax) {
  ASSERT_TRUE(client_.Seed(Deployment("a", 1, "{app: ranker, tier: web}")).ok());
  ASSERT_TRUE(client_.Seed(Deployment("b", 1, "{app: scorer, tier: cache}")).ok());
  ASSERT_TRUE(client_.Seed(Deployment("c", 1, "{app: ranker}")).ok());
  using V = std::vector<std::string>;
  EXPECT_EQ(Names(kDeployment, "ml", "app=ranker"), (V{"a", "c"}));
  EXPECT_EQ(Names(kDeployment, "ml", "app==ranker,tier=web"), (V{"a"}));
  EXPECT_EQ(Names(kDeployment, "ml", "app!=ranker"), (V{"b"}));
  EXPECT_EQ(Names(kDeployment, "ml", "tier in (web, cache)"), (V{"a", "b"}));
  EXPECT_EQ(Names(kDeployment, "ml", "tier notin (web)"), (V{"b", "c"}));
  EXPECT_EQ(Names(kDeployment, "ml", "tier"), (V{"a", "b"}));
  EXPECT_EQ(Names(kDeployment, "ml", "!tier"), (V{"c"}));
  EXPECT_EQ(Names(kDeployment, "other", ""), V{});
  EXPECT_EQ(Names(kDeployment, "", "app=ranker"), (V{"a", "c"})) << "all namespaces";
  ListOptions bad;
  bad.label_selector = "tier in (web";
  EXPECT_FALSE(client_.List(kDeployment, "ml", bad).ok());
}

TEST_F(FakeKubeClientTest, FieldSelectorsMatchNames) {
  ASSERT_TRUE(client_.Seed(Deployment("a", 1)).ok());
  ASSERT_TRUE(client_.Seed(Deployment("b", 1)).ok());
  ListOptions options;
  options.field_selector = "metadata.name=b";
  auto list = client_.List(kDeployment, "ml", options);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].name(), "b");
  options.field_selector = "metadata.name!=b";
  EXPECT_EQ(client_.List(kDeployment, "ml", options)->items.size(), 1u);
}

TEST_F(FakeKubeClientTest, ListAllPagesThroughEverything) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(client_.Seed(Deployment("d" + std::to_string(i), 1, "{app: x}")).ok());
  }
  ASSERT_TRUE(client_.Seed(Deployment("other", 1, "{app: y}")).ok());
  ListOptions options;
  options.limit = 3;
  options.label_selector = "app=x";
  auto first = client_.List(kDeployment, "ml", options);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 3u);
  EXPECT_FALSE(first->continue_token.empty());
  auto all = ListAll(client_, kDeployment, "ml", options);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 7u);
  size_t lists = 0;
  for (const FakeCall& call : client_.calls()) lists += call.verb == "list";
  EXPECT_EQ(lists, 1u + 3u);
}

TEST_F(FakeKubeClientTest, DeleteHonoursFinalizersPreconditionsAndPropagation) {
  ASSERT_TRUE(
      client_
          .Seed(ParseOne("{apiVersion: v1, kind: ConfigMap, metadata: {name: held, namespace: ml, "
                         "finalizers: [example.com/keep]}}"))
          .ok());
  ASSERT_TRUE(client_.Delete(ObjectKey{kConfigMap, "ml", "held"}, DeleteOptions()).ok());
  auto held = client_.Get(ObjectKey{kConfigMap, "ml", "held"});
  ASSERT_TRUE(held.ok()) << "a finalizer keeps it";
  EXPECT_FALSE(GetString(held->json(), "metadata.deletionTimestamp").empty());

  auto owner = client_.Apply(Deployment("owner", 1), ApplyOptions());
  ASSERT_TRUE(owner.ok());
  std::string uid = GetString(owner->json(), "metadata.uid");
  Object child = ParseOne(
      "{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: owner-1, "
      "namespace: ml, ownerReferences: [{uid: " +
      uid + "}]}}");
  ASSERT_TRUE(client_.Seed(child).ok());

  DeleteOptions stale;
  stale.precondition_uid = "not-" + uid;
  Status refused = client_.Delete(ObjectKey{kDeployment, "ml", "owner"}, stale);
  EXPECT_TRUE(IsConflict(refused)) << refused.ToString();

  DeleteOptions cascade;
  cascade.propagation = Propagation::kForeground;
  cascade.precondition_uid = uid;
  ASSERT_TRUE(client_.Delete(ObjectKey{kDeployment, "ml", "owner"}, cascade).ok());
  EXPECT_EQ(client_.Get(ObjectKey{kDeployment, "ml", "owner"}).status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(client_.Get(ObjectKey{{"apps", "v1", "ReplicaSet"}, "ml", "owner-1"}).status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(client_.Delete(ObjectKey{kDeployment, "ml", "owner"}, DeleteOptions()).code(),
            Status::Code::kNotFound);
}

TEST_F(FakeKubeClientTest, OrphanKeepsDependents) {
  auto owner = client_.Apply(Deployment("owner", 1), ApplyOptions());
  ASSERT_TRUE(owner.ok());
  ASSERT_TRUE(client_
                  .Seed(ParseOne("{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: rs, "
                                 "namespace: ml, ownerReferences: [{uid: " +
                                 GetString(owner->json(), "metadata.uid") + "}]}}"))
                  .ok());
  DeleteOptions orphan;
  orphan.propagation = Propagation::kOrphan;
  ASSERT_TRUE(client_.Delete(ObjectKey{kDeployment, "ml", "owner"}, orphan).ok());
  EXPECT_TRUE(client_.Get(ObjectKey{{"apps", "v1", "ReplicaSet"}, "ml", "rs"}).ok());
}

TEST_F(FakeKubeClientTest, CrdMakesItsKindServed) {
  Object job = ParseOne("{apiVersion: kubeflow.org/v1, kind: PyTorchJob, metadata: {name: t}}");
  Status before = client_.Apply(job, ApplyOptions()).status();
  EXPECT_EQ(before.code(), Status::Code::kNotFound);
  EXPECT_NE(before.message().find("CRD"), std::string::npos);
  ASSERT_TRUE(client_
                  .Apply(ParseOne(R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: pytorchjobs.kubeflow.org}
spec:
  group: kubeflow.org
  scope: Namespaced
  names: {kind: PyTorchJob, plural: pytorchjobs, singular: pytorchjob, shortNames: [ptj]}
  versions: [{name: v1, served: true, storage: true, subresources: {status: {}}}]
)"),
                         ApplyOptions())
                  .ok());
  EXPECT_TRUE(client_.Apply(job, ApplyOptions()).ok());
  auto resolved = client_.ResolveResource("ptj");
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->resource, "pytorchjobs");
  EXPECT_TRUE(resolved->HasSubresource("status"));
}

TEST_F(FakeKubeClientTest, DryRunStoresNothing) {
  ApplyOptions dry;
  dry.dry_run = true;
  auto result = client_.Apply(Deployment("ranker", 1), dry);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(client_.object_count(), 0u);
  WriteOptions dry_create;
  dry_create.dry_run = true;
  ASSERT_TRUE(client_.Create(Deployment("ranker", 1), dry_create).ok());
  EXPECT_EQ(client_.object_count(), 0u);
  ASSERT_EQ(client_.calls().size(), 2u);
  EXPECT_EQ(client_.calls()[0].ToString(), "apply apps/Deployment ml/ranker (dry run)");
}

TEST_F(FakeKubeClientTest, CreateRefusesDuplicatesAndNamesGeneratedObjects) {
  ASSERT_TRUE(client_.Create(Deployment("ranker", 1), WriteOptions()).ok());
  Status again = client_.Create(Deployment("ranker", 1), WriteOptions()).status();
  EXPECT_TRUE(IsAlreadyExists(again)) << again.ToString();
  auto generated = client_.Create(
      ParseOne("{apiVersion: batch/v1, kind: Job, metadata: {generateName: train-}}"),
      WriteOptions());
  ASSERT_TRUE(generated.ok());
  EXPECT_EQ(generated->name().rfind("train-", 0), 0u);
  EXPECT_GT(generated->name().size(), 6u);
}

TEST_F(FakeKubeClientTest, MergePatchSetsAndRemovesFields) {
  ASSERT_TRUE(client_.Seed(Deployment("ranker", 1, "{a: one, b: two}")).ok());
  auto patched = client_.Patch(
      ObjectKey{kDeployment, "ml", "ranker"}, PatchType::kMerge,
      R"({"metadata":{"labels":{"a":null,"c":"z"}},"spec":{"replicas":3}})", WriteOptions());
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_FALSE(patched->label("a").has_value());
  EXPECT_EQ(patched->label("b"), "two");
  EXPECT_EQ(patched->label("c"), "z");
  EXPECT_EQ(GetInt(patched->json(), "spec.replicas"), 3);
  EXPECT_EQ(
      client_.Patch(ObjectKey{kDeployment, "ml", "ranker"}, PatchType::kJson, "[]", WriteOptions())
          .status()
          .code(),
      Status::Code::kUnsupported);
}

TEST_F(FakeKubeClientTest, InjectedFailuresHitOnce) {
  client_.FailNext("apply", Status::IOError("injected"));
  EXPECT_EQ(client_.Apply(Deployment("r", 1), ApplyOptions()).status().message(), "injected");
  EXPECT_TRUE(client_.Apply(Deployment("r", 1), ApplyOptions()).ok());
}

TEST_F(FakeKubeClientTest, WatchReplaysHistoryAndExpiresOldVersions) {
  auto first = client_.Apply(Deployment("r", 1), ApplyOptions());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(client_.Apply(Deployment("r", 2), ApplyOptions()).ok());
  ASSERT_TRUE(client_.Apply(Deployment("r", 3), ApplyOptions()).ok());
  WatchOptions options;
  options.resource_version = Version(first.value());
  options.timeout = std::chrono::milliseconds(50);
  std::vector<int64_t> replicas;
  auto result = client_.Watch(kDeployment, "ml", options, [&](const WatchEvent& event) {
    replicas.push_back(GetInt(event.object.json(), "spec.replicas").value_or(-1));
    return true;
  });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(replicas, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(result->end, WatchEnd::kTimedOut);

  client_.set_history_limit(1);
  auto expired = client_.Watch(kDeployment, "ml", options, [](const WatchEvent&) { return true; });
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(expired->end, WatchEnd::kExpired);
}

TEST_F(FakeKubeClientTest, WaitForSeesAChangeMadeWhileWaiting) {
  Object pending = ParseOne(
      "{apiVersion: apps/v1, kind: Deployment, metadata: {name: r, "
      "namespace: ml}, status: {readyReplicas: 0}}");
  ASSERT_TRUE(client_.Seed(pending).ok());
  std::thread controller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Object ready = ParseOne(
        "{apiVersion: apps/v1, kind: Deployment, metadata: {name: r, "
        "namespace: ml}, status: {readyReplicas: 1}}");
    EXPECT_TRUE(client_.Seed(ready).ok());
  });
  WaitOptions options;
  options.timeout = std::chrono::seconds(10);
  auto outcome = WaitFor(
      client_, ObjectKey{kDeployment, "", "r"},
      [](const Object* d) { return d && GetInt(d->json(), "status.readyReplicas") == 1; }, options);
  controller.join();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->satisfied);
  EXPECT_EQ(GetInt(outcome->object->json(), "status.readyReplicas"), 1);
}

TEST_F(FakeKubeClientTest, WaitForDeletionAndTimeout) {
  ASSERT_TRUE(client_.Seed(Deployment("r", 1)).ok());
  std::thread deleter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_TRUE(client_.Delete(ObjectKey{kDeployment, "ml", "r"}, DeleteOptions()).ok());
  });
  WaitOptions options;
  options.timeout = std::chrono::seconds(10);
  auto gone = WaitFor(
      client_, ObjectKey{kDeployment, "ml", "r"}, [](const Object* d) { return d == nullptr; },
      options);
  deleter.join();
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->satisfied);

  options.timeout = std::chrono::milliseconds(100);
  auto never = WaitFor(
      client_, ObjectKey{kDeployment, "ml", "r"}, [](const Object* d) { return d != nullptr; },
      options);
  ASSERT_TRUE(never.ok());
  EXPECT_FALSE(never->satisfied);
  EXPECT_FALSE(never->object.has_value());
}

}  // namespace
}  // namespace mlgitops
