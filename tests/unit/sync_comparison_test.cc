// CompareApp against kubesim (no simulated controllers): Synced after applying, drift visible
// in the diff, ignoreDifferences honoured, tracked leftovers requiring pruning, hooks left out,
// objects that would be created (missing, kind not served, namespace not there yet) and
// objects the server refuses; and the syncer's pruning through the same ListTrackedObjects.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "sync/comparison.h"
#include "sync/live_objects.h"
#include "sync/syncer.h"
#include "sync/tracking.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using mlgitops::testing::ParseOne;
using mlgitops::testing::TempDir;

const GroupVersionKind kConfigMap{"", "v1", "ConfigMap"};
const GroupVersionKind kDeployment{"apps", "v1", "Deployment"};

class SyncComparisonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string error = kubesim::testing::StartSuiteKubesim(dir_->path(), "", &process_, &client_);
    if (!error.empty()) {
      error_ = new std::string(error);
      return;
    }
  }

  static void TearDownTestSuite() {
    kubesim::testing::StopSuiteKubesim(&process_, &client_);
    delete error_;
    error_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(error_, nullptr) << *error_;
    ns_ = "cmp-" + std::to_string(++counter_);
    ASSERT_TRUE(
        client_
            ->Apply(ParseOne("apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns_ + "}\n"),
                    ApplyOptions())
            .ok());
    app_ = MakeApp("");
  }

  Application MakeApp(const std::string& ignore_differences) {
    auto app = ParseApplication(ParseOne(
        "apiVersion: mlgitops.io/v1alpha1\nkind: Application\nmetadata: {name: shop, namespace: "
        "apps}\nspec:\n  source: {repoURL: https://git.example.com/x.git, path: shop}\n  "
        "destination: {server: https://kubernetes.default.svc, namespace: " +
        ns_ + "}\n" + ignore_differences));
    EXPECT_TRUE(app.ok()) << app.status().message();
    return app.ok() ? std::move(*app) : Application();
  }

  /// Syncs the app to `desired` with prune through `client` (as the syncer's identity).
  Result<SyncResult> SyncWithPrune(KubeClient& client, const std::vector<std::string>& desired) {
    HealthAssessor assessor;
    SystemClock clock;
    Syncer syncer(client, assessor, DefaultConventions(), clock);
    SyncInput input;
    input.app = &app_;
    input.app_instance = "shop";
    input.desired = Desired(desired);
    SyncOptions options;
    options.prune = true;
    options.poll_interval = std::chrono::milliseconds(20);
    return syncer.Run(std::move(input), options);
  }

  std::string Sub(std::string yaml) const {
    for (size_t at = yaml.find("NS"); at != std::string::npos; at = yaml.find("NS", at + 1)) {
      yaml.replace(at, 2, ns_);
    }
    return yaml;
  }

  std::string ConfigMap(const std::string& name, const std::string& value,
                        const std::string& annotations = "") const {
    return Sub("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name +
               "\n  namespace: NS\n" + annotations + "data: {model: " + value + "}\n");
  }

  std::string Deployment(const std::string& name, int replicas) const {
    return Sub("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name +
               ", namespace: NS}\nspec:\n  replicas: " + std::to_string(replicas) +
               "\n  selector: {matchLabels: {app: " + name +
               "}}\n  template:\n    metadata: {labels: {app: " + name +
               "}}\n    spec: {containers: [{name: main, image: \"nginx:1.27\"}]}\n");
  }

  /// Applies `yaml` as the app's sync would: with its tracking id.
  void ApplyTracked(const std::string& yaml, const std::string& manager = "mlgitops") {
    Object obj = ParseOne(yaml);
    SetTrackingAnnotation(TrackingIdFor("shop", obj, !obj.namespace_().empty()), &obj);
    ApplyOptions options;
    options.field_manager = manager;
    auto applied = client_->Apply(obj, options);
    ASSERT_TRUE(applied.ok()) << applied.status().message();
  }

  std::vector<Object> Desired(const std::vector<std::string>& yamls) {
    std::vector<Object> out;
    for (const std::string& y : yamls) out.push_back(ParseOne(y));
    return out;
  }

  AppComparison Compare(const std::vector<std::string>& yamls) { return Compare(app_, yamls); }
  AppComparison Compare(const Application& app, const std::vector<std::string>& yamls) {
    auto compared = CompareApp(*client_, app, "shop", Desired(yamls));
    EXPECT_TRUE(compared.ok()) << compared.status().message();
    return compared.ok() ? std::move(*compared) : AppComparison();
  }

  static const ResourceComparison* Find(const AppComparison& c, const std::string& kind,
                                        const std::string& name) {
    for (const ResourceComparison& r : c.resources) {
      if (r.ref.kind == kind && r.ref.name == name) return &r;
    }
    return nullptr;
  }

  static TempDir* dir_;
  static kubesim::KubesimProcess* process_;
  static HttpKubeClient* client_;
  static std::string* error_;
  static int counter_;
  std::string ns_;
  Application app_;
};

TempDir* SyncComparisonTest::dir_ = nullptr;
kubesim::KubesimProcess* SyncComparisonTest::process_ = nullptr;
HttpKubeClient* SyncComparisonTest::client_ = nullptr;
std::string* SyncComparisonTest::error_ = nullptr;
int SyncComparisonTest::counter_ = 0;

TEST_F(SyncComparisonTest, AppliedManifestsAreSyncedAndDriftShowsInTheDiff) {
  ApplyTracked(ConfigMap("settings", "v1"));
  ApplyTracked(Deployment("web", 2));
  AppComparison c = Compare({ConfigMap("settings", "v1"), Deployment("web", 2)});
  EXPECT_EQ(c.sync_status, "Synced") << ComparisonSummary(c);
  ASSERT_EQ(c.resources.size(), 2u);
  for (const ResourceComparison& r : c.resources) {
    EXPECT_EQ(r.status, "Synced") << r.ref.ToString() << "\n" << r.diff.text;
    EXPECT_TRUE(r.diff.text.empty());
  }
  // No controller writes the Deployment's status here: it is still rolling out.
  EXPECT_EQ(Find(c, "Deployment", "web")->health.code, HealthCode::kProgressing);
  EXPECT_EQ(Find(c, "ConfigMap", "settings")->health.code, HealthCode::kHealthy);
  EXPECT_EQ(c.health.code, HealthCode::kProgressing);

  // Someone edits the live objects.
  ApplyTracked(ConfigMap("settings", "v2"), "kubectl-edit");
  c = Compare({ConfigMap("settings", "v1"), Deployment("web", 2)});
  EXPECT_EQ(c.sync_status, "OutOfSync");
  const ResourceComparison* cm = Find(c, "ConfigMap", "settings");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->status, "OutOfSync");
  EXPECT_FALSE(cm->live_missing);
  EXPECT_NE(cm->diff.text.find("-  model: v2"), std::string::npos) << cm->diff.text;
  EXPECT_NE(cm->diff.text.find("+  model: v1"), std::string::npos) << cm->diff.text;
  EXPECT_EQ(Find(c, "Deployment", "web")->status, "Synced");
  EXPECT_EQ(c.CountOutOfSync(), 1);
  EXPECT_FALSE(c.OnlyPruningNeeded());
}

TEST_F(SyncComparisonTest, IgnoreDifferencesHidesTheIgnoredField) {
  ApplyTracked(Deployment("web", 2));
  auto scaled = client_->Patch(ObjectKey{kDeployment, ns_, "web"}, PatchType::kMerge,
                               R"({"spec":{"replicas":5}})", WriteOptions{false, "hpa"});
  ASSERT_TRUE(scaled.ok()) << scaled.status().message();
  EXPECT_EQ(Compare({Deployment("web", 2)}).sync_status, "OutOfSync");
  Application ignoring = MakeApp(
      "  ignoreDifferences:\n  - {group: apps, kind: Deployment, jsonPointers: "
      "[/spec/replicas]}\n");
  AppComparison c = Compare(ignoring, {Deployment("web", 2)});
  EXPECT_EQ(c.sync_status, "Synced") << c.resources[0].diff.text;
}

TEST_F(SyncComparisonTest, TrackedObjectsNoLongerDesiredRequirePruning) {
  ApplyTracked(ConfigMap("settings", "v1"));
  ApplyTracked(ConfigMap("old", "v1"));
  // Neither untracked objects nor tracked children (ownerReferences) are the app's to prune.
  ASSERT_TRUE(client_->Apply(ParseOne(ConfigMap("bystander", "v1")), ApplyOptions()).ok());
  ApplyTracked(
      Sub("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: child\n  namespace: NS\n"
          "  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: settings, uid: "
          "0000-1111}]\ndata: {a: b}\n"));
  AppComparison c = Compare({ConfigMap("settings", "v1")});
  EXPECT_EQ(c.sync_status, "OutOfSync") << ComparisonSummary(c);
  ASSERT_EQ(c.resources.size(), 2u) << ComparisonSummary(c);
  const ResourceComparison* old = Find(c, "ConfigMap", "old");
  ASSERT_NE(old, nullptr);
  EXPECT_TRUE(old->requires_pruning);
  EXPECT_EQ(old->status, "OutOfSync");
  EXPECT_NE(old->diff.text.find("-  model: v1"), std::string::npos) << old->diff.text;
  EXPECT_EQ(c.CountRequiresPruning(), 1);
  EXPECT_TRUE(c.OnlyPruningNeeded());
  EXPECT_FALSE(c.AllRequirePruning());
  // Nothing desired at all: everything live requires pruning (the allowEmpty guard's case).
  EXPECT_TRUE(Compare({}).AllRequirePruning());
}

TEST_F(SyncComparisonTest, HooksAreLeftOutOnBothSides) {
  std::string hook = "  annotations: {argocd.argoproj.io/hook: PreSync}\n";
  ApplyTracked(ConfigMap("settings", "v1"));
  ApplyTracked(ConfigMap("migrate", "done", hook));
  AppComparison c = Compare({ConfigMap("settings", "v1"), ConfigMap("seed", "x", hook)});
  EXPECT_EQ(c.sync_status, "Synced") << ComparisonSummary(c);
  ASSERT_EQ(c.resources.size(), 1u) << ComparisonSummary(c);
  EXPECT_EQ(c.resources[0].ref.name, "settings");
}

TEST_F(SyncComparisonTest, WhatDoesNotExistYetWouldBeCreated) {
  std::string other_ns = ns_ + "-later";
  AppComparison c = Compare(
      {ConfigMap("settings", "v1"),
       Sub("apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {name: train, namespace: "
           "NS}\nspec: {}\n"),
       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: " + other_ns +
           "}\ndata: {a: b}\n"});
  EXPECT_EQ(c.sync_status, "OutOfSync") << ComparisonSummary(c);
  ASSERT_EQ(c.resources.size(), 3u);
  for (const ResourceComparison& r : c.resources) {
    EXPECT_EQ(r.status, "OutOfSync") << r.ref.ToString() << ": " << r.message;
    EXPECT_TRUE(r.live_missing) << r.ref.ToString();
    EXPECT_EQ(r.health.code, HealthCode::kMissing);
    EXPECT_NE(r.diff.text.find("+kind: "), std::string::npos) << r.diff.text;
  }
  EXPECT_NE(Find(c, "PyTorchJob", "train")->message.find("not served"), std::string::npos);
  EXPECT_TRUE(c.errors.empty());
  EXPECT_EQ(c.health.code, HealthCode::kMissing) << "nothing of the app exists";
}

TEST_F(SyncComparisonTest, ObjectsTheServerRefusesMakeTheAppUnknown) {
  AppComparison c = Compare(
      {ConfigMap("settings", "v1"),
       Sub("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Not_A_Name, namespace: NS}\n")});
  EXPECT_EQ(c.sync_status, "Unknown") << ComparisonSummary(c);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(c.errors[0].find("Not_A_Name"), std::string::npos) << c.errors[0];
  EXPECT_EQ(Find(c, "ConfigMap", "Not_A_Name")->status, "Unknown");
  EXPECT_EQ(Find(c, "ConfigMap", "settings")->status, "OutOfSync");
}

TEST_F(SyncComparisonTest, SyncerPrunesWhatListTrackedObjectsFinds) {
  ApplyTracked(ConfigMap("settings", "v1"));
  ApplyTracked(ConfigMap("old", "v1"));
  auto tracked = ListTrackedObjects(*client_, "shop", {ns_});
  ASSERT_TRUE(tracked.ok()) << tracked.status().message();
  ASSERT_EQ(tracked->size(), 2u);
  EXPECT_EQ((*tracked)[0].name(), "old") << "sorted by ref";

  auto result = SyncWithPrune(*client_, {ConfigMap("settings", "v1")});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->phase, "Succeeded") << result->message;
  EXPECT_FALSE(client_->Get(ObjectKey{kConfigMap, ns_, "old"}).ok()) << "pruned";
  EXPECT_EQ(Compare({ConfigMap("settings", "v1")}).sync_status, "Synced");
}

// A deployer whose ServiceAccount may act only inside the app's namespace (a RoleBinding, the way
// namespaced Argo CD installs are scoped) cannot list cluster-scoped kinds: kube-apiserver
// answers 403 Forbidden (RBAC). The objects of those kinds the app tracks go unseen; the sync
// and the comparison must say so (naming kind and scope) instead of claiming a complete prune.
TEST_F(SyncComparisonTest, ForbiddenListIsReportedAndPruneNotClaimedComplete) {
  ApplyTracked(ConfigMap("old", "v1"));
  std::string role_name = "shop-leftover-" + ns_;
  ApplyTracked("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: " +
               role_name + "}\nrules: []\n");
  std::string error;
  auto deployer =
      kubesim::testing::NamespaceScopedClient(*process_, *client_, ns_, "deployer", &error);
  ASSERT_NE(deployer, nullptr) << error;

  std::string unlisted = "rbac.authorization.k8s.io/ClusterRole (cluster-scoped)";
  auto compared = CompareApp(*deployer, app_, "shop", Desired({ConfigMap("settings", "v1")}));
  ASSERT_TRUE(compared.ok()) << compared.status().message();
  ASSERT_EQ(compared->warnings.size(), 1u);
  EXPECT_NE(compared->warnings[0].find(unlisted), std::string::npos) << compared->warnings[0];
  EXPECT_EQ(compared->warnings[0].find("in namespace " + ns_), std::string::npos)
      << "the namespace's own kinds were listable: " << compared->warnings[0];

  auto result = SyncWithPrune(*deployer, {ConfigMap("settings", "v1")});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->phase, "Succeeded") << result->message;
  EXPECT_FALSE(client_->Get(ObjectKey{kConfigMap, ns_, "old"}).ok()) << "pruned: listable";
  EXPECT_TRUE(
      client_->Get(ObjectKey{{"rbac.authorization.k8s.io", "v1", "ClusterRole"}, "", role_name})
          .ok())
      << "never seen, so never pruned";
  ASSERT_EQ(result->warnings.size(), 1u);
  EXPECT_NE(result->warnings[0].find(unlisted), std::string::npos) << result->warnings[0];
  EXPECT_NE(result->message.find("prune incomplete: cannot list"), std::string::npos)
      << result->message;
  EXPECT_NE(SyncResultToJson(*result, false).find("\"warnings\":[\"cannot list"),
            std::string::npos);
}

}  // namespace
}  // namespace mlgitops
