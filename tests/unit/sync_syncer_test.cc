// The sync engine against the in-memory fake client: order, dry run, health gates, hooks,
// prune rules, namespaces, timeouts and cancellation; tracking ids and resource filters.
#include <gtest/gtest.h>

#include <atomic>

#include "kube/fake_client.h"
#include "sync/syncer.h"
#include "sync/tracking.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::ParseOne;

// ---------- tracking ids ----------

TEST(SyncTracking, FormatsAndParsesArgoCdIds) {
  TrackingId id{"fraud", "apps", "Deployment", "ml", "ranker"};
  EXPECT_EQ(id.ToString(), "fraud:apps/Deployment:ml/ranker");
  auto parsed = TrackingId::Parse("fraud:/Namespace:/team-a");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->group, "");
  EXPECT_EQ(parsed->kind, "Namespace");
  EXPECT_EQ(parsed->namespace_, "");
  EXPECT_EQ(parsed->name, "team-a");
  for (const char* bad :
       {"", "fraud", "fraud:apps/Deployment", "fraud:Deployment:ml/x", "fraud:apps/Deployment:ml",
        "fraud:a/b/c:ml/x", "fraud:apps/D:ml/x:y", ":apps/Deployment:ml/x"}) {
    EXPECT_FALSE(TrackingId::Parse(bad)) << bad;
  }
}

TEST(SyncTracking, OwnershipNeedsTheAppsIdNamingTheObjectAndNoOwner) {
  Object cm = ParseOne(R"(
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: ml
  annotations: {mlgitops.io/tracking-id: "fraud:/ConfigMap:ml/settings"}
)");
  EXPECT_TRUE(IsTrackedBy(cm, "fraud"));
  EXPECT_FALSE(IsTrackedBy(cm, "other"));
  // Argo CD's annotation is honoured too.
  Object argo = ParseOne(R"(
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: ml
  annotations: {argocd.argoproj.io/tracking-id: "fraud:/ConfigMap:ml/settings"}
)");
  EXPECT_TRUE(IsTrackedBy(argo, "fraud"));
  // Copied onto another object: not ownership.
  Object copied = ParseOne(R"(
apiVersion: v1
kind: ConfigMap
metadata:
  name: copy
  namespace: ml
  annotations: {mlgitops.io/tracking-id: "fraud:/ConfigMap:ml/settings"}
)");
  EXPECT_FALSE(IsTrackedBy(copied, "fraud"));
  Object owned = ParseOne(R"(
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ranker-1
  namespace: ml
  annotations: {mlgitops.io/tracking-id: "fraud:apps/ReplicaSet:ml/ranker-1"}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: ranker, uid: u1}]
)");
  EXPECT_FALSE(IsTrackedBy(owned, "fraud"));
}

TEST(SyncResourceFilter, AcceptsArgoAndKubectlForms) {
  ObjectRef deploy{"apps", "Deployment", "ml", "ranker"};
  ObjectRef cm{"", "ConfigMap", "ml", "settings"};
  EXPECT_TRUE(MatchesResourceFilter(deploy, {"Deployment/ranker"}));
  EXPECT_TRUE(MatchesResourceFilter(deploy, {"apps/Deployment/ranker"}));
  EXPECT_TRUE(MatchesResourceFilter(deploy, {"apps:Deployment:ml/ranker"}));
  EXPECT_TRUE(MatchesResourceFilter(deploy, {"apps:Deployment:*"}));
  EXPECT_TRUE(MatchesResourceFilter(cm, {":ConfigMap:settings"}));
  EXPECT_FALSE(MatchesResourceFilter(deploy, {"Deployment/other"}));
  EXPECT_FALSE(MatchesResourceFilter(deploy, {"apps:Deployment:prod/ranker"}));
  EXPECT_FALSE(MatchesResourceFilter(cm, {"apps/ConfigMap/settings"}));
  EXPECT_FALSE(MatchesResourceFilter(cm, {"settings"}));
}

// ---------- the engine ----------

Application MakeApp(const std::string& sync_options = "") {
  std::string yaml = R"(
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: demo, namespace: argocd}
spec:
  project: default
  source: {repoURL: "file:///repo", path: app}
  destination: {server: "https://kubernetes.default.svc", namespace: ml}
)";
  if (!sync_options.empty()) yaml += "  syncPolicy:\n    syncOptions: [" + sync_options + "]\n";
  auto app = ParseApplication(ParseOne(yaml));
  EXPECT_TRUE(app.ok()) << app.status().message();
  return std::move(*app);
}

class SyncerTest : public ::testing::Test {
 protected:
  SyncerTest() : clock_(1780000000), syncer_(fake_, assessor_, DefaultConventions(), clock_) {
    options_.poll_interval = std::chrono::milliseconds(5);
    options_.wave_timeout = std::chrono::milliseconds(2000);
    EXPECT_TRUE(
        fake_.Seed(ParseOne("{apiVersion: v1, kind: Namespace, metadata: {name: ml}}")).ok());
  }

  SyncResult Sync(std::vector<std::string> yamls, const Application& app) {
    SyncInput input;
    input.app = &app;
    input.app_instance = "demo";
    for (const std::string& y : yamls) input.desired.push_back(ParseOne(y));
    input.revisions = {"abc123"};
    auto result = syncer_.Run(std::move(input), options_);
    EXPECT_TRUE(result.ok()) << result.status().message();
    return result.ok() ? std::move(*result) : SyncResult();
  }

  /// "verb Kind ns/name" of the writes the fake saw, dry runs marked.
  std::vector<std::string> Writes() const {
    std::vector<std::string> out;
    for (const FakeCall& c : fake_.calls()) {
      if (c.verb == "apply" || c.verb == "create" || c.verb == "delete")
        out.push_back(c.ToString());
    }
    return out;
  }

  bool Exists(const std::string& kind_api, const std::string& kind, const std::string& ns,
              const std::string& name) {
    return fake_.Get(ObjectKey{GroupVersionKind::FromApiVersion(kind_api, kind), ns, name}).ok();
  }

  FixedClock clock_;
  FakeKubeClient fake_;
  HealthAssessor assessor_;
  SyncOptions options_;
  Syncer syncer_;
};

const char* kConfigWave2 = R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: late, namespace: ml, annotations: {argocd.argoproj.io/sync-wave: "2"}}
data: {a: b}
)";
const char* kConfigWave0 = R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: early, namespace: ml}
data: {a: b}
)";
const char* kServiceWave1 = R"(
apiVersion: v1
kind: Service
metadata: {name: api, namespace: ml, annotations: {argocd.argoproj.io/sync-wave: "1"}}
spec: {ports: [{port: 80}]}
)";

TEST_F(SyncerTest, DryRunsEverythingThenAppliesWaveByWave) {
  Application app = MakeApp();
  SyncResult r = Sync({kConfigWave2, kServiceWave1, kConfigWave0}, app);
  EXPECT_EQ(r.phase, "Succeeded") << r.message;
  std::vector<std::string> writes = Writes();
  std::vector<std::string> real;
  size_t last_dry = 0, first_real = writes.size();
  for (size_t i = 0; i < writes.size(); ++i) {
    if (writes[i].find("(dry run)") != std::string::npos) {
      last_dry = i;
    } else {
      first_real = std::min(first_real, i);
      real.push_back(writes[i]);
    }
  }
  EXPECT_LT(last_dry, first_real) << "every dry run comes before the first real write";
  EXPECT_EQ(real, (std::vector<std::string>{"apply ConfigMap ml/early", "apply Service ml/api",
                                            "apply ConfigMap ml/late"}));
  // Every applied object carries the app's tracking id.
  auto live = fake_.Get(ObjectKey{{"", "v1", "ConfigMap"}, "ml", "late"});
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->annotation(kTrackingAnnotation), std::string("demo:/ConfigMap:ml/late"));
  ASSERT_EQ(r.resources.size(), 3u);
  EXPECT_EQ(r.resources[0].action, "created");
  EXPECT_EQ(r.resources[0].status, "Synced");
}

TEST_F(SyncerTest, AFailedDryRunChangesNothing) {
  Application app = MakeApp();
  fake_.FailNext("apply", Status::InvalidArgument("Service ml/api is invalid: spec.ports"));
  SyncResult r = Sync({kConfigWave0, kServiceWave1}, app);
  EXPECT_EQ(r.phase, "Failed");
  EXPECT_NE(r.message.find("dry run"), std::string::npos) << r.message;
  for (const std::string& w : Writes()) {
    EXPECT_NE(w.find("(dry run)"), std::string::npos) << "a real write happened: " << w;
  }
  EXPECT_FALSE(Exists("v1", "ConfigMap", "ml", "early"));
}

TEST_F(SyncerTest, DryRunModeReportsActionsWithoutWriting) {
  Application app = MakeApp();
  options_.dry_run = true;
  SyncResult r = Sync({kConfigWave0}, app);
  EXPECT_EQ(r.phase, "Succeeded");
  ASSERT_EQ(r.resources.size(), 1u);
  EXPECT_EQ(r.resources[0].action, "created");
  EXPECT_FALSE(Exists("v1", "ConfigMap", "ml", "early"));
}

TEST_F(SyncerTest, ADegradedResourceStopsTheSyncBeforeTheNextWave) {
  // The Job's failed status is already there: applying the same spec leaves status alone.
  const char* failed_job = R"(
apiVersion: batch/v1
kind: Job
metadata: {name: train, namespace: ml, annotations: {argocd.argoproj.io/sync-wave: "1"}}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: t, image: t}]}}}
status:
  failed: 2
  conditions: [{type: Failed, status: "True", reason: BackoffLimitExceeded,
                message: Job has reached the specified backoff limit}]
)";
  ASSERT_TRUE(fake_.Seed(ParseOne(failed_job)).ok());
  Application app = MakeApp();
  SyncResult r = Sync({failed_job, kConfigWave2}, app);
  EXPECT_EQ(r.phase, "Failed");
  EXPECT_NE(r.message.find("batch/Job ml/train is Degraded"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("backoff limit"), std::string::npos) << r.message;
  EXPECT_FALSE(Exists("v1", "ConfigMap", "ml", "late")) << "wave 2 must not be applied";
}

TEST_F(SyncerTest, AWaveThatStaysProgressingTimesOutNamingWhatItWaitedFor) {
  options_.wave_timeout = std::chrono::milliseconds(100);
  Application app = MakeApp();
  const char* deploy = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: ranker, namespace: ml}
spec:
  replicas: 1
  selector: {matchLabels: {app: ranker}}
  template: {metadata: {labels: {app: ranker}}, spec: {containers: [{name: r, image: r}]}}
)";
  SyncResult r = Sync({deploy, kConfigWave2}, app);
  EXPECT_EQ(r.phase, "Failed");
  EXPECT_NE(r.message.find("--wave-timeout"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("apps/Deployment ml/ranker"), std::string::npos) << r.message;
  EXPECT_FALSE(Exists("v1", "ConfigMap", "ml", "late"));
}

TEST_F(SyncerTest, StaleStatusOfAnOlderGenerationDoesNotOpenTheGate) {
  options_.wave_timeout = std::chrono::milliseconds(100);
  // Healthy-looking status, but written before the controller saw the object's generation.
  const char* stale = R"(
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: ml}
spec: {size: 3}
status:
  observedGeneration: 0
  conditions: [{type: Ready, status: "True"}]
)";
  fake_.AddResource(ResourceInfo{"example.com",
                                 "v1",
                                 "Widget",
                                 "widgets",
                                 "widget",
                                 true,
                                 {},
                                 {"get", "list", "create", "patch", "delete"},
                                 {}});
  ASSERT_TRUE(fake_.Seed(ParseOne(stale)).ok());
  Application app = MakeApp();
  SyncResult r = Sync({stale}, app);
  EXPECT_EQ(r.phase, "Failed") << r.message;
  EXPECT_NE(r.message.find("observe generation"), std::string::npos) << r.message;
}

TEST_F(SyncerTest, PrunesOnlyObjectsTrackedByThisApp) {
  auto seed = [&](const std::string& name, const std::string& tracking, bool owned) {
    std::string yaml =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: ml\n";
    if (!tracking.empty()) {
      yaml += "  annotations: {mlgitops.io/tracking-id: \"" + tracking + "\"}\n";
    }
    if (owned) yaml += "  ownerReferences: [{apiVersion: v1, kind: Pod, name: p, uid: u}]\n";
    ASSERT_TRUE(fake_.Seed(ParseOne(yaml)).ok());
  };
  seed("gone-from-git", "demo:/ConfigMap:ml/gone-from-git", false);
  seed("other-apps", "other:/ConfigMap:ml/other-apps", false);
  seed("untracked", "", false);
  seed("child", "demo:/ConfigMap:ml/child", true);
  Application app = MakeApp();

  SyncResult without = Sync({kConfigWave0}, app);
  EXPECT_EQ(without.phase, "Succeeded");
  EXPECT_EQ(without.prune_skipped, 1);
  EXPECT_TRUE(Exists("v1", "ConfigMap", "ml", "gone-from-git")) << "no --prune, no deletion";

  options_.prune = true;
  SyncResult with = Sync({kConfigWave0}, app);
  EXPECT_EQ(with.phase, "Succeeded") << with.message;
  EXPECT_FALSE(Exists("v1", "ConfigMap", "ml", "gone-from-git"));
  EXPECT_TRUE(Exists("v1", "ConfigMap", "ml", "other-apps"));
  EXPECT_TRUE(Exists("v1", "ConfigMap", "ml", "untracked"));
  EXPECT_TRUE(Exists("v1", "ConfigMap", "ml", "child"));
  bool pruned_reported = false;
  for (const ResourceResult& res : with.resources) {
    if (res.ref.name == "gone-from-git") pruned_reported = res.status == "Pruned";
  }
  EXPECT_TRUE(pruned_reported);
}

TEST_F(SyncerTest, PruneFalseKeepsTheObject) {
  ASSERT_TRUE(fake_
                  .Seed(ParseOne(R"(
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: datasets
  namespace: ml
  annotations:
    mlgitops.io/tracking-id: "demo:/PersistentVolumeClaim:ml/datasets"
    argocd.argoproj.io/sync-options: Prune=false
)"))
                  .ok());
  options_.prune = true;
  Application app = MakeApp();
  SyncResult r = Sync({kConfigWave0}, app);
  EXPECT_EQ(r.phase, "Succeeded");
  EXPECT_EQ(r.prune_skipped, 1);
  EXPECT_TRUE(Exists("v1", "PersistentVolumeClaim", "ml", "datasets"));
}

// Prune=confirm (and Delete=confirm) must never prune without a confirmation: until mlgitops can
// take one, such objects are kept and reported.
TEST_F(SyncerTest, PruneConfirmNeverPrunesUnconfirmed) {
  for (const char* option : {"Prune=confirm", "Delete=confirm"}) {
    std::string name = std::string(option) == "Prune=confirm" ? "critical-ns" : "critical-pvc";
    ASSERT_TRUE(
        fake_
            .Seed(ParseOne("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name +
                           "\n  namespace: ml\n  annotations:\n"
                           "    mlgitops.io/tracking-id: \"demo:/ConfigMap:ml/" +
                           name + "\"\n    argocd.argoproj.io/sync-options: " + option + "\n"))
            .ok());
  }
  options_.prune = true;
  Application app = MakeApp();
  SyncResult r = Sync({kConfigWave0}, app);
  EXPECT_EQ(r.prune_skipped, 2);
  EXPECT_TRUE(Exists("v1", "ConfigMap", "ml", "critical-ns"));
  EXPECT_TRUE(Exists("v1", "ConfigMap", "ml", "critical-pvc"));
  for (const ResourceResult& res : r.resources) {
    if (res.ref.name.rfind("critical-", 0) != 0) continue;
    EXPECT_EQ(res.status, "PruneSkipped");
    EXPECT_NE(res.message.find("needs a confirmation"), std::string::npos) << res.message;
  }
}

// Options Argo CD users write that this engine does not carry out are named, never dropped.
TEST(UnsupportedSyncOptions, NamesUnknownAndUnsupportedOptionsOnce) {
  Application app;
  app.sync_policy.sync_options = {"CreateNamespace=true", "ApplyOutOfSyncOnly=true",
                                  "ServerSideApply=true", "PruneLast=true", "Retry=always"};
  std::vector<Object> desired;
  desired.push_back(ParseOne(
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: ml\n"
      "  annotations: {argocd.argoproj.io/sync-options: 'Validate=false, Prune=false'}\n"));
  EXPECT_EQ(UnsupportedSyncOptions(app, desired),
            (std::vector<std::string>{
                "ApplyOutOfSyncOnly=true (the application's syncOptions): not supported: every "
                "object is applied",
                "Retry=always (the application's syncOptions): unknown sync option",
                "Validate=false (ConfigMap ml/c): not supported: the API server validates every "
                "object"}));
  app.sync_policy.sync_options = {"ServerSideApply=true", "RespectIgnoreDifferences=false"};
  EXPECT_TRUE(UnsupportedSyncOptions(app, {}).empty());
}

TEST_F(SyncerTest, DeleteFalseKeepsTheObjectFromPrunesToo) {
  ASSERT_TRUE(fake_
                  .Seed(ParseOne(R"(
apiVersion: v1
kind: ConfigMap
metadata:
  name: keepsake
  namespace: ml
  annotations:
    mlgitops.io/tracking-id: "demo:/ConfigMap:ml/keepsake"
    argocd.argoproj.io/sync-options: Delete=false
)"))
                  .ok());
  options_.prune = true;
  Application app = MakeApp();
  SyncResult r = Sync({kConfigWave0}, app);
  EXPECT_EQ(r.prune_skipped, 1);
  EXPECT_TRUE(Exists("v1", "ConfigMap", "ml", "keepsake"));
}

TEST_F(SyncerTest, SyncFailHooksRunOnlyWhenTheSyncFails) {
  const char* failed_job = R"(
apiVersion: batch/v1
kind: Job
metadata: {name: train, namespace: ml}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: t, image: t}]}}}
status:
  conditions: [{type: Failed, status: "True", reason: BackoffLimitExceeded, message: gave up}]
)";
  const char* on_fail = R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: notify, namespace: ml, annotations: {argocd.argoproj.io/hook: SyncFail}}
)";
  Application app = MakeApp();
  SyncResult ok = Sync({kConfigWave0, on_fail}, app);
  EXPECT_EQ(ok.phase, "Succeeded");
  EXPECT_FALSE(Exists("v1", "ConfigMap", "ml", "notify")) << "no failure, no SyncFail hook";

  ASSERT_TRUE(fake_.Seed(ParseOne(failed_job)).ok());
  SyncResult failed = Sync({failed_job, on_fail}, app);
  EXPECT_EQ(failed.phase, "Failed");
  EXPECT_TRUE(Exists("v1", "ConfigMap", "ml", "notify")) << "the SyncFail hook ran";
  EXPECT_NE(failed.message.find("Degraded"), std::string::npos) << "the failure stays the message";
}

TEST_F(SyncerTest, AMissingNamespaceIsRefusedUnlessCreateNamespace) {
  const char* elsewhere = R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: serving}
)";
  Application plain = MakeApp();
  plain.destination.namespace_ = "serving";
  SyncResult refused = Sync({elsewhere}, plain);
  EXPECT_EQ(refused.phase, "Failed");
  EXPECT_NE(refused.message.find("namespace \"serving\" does not exist"), std::string::npos)
      << refused.message;
  EXPECT_TRUE(Writes().empty() || Writes().front().find("Namespace") == std::string::npos);

  Application create = MakeApp("CreateNamespace=true");
  create.destination.namespace_ = "serving";
  create.sync_policy.managed_namespace_metadata = ManagedNamespaceMetadata{{{"team", "ml"}}, {}};
  SyncResult created = Sync({elsewhere}, create);
  EXPECT_EQ(created.phase, "Succeeded") << created.message;
  auto ns = fake_.Get(ObjectKey{{"", "v1", "Namespace"}, "", "serving"});
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->label("team"), std::string("ml"));
  EXPECT_FALSE(ns->annotation(kTrackingAnnotation)) << "the created namespace is not tracked";
}

TEST_F(SyncerTest, HooksRunInTheirPhaseAndAreDeletedByPolicy) {
  const char* pre = R"(
apiVersion: v1
kind: ConfigMap
metadata:
  name: pre
  namespace: ml
  annotations: {argocd.argoproj.io/hook: PreSync, argocd.argoproj.io/hook-delete-policy: HookSucceeded}
)";
  Application app = MakeApp();
  SyncResult r = Sync({kConfigWave0, pre}, app);
  EXPECT_EQ(r.phase, "Succeeded") << r.message;
  std::vector<std::string> real;
  for (const std::string& w : Writes()) {
    if (w.find("(dry run)") == std::string::npos) real.push_back(w);
  }
  ASSERT_GE(real.size(), 3u);
  EXPECT_EQ(real[0], "create ConfigMap ml/pre");
  EXPECT_EQ(real[1], "apply ConfigMap ml/early");
  EXPECT_EQ(real.back(), "delete ConfigMap ml/pre");
  EXPECT_FALSE(Exists("v1", "ConfigMap", "ml", "pre"));
}

TEST_F(SyncerTest, SelectiveSyncTouchesOnlyTheNamedResourceAndRunsNoHooks) {
  const char* pre = R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: pre, namespace: ml, annotations: {argocd.argoproj.io/hook: PreSync}}
)";
  options_.resources = {"ConfigMap/late"};
  Application app = MakeApp();
  SyncResult r = Sync({kConfigWave0, kConfigWave2, pre}, app);
  EXPECT_EQ(r.phase, "Succeeded") << r.message;
  EXPECT_TRUE(Exists("v1", "ConfigMap", "ml", "late"));
  EXPECT_FALSE(Exists("v1", "ConfigMap", "ml", "early"));
  EXPECT_FALSE(Exists("v1", "ConfigMap", "ml", "pre"));
}

TEST_F(SyncerTest, CancelledBeforeTheFirstWaveWritesNothing) {
  std::atomic<bool> cancel{true};
  options_.cancel = &cancel;
  Application app = MakeApp();
  SyncResult r = Sync({kConfigWave0}, app);
  EXPECT_EQ(r.phase, "Terminated");
  EXPECT_FALSE(Exists("v1", "ConfigMap", "ml", "early"));
}

TEST_F(SyncerTest, UnknownKindsAreInvalidUnlessTheirCrdIsInTheSync) {
  const char* widget = R"(
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g, namespace: ml}
)";
  Application app = MakeApp();
  SyncResult invalid = Sync({widget}, app);
  EXPECT_EQ(invalid.phase, "Failed");
  EXPECT_NE(invalid.message.find("not valid"), std::string::npos) << invalid.message;

  const char* crd = R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  versions: [{name: v1, served: true, storage: true}]
)";
  SyncResult with_crd = Sync({crd, widget}, app);
  EXPECT_EQ(with_crd.phase, "Succeeded") << with_crd.message;
  EXPECT_TRUE(Exists("example.com/v1", "Gadget", "ml", "g"));
}

}  // namespace
}  // namespace mlgitops
