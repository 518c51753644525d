// The application controller: its decisions as tables (auto-sync, self-heal backoff, retry
// backoff, dependencies), then end to end on kubesim with simulated controllers: automated and
// manual apps, self-heal of drift, a failed revision not retried, depends-on ordering and
// cycles; plus the install manifests applied with the real kubectl.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/app_target.h"
#include "cli/cli.h"
#include "cli/memory_terminal.h"
#include "cli/terminal.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "object/timeutil.h"
#include "source/render.h"
#include "sync/controller.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using mlgitops::testing::ParseOne;
using mlgitops::testing::RunCommand;
using mlgitops::testing::TempDir;

// ---- decisions ----

Application AppFromYaml(const std::string& sync_policy, const std::string& annotations = "",
                        const std::string& name = "fraud") {
  std::string yaml =
      "apiVersion: mlgitops.io/v1alpha1\nkind: Application\nmetadata:\n  name: " + name +
      "\n  namespace: ml\n" + annotations +
      "spec:\n  source: {repoURL: https://git.example.com/ml.git, path: fraud, "
      "targetRevision: main}\n  destination: {server: "
      "https://kubernetes.default.svc, namespace: ml}\n" +
      (sync_policy.empty() ? "" : "  syncPolicy: " + sync_policy + "\n");
  auto app = ParseApplication(ParseOne(yaml));
  EXPECT_TRUE(app.ok()) << app.status().message();
  return app.ok() ? std::move(*app) : Application();
}

ResourceComparison Resource(const std::string& name, std::string_view status,
                            bool requires_pruning = false) {
  ResourceComparison r;
  r.ref = ObjectRef{"apps", "Deployment", "ml", name};
  r.status = std::string(status);
  r.requires_pruning = requires_pruning;
  return r;
}

AppComparison Comparison(std::vector<ResourceComparison> resources) {
  AppComparison c;
  c.resources = std::move(resources);
  bool out = false;
  for (const auto& r : c.resources) out = out || r.status != kSynced;
  c.sync_status = std::string(out ? kOutOfSync : kSynced);
  return c;
}

constexpr int64_t kNow = 1'700'000'000;

struct DecisionCase {
  const char* label;
  std::string policy;
  AppComparison comparison;
  // the last operation (has_operation when phase is set)
  std::vector<std::string> last_revisions;
  std::string last_phase;
  std::string last_source;  // "=" means the app's own fingerprint
  int64_t finished_ago = 0;
  int64_t self_heal_attempts = 0;
  bool dependency_wait = false;
  // expected
  AutoSyncAction action;
  std::string condition_type;  // "" = none
  std::string text;            // in the reason, or in the condition's message when one is set
  int64_t attempts = 0;        // expected self_heal_attempts when action is self-heal/backoff
};

TEST(SyncControllerDecisionTest, DecideAutoSyncTable) {
  auto out_of_sync = [] {
    return Comparison({Resource("web", kOutOfSync), Resource("db", kSynced)});
  };
  auto only_prune = [] {
    return Comparison({Resource("web", kSynced), Resource("old", kOutOfSync, true)});
  };
  auto all_prune = [] {
    return Comparison({Resource("a", kOutOfSync, true), Resource("b", kOutOfSync, true)});
  };
  auto synced = [] { return Comparison({Resource("web", kSynced)}); };
  auto unknown = [] {
    AppComparison c = Comparison({Resource("web", kSyncUnknown)});
    c.sync_status = std::string(kSyncUnknown);
    return c;
  };
  const std::vector<std::string> rev1{"rev-1"};
  std::vector<DecisionCase> cases;
  cases.push_back({"manual app",
                   "",
                   out_of_sync(),
                   {},
                   "",
                   "",
                   0,
                   0,
                   false,
                   AutoSyncAction::kNone,
                   "",
                   "auto-sync is disabled"});
  cases.push_back({"automated, explicitly disabled",
                   "{automated: {enabled: false}}",
                   out_of_sync(),
                   {},
                   "",
                   "",
                   0,
                   0,
                   false,
                   AutoSyncAction::kNone,
                   "",
                   "auto-sync is disabled"});
  cases.push_back({"synced",
                   "{automated: {}}",
                   synced(),
                   {},
                   "",
                   "",
                   0,
                   0,
                   false,
                   AutoSyncAction::kNone,
                   "",
                   "already synced"});
  cases.push_back({"comparison failed",
                   "{automated: {}}",
                   unknown(),
                   {},
                   "",
                   "",
                   0,
                   0,
                   false,
                   AutoSyncAction::kNone,
                   "",
                   "comparison failed"});
  cases.push_back({"only pruning, prune off",
                   "{automated: {}}",
                   only_prune(),
                   {},
                   "",
                   "",
                   0,
                   0,
                   false,
                   AutoSyncAction::kNone,
                   "",
                   "automated.prune is off"});
  cases.push_back({"only pruning, prune on",
                   "{automated: {prune: true}}",
                   only_prune(),
                   {},
                   "",
                   "",
                   0,
                   0,
                   false,
                   AutoSyncAction::kSync,
                   "",
                   "OutOfSync at rev-2"});
  cases.push_back({"new revision", "{automated: {}}", out_of_sync(), rev1, "Succeeded", "=", 10, 0,
                   false, AutoSyncAction::kSync, "", "1 resource(s) OutOfSync at rev-2"});
  cases.push_back({"dependency not ready",
                   "{automated: {}}",
                   out_of_sync(),
                   {},
                   "",
                   "",
                   0,
                   0,
                   true,
                   AutoSyncAction::kNone,
                   "DependencyNotReady",
                   "waiting for base"});
  cases.push_back({"wipe-out guard",
                   "{automated: {prune: true}}",
                   all_prune(),
                   {},
                   "",
                   "",
                   0,
                   0,
                   false,
                   AutoSyncAction::kNone,
                   "SyncError",
                   "auto-sync will wipe out all resources"});
  cases.push_back({"wipe-out allowed",
                   "{automated: {prune: true, allowEmpty: true}}",
                   all_prune(),
                   {},
                   "",
                   "",
                   0,
                   0,
                   false,
                   AutoSyncAction::kSync,
                   "",
                   "2 resource(s) OutOfSync"});
  cases.push_back({"wipe-out without prune: nothing to apply",
                   "{automated: {}}",
                   all_prune(),
                   {},
                   "",
                   "",
                   0,
                   0,
                   false,
                   AutoSyncAction::kNone,
                   "",
                   "prune is off"});
  // Same revision as the last attempt from here on (the state's revisions are rev-2).
  const std::vector<std::string> rev2{"rev-2"};
  cases.push_back({"same revision failed", "{automated: {selfHeal: true}}", out_of_sync(), rev2,
                   "Failed", "=", 10, 0, false, AutoSyncAction::kNone, "SyncError",
                   "Failed last sync attempt to rev-2: boom"});
  cases.push_back({"same revision failed, spec changed", "{automated: {}}", out_of_sync(), rev2,
                   "Failed", "other-spec", 10, 0, false, AutoSyncAction::kSync, "",
                   "OutOfSync at rev-2"});
  cases.push_back({"same revision failed, source unrecorded", "{automated: {}}", out_of_sync(),
                   rev2, "Failed", "", 10, 0, false, AutoSyncAction::kNone, "SyncError",
                   "Failed last sync attempt to rev-2"});
  cases.push_back({"same revision succeeded, no self-heal", "{automated: {}}", out_of_sync(), rev2,
                   "Succeeded", "=", 10, 0, false, AutoSyncAction::kNone, "",
                   "most recent sync already to rev-2"});
  cases.push_back({"self-heal, first attempt immediate", "{automated: {selfHeal: true}}",
                   out_of_sync(), rev2, "Succeeded", "=", 0, 0, false, AutoSyncAction::kSelfHeal,
                   "", "drifted", 1});
  cases.push_back({"self-heal, third attempt within 6s", "{automated: {selfHeal: true}}",
                   out_of_sync(), rev2, "Succeeded", "=", 5, 2, false, AutoSyncAction::kBackoff, "",
                   "next attempt in 1s", 3});
  cases.push_back({"self-heal, third attempt after 6s", "{automated: {selfHeal: true}}",
                   out_of_sync(), rev2, "Succeeded", "=", 6, 2, false, AutoSyncAction::kSelfHeal,
                   "", "drifted", 3});
  cases.push_back({"self-heal, count reset after the cooldown", "{automated: {selfHeal: true}}",
                   out_of_sync(), rev2, "Succeeded", "=", 331, 6, false, AutoSyncAction::kSelfHeal,
                   "", "drifted", 1});
  cases.push_back({"self-heal waits for dependencies too", "{automated: {selfHeal: true}}",
                   out_of_sync(), rev2, "Succeeded", "=", 100, 0, true, AutoSyncAction::kNone,
                   "DependencyNotReady", "waiting for base"});

  for (const DecisionCase& c : cases) {
    SCOPED_TRACE(c.label);
    Application app = AppFromYaml(c.policy);
    AutoSyncState state;
    state.revisions = {"rev-2"};
    state.source = SourceFingerprint(app);
    state.recorded.has_operation = !c.last_phase.empty();
    state.recorded.revisions = c.last_revisions;
    state.recorded.phase = c.last_phase;
    state.recorded.message = "boom";
    state.recorded.source = c.last_source == "=" ? state.source : c.last_source;
    state.recorded.finished_at = kNow - c.finished_ago;
    state.recorded.self_heal_attempts = c.self_heal_attempts;
    if (c.dependency_wait) {
      state.dependency_wait =
          AppCondition{"DependencyNotReady", "waiting for base (OutOfSync, Missing)", 0};
    }
    AutoSyncDecision d = DecideAutoSync(app, state, c.comparison, kNow);
    EXPECT_EQ(AutoSyncActionName(d.action), AutoSyncActionName(c.action)) << d.reason;
    if (c.condition_type.empty()) {
      EXPECT_FALSE(d.condition.has_value()) << d.condition->message;
      EXPECT_NE(d.reason.find(c.text), std::string::npos) << d.reason;
    } else {
      ASSERT_TRUE(d.condition.has_value()) << d.reason;
      EXPECT_EQ(d.condition->type, c.condition_type);
      EXPECT_NE(d.condition->message.find(c.text), std::string::npos) << d.condition->message;
    }
    if (c.action == AutoSyncAction::kSelfHeal || c.action == AutoSyncAction::kBackoff) {
      EXPECT_EQ(d.self_heal_attempts, c.attempts);
    }
    if (c.action == AutoSyncAction::kBackoff) {
      EXPECT_EQ(d.retry_at, kNow - c.finished_ago + 6);
    }
    if (c.action == AutoSyncAction::kSync) {
      EXPECT_EQ(d.prune, app.sync_policy.automated->prune);
    }
  }
}

TEST(SyncControllerDecisionTest, SelfHealBackoffIsTwoTimesThreeToTheNCapped) {
  SelfHealBackoff backoff;
  const std::vector<std::pair<int64_t, int64_t>> table = {
      {0, 0}, {1, 2}, {2, 6}, {3, 18}, {4, 54}, {5, 162}, {6, 300}, {7, 300}, {40, 300}};
  for (const auto& [attempts, seconds] : table) {
    EXPECT_EQ(SelfHealDelaySeconds(attempts, backoff), seconds) << attempts << " attempts";
  }
  SelfHealBackoff fast{1, 2, 5, 60};
  EXPECT_EQ(SelfHealDelaySeconds(3, fast), 4);
  EXPECT_EQ(SelfHealDelaySeconds(4, fast), 5);
}

TEST(SyncControllerDecisionTest, RetryBackoffIsDurationTimesFactorToTheNCapped) {
  RetryBackoff defaults;  // 5s, x2, 3m: Argo CD's 5s 10s 20s 40s 80s
  const std::vector<std::pair<int64_t, int64_t>> table = {{0, 5},  {1, 10},  {2, 20},  {3, 40},
                                                          {4, 80}, {5, 160}, {6, 180}, {30, 180}};
  for (const auto& [retry, seconds] : table) {
    EXPECT_EQ(RetryDelay(defaults, retry).count(), seconds * 1000) << "retry " << retry;
  }
  RetryBackoff custom{1, 3, 10};
  EXPECT_EQ(RetryDelay(custom, 0).count(), 1000);
  EXPECT_EQ(RetryDelay(custom, 2).count(), 9000);
  EXPECT_EQ(RetryDelay(custom, 3).count(), 10000);
}

TEST(SyncControllerDecisionTest, RetryLimitDefaultsToFiveForAutomatedSync) {
  EXPECT_EQ(AutoSyncRetryLimit(AppFromYaml("{automated: {}}")), 5);
  EXPECT_EQ(AutoSyncRetryLimit(AppFromYaml("{automated: {}, retry: {limit: 2}}")), 2);
  EXPECT_EQ(AutoSyncRetryLimit(AppFromYaml("{automated: {}, retry: {limit: -1}}")), -1);
}

TEST(SyncControllerDecisionTest, SourceFingerprintFollowsTheSpec) {
  Application a = AppFromYaml("");
  Application b = AppFromYaml("{automated: {}}");
  EXPECT_EQ(SourceFingerprint(a), SourceFingerprint(b)) << "sync policy is not the source";
  b.sources[0].path = "fraud-v2";
  EXPECT_NE(SourceFingerprint(a), SourceFingerprint(b));
}

std::string DependsOnAnnotation(const std::string& value) {
  return "  annotations: {mlgitops.io/depends-on: \"" + value + "\"}\n";
}

TEST(SyncControllerDecisionTest, DependsOnIsTrimmedAndDeduplicated) {
  Application app = AppFromYaml("", DependsOnAnnotation(" base , ,features,base"));
  EXPECT_EQ(DependsOn(app), (std::vector<std::string>{"base", "features"}));
  EXPECT_TRUE(DependsOn(AppFromYaml("")).empty());
}

TEST(SyncControllerDecisionTest, CyclesAreFoundAndOrderPutsDependenciesFirst) {
  std::vector<Application> apps;
  apps.push_back(AppFromYaml("", DependsOnAnnotation("b"), "a"));
  apps.push_back(AppFromYaml("", DependsOnAnnotation("a"), "b"));
  apps.push_back(AppFromYaml("", DependsOnAnnotation("a,missing"), "c"));
  apps.push_back(AppFromYaml("", DependsOnAnnotation("d"), "d"));
  apps.push_back(AppFromYaml("", DependsOnAnnotation("f"), "e"));
  apps.push_back(AppFromYaml("", "", "f"));
  auto cycles = FindDependencyCycles(apps);
  EXPECT_EQ(cycles.size(), 3u);
  EXPECT_EQ(cycles["ml/a"], "a -> b -> a");
  EXPECT_EQ(cycles["ml/b"], "a -> b -> a");
  EXPECT_EQ(cycles["ml/d"], "d -> d");
  EXPECT_EQ(cycles.count("ml/c"), 0u) << "depending on a cycle is not being in one";

  std::vector<size_t> order = DependencyOrder(apps);
  ASSERT_EQ(order.size(), apps.size());
  auto position = [&](size_t index) {
    return std::find(order.begin(), order.end(), index) - order.begin();
  };
  EXPECT_LT(position(5), position(4)) << "f before e";
  EXPECT_LT(position(0), position(2)) << "a before c";
}

TEST(SyncControllerDecisionTest, DependencyBlockerNamesWhatIsNotSyncedAndHealthy) {
  Application app = AppFromYaml("", DependsOnAnnotation("base,features,gone"), "serving");
  std::map<std::string, RecordedAppStatus> recorded;
  recorded["ml/base"].sync_status = "Synced";
  recorded["ml/base"].health = "Healthy";
  recorded["ml/features"].sync_status = "OutOfSync";
  recorded["ml/features"].health = "Progressing";
  EXPECT_EQ(DependencyBlocker(app, recorded),
            "waiting for features (OutOfSync, Progressing), gone (not found)");
  recorded["ml/features"].sync_status = "Synced";
  recorded["ml/features"].health = "Healthy";
  recorded["ml/gone"] = recorded["ml/base"];
  EXPECT_EQ(DependencyBlocker(app, recorded), "");
  // Another namespace's app of the same name is not the dependency.
  recorded.erase("ml/base");
  recorded["other/base"].sync_status = "Synced";
  recorded["other/base"].health = "Healthy";
  EXPECT_EQ(DependencyBlocker(app, recorded), "waiting for base (not found)");
}

TEST(SyncControllerDecisionTest, RecordedStatusIsReadFromArgoFieldNames) {
  Object status = ParseOne(R"(
sync: {status: OutOfSync}
health: {status: Degraded}
operationState:
  phase: Failed
  message: wave timed out
  finishedAt: "2024-05-01T10:00:00Z"
  retryCount: 1
  operation: {sync: {autoHealAttemptsCount: 3}}
  syncResult: {revision: abc, revisions: [abc], source: "src"}
conditions:
- {type: SyncError, message: boom, lastTransitionTime: "2024-05-01T10:00:01Z"}
)");
  RecordedAppStatus r = ParseRecordedStatus(status.json());
  EXPECT_EQ(r.sync_status, "OutOfSync");
  EXPECT_EQ(r.health, "Degraded");
  EXPECT_TRUE(r.has_operation);
  EXPECT_EQ(r.phase, "Failed");
  EXPECT_EQ(r.message, "wave timed out");
  EXPECT_EQ(r.revisions, std::vector<std::string>{"abc"});
  EXPECT_EQ(r.source, "src");
  EXPECT_EQ(r.finished_at, *ParseRfc3339("2024-05-01T10:00:00Z"));
  EXPECT_EQ(r.self_heal_attempts, 3);
  ASSERT_EQ(r.conditions.size(), 1u);
  EXPECT_EQ(r.conditions[0].type, "SyncError");
  EXPECT_FALSE(ParseRecordedStatus(ParseOne("sync: {status: Synced}").json()).has_operation);
}

// ---- end to end on kubesim ----

const GroupVersionKind kDeployment{"apps", "v1", "Deployment"};
const GroupVersionKind kConfigMap{"", "v1", "ConfigMap"};
const GroupVersionKind kApplication{"mlgitops.io", "v1alpha1", "Application"};

std::string AppManifests(const std::string& name, const std::string& pod_annotations = "") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name +
         "-config}\ndata: {model: v1}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: "
         "{name: " +
         name + "}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: " + name +
         "}}\n  template:\n    metadata:\n      labels: {app: " + name + "}\n" + pod_annotations +
         "    spec:\n      containers: [{name: main, image: \"nginx:1.27\"}]\n";
}

class SyncControllerKubesimTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string error =
        kubesim::testing::StartSuiteKubesim(dir_->path(), "50ms", &process_, &client_);
    if (!error.empty()) {
      error_ = new std::string(error);
      return;
    }
    std::string out;
    if (Kubectl("apply --server-side -f " + mlgitops::testing::SourceDir() +
                    "/manifests/crds/application.yaml",
                &out) != 0) {
      error_ = new std::string("applying the Application CRD failed: " + out);
    }
  }

  static void TearDownTestSuite() {
    kubesim::testing::StopSuiteKubesim(&process_, &client_);
    delete error_;
    error_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  static int Kubectl(const std::string& args, std::string* out) {
    return RunCommand("kubectl --kubeconfig " + process_->kubeconfig_path() + " --cache-dir " +
                          dir_->path() + "/cache " + args,
                      out, true);
  }

  void SetUp() override {
    ASSERT_EQ(error_, nullptr) << *error_;
    ns_ = std::string("ctl-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : ns_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ns_ = ns_.substr(0, 60);
    Object ns = ParseOne("apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns_ + "}\n");
    ASSERT_TRUE(client_->Apply(ns, ApplyOptions()).ok());
  }

  /// Writes the app's manifests (as revision `revision`) and creates or updates its CR.
  void PutApp(const std::string& name, const std::string& sync_policy, const std::string& manifests,
              const std::string& revision, const std::string& annotations = "") {
    std::string app_dir = dir_->path() + "/" + ns_ + "/" + name;
    RunCommand("rm -rf " + app_dir, nullptr);
    dir_->Write(ns_ + "/" + name + "/manifests.yaml", manifests);
    sources_[name] = {app_dir, revision};
    std::string yaml =
        "apiVersion: mlgitops.io/v1alpha1\nkind: Application\nmetadata:\n  name: " + name +
        "\n  namespace: " + ns_ + "\n" + annotations +
        "spec:\n  source: {repoURL: https://git.example.com/ml.git, path: " + name +
        ", targetRevision: main}\n  destination: {server: "
        "https://kubernetes.default.svc, namespace: " +
        ns_ + "}\n" + (sync_policy.empty() ? "" : "  syncPolicy: " + sync_policy + "\n");
    auto applied = client_->Apply(ParseOne(yaml), ApplyOptions());
    ASSERT_TRUE(applied.ok()) << applied.status().message();
  }

  /// A controller acting through `client` (the suite's administrator client when null).
  std::unique_ptr<Controller> MakeController(
      std::chrono::milliseconds wave_timeout = std::chrono::seconds(5),
      KubeClient* client = nullptr) {
    ControllerOptions options;
    options.namespace_ = ns_;
    options.control_namespace = ns_;  // the apps live where their projects do
    options.sync.wave_timeout = wave_timeout;
    options.sync.poll_interval = std::chrono::milliseconds(50);
    options.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    options.log = [this](const std::string& line) { log_ += line + "\n"; };
    RenderFn render = [this](const Application& app,
                             const std::string&) -> Result<DesiredManifests> {
      auto it = sources_.find(app.name);
      if (it == sources_.end()) return Status::NotFound("no manifests for " + app.name);
      auto objects = RenderLocal(app, it->second.first, LoadLimits());
      if (!objects.ok()) return objects.status();
      return DesiredManifests{std::move(*objects), {it->second.second}};
    };
    return std::make_unique<Controller>(client ? *client : *client_, render, assessor_,
                                        DefaultConventions(), clock_, options);
  }

  std::vector<AppReconcileReport> Pass(Controller& controller) {
    auto reports = controller.ReconcileOnce();
    EXPECT_TRUE(reports.ok()) << reports.status().message();
    return reports.ok() ? std::move(*reports) : std::vector<AppReconcileReport>();
  }

  static const AppReconcileReport* ReportOf(const std::vector<AppReconcileReport>& reports,
                                            const std::string& app) {
    for (const auto& r : reports) {
      if (r.app.substr(r.app.find('/') + 1) == app) return &r;
    }
    return nullptr;
  }

  Object AppCr(const std::string& name) {
    auto got = client_->Get(ObjectKey{kApplication, ns_, name});
    EXPECT_TRUE(got.ok()) << got.status().message();
    return got.ok() ? std::move(*got) : Object();
  }

  std::string Condition(const std::string& app, const std::string& type) {
    Object cr = AppCr(app);
    const JsonValue* conditions = Find(cr.json(), "status.conditions");
    if (!conditions || !conditions->IsArray()) return "";
    for (const JsonValue& c : conditions->GetArray()) {
      if (GetString(c, "type") == type) return GetString(c, "message");
    }
    return "";
  }

  size_t HistorySize(const std::string& app) {
    Object cr = AppCr(app);  // kept alive while `history` points into it
    const JsonValue* history = Find(cr.json(), "status.history");
    return history && history->IsArray() ? history->Size() : 0;
  }

  bool Exists(const GroupVersionKind& gvk, const std::string& name) {
    return client_->Get(ObjectKey{gvk, ns_, name}).ok();
  }

  int64_t Replicas(const std::string& deployment) {
    auto got = client_->Get(ObjectKey{kDeployment, ns_, deployment});
    return got.ok() ? GetInt(got->json(), "spec.replicas").value_or(-1) : -1;
  }

  void ScaleTo(const std::string& deployment, int replicas) {
    auto patched = client_->Patch(ObjectKey{kDeployment, ns_, deployment}, PatchType::kMerge,
                                  "{\"spec\":{\"replicas\":" + std::to_string(replicas) + "}}",
                                  WriteOptions{false, "kubectl-edit"});
    ASSERT_TRUE(patched.ok()) << patched.status().message();
  }

  static TempDir* dir_;
  static kubesim::KubesimProcess* process_;
  static HttpKubeClient* client_;
  static std::string* error_;

  std::string ns_;
  std::map<std::string, std::pair<std::string, std::string>> sources_;  // dir, revision
  HealthAssessor assessor_;
  FixedClock clock_{kNow};
  std::vector<std::chrono::milliseconds> sleeps_;
  std::string log_;
};

TempDir* SyncControllerKubesimTest::dir_ = nullptr;
kubesim::KubesimProcess* SyncControllerKubesimTest::process_ = nullptr;
HttpKubeClient* SyncControllerKubesimTest::client_ = nullptr;
std::string* SyncControllerKubesimTest::error_ = nullptr;

TEST_F(SyncControllerKubesimTest, AutomatedAppIsSyncedAndManualAppOnlyGetsStatus) {
  PutApp("auto", "{automated: {}}", AppManifests("auto-web"), "rev-1");
  PutApp("manual", "", AppManifests("manual-web"), "rev-1");
  auto controller = MakeController();
  auto reports = Pass(*controller);
  const AppReconcileReport* automated = ReportOf(reports, "auto");
  const AppReconcileReport* manual = ReportOf(reports, "manual");
  ASSERT_TRUE(automated && manual) << log_;
  EXPECT_EQ(automated->action, AutoSyncAction::kSync) << log_;
  EXPECT_EQ(automated->sync_phase, "Succeeded") << log_;
  EXPECT_EQ(automated->sync_status, "Synced");
  EXPECT_EQ(automated->health, "Healthy");
  EXPECT_TRUE(Exists(kDeployment, "auto-web"));
  EXPECT_TRUE(Exists(kConfigMap, "auto-web-config"));
  Object cr = AppCr("auto");
  EXPECT_EQ(GetString(cr.json(), "status.sync.status"), "Synced");
  EXPECT_EQ(GetString(cr.json(), "status.sync.revision"), "rev-1");
  EXPECT_EQ(GetString(cr.json(), "status.health.status"), "Healthy");
  EXPECT_EQ(GetString(cr.json(), "status.operationState.phase"), "Succeeded");
  EXPECT_TRUE(
      GetBool(cr.json(), "status.operationState.operation.initiatedBy.automated").value_or(false));
  EXPECT_EQ(HistorySize("auto"), 1u);

  EXPECT_EQ(manual->action, AutoSyncAction::kNone);
  EXPECT_EQ(manual->sync_status, "OutOfSync");
  EXPECT_EQ(manual->health, "Missing");
  EXPECT_FALSE(Exists(kDeployment, "manual-web")) << "a manual app is never synced";
  Object manual_cr = AppCr("manual");
  EXPECT_EQ(GetString(manual_cr.json(), "status.sync.status"), "OutOfSync");
  const JsonValue* resources = Find(manual_cr.json(), "status.resources");
  ASSERT_TRUE(resources && resources->IsArray());
  EXPECT_EQ(resources->Size(), 2u);
  EXPECT_EQ(HistorySize("manual"), 0u);

  // Nothing changed: the next pass leaves both alone.
  reports = Pass(*controller);
  EXPECT_EQ(ReportOf(reports, "auto")->action, AutoSyncAction::kNone);
  EXPECT_EQ(HistorySize("auto"), 1u);
}

TEST_F(SyncControllerKubesimTest, DriftIsRevertedOnlyWithSelfHealAndBacksOff) {
  PutApp("heal", "{automated: {selfHeal: true}}", AppManifests("heal-web"), "rev-1");
  PutApp("keep", "{automated: {}}", AppManifests("keep-web"), "rev-1");
  auto controller = MakeController();
  Pass(*controller);
  ASSERT_EQ(Replicas("heal-web"), 1) << log_;
  ASSERT_EQ(Replicas("keep-web"), 1) << log_;

  ScaleTo("heal-web", 3);
  ScaleTo("keep-web", 3);
  auto reports = Pass(*controller);
  EXPECT_EQ(ReportOf(reports, "heal")->action, AutoSyncAction::kSelfHeal) << log_;
  EXPECT_EQ(Replicas("heal-web"), 1) << "self-heal puts Git's replicas back";
  EXPECT_EQ(ReportOf(reports, "keep")->action, AutoSyncAction::kNone);
  EXPECT_NE(ReportOf(reports, "keep")->reason.find("most recent sync already to rev-1"),
            std::string::npos);
  EXPECT_EQ(Replicas("keep-web"), 3) << "without selfHeal the drift stays";
  EXPECT_EQ(ReportOf(reports, "keep")->sync_status, "OutOfSync");
  EXPECT_EQ(
      GetInt(AppCr("heal").json(), "status.operationState.operation.sync.autoHealAttemptsCount"),
      1);

  // A second drift right away waits for the backoff (2s after the last heal) ...
  ScaleTo("heal-web", 4);
  reports = Pass(*controller);
  EXPECT_EQ(ReportOf(reports, "heal")->action, AutoSyncAction::kBackoff);
  EXPECT_EQ(Replicas("heal-web"), 4);
  // ... and is healed once the clock has moved past it.
  clock_.Set(kNow + 3);
  reports = Pass(*controller);
  EXPECT_EQ(ReportOf(reports, "heal")->action, AutoSyncAction::kSelfHeal) << log_;
  EXPECT_EQ(Replicas("heal-web"), 1);
}

TEST_F(SyncControllerKubesimTest, FailedRevisionIsNotRetriedButANewRevisionIs) {
  std::string crashloop = "      annotations: {kubesim.mlgitops.io/outcome: crashloop}\n";
  PutApp("fail", "{automated: {}, retry: {limit: 1, backoff: {duration: 7s}}}",
         AppManifests("fail-web", crashloop), "rev-1");
  auto controller = MakeController(std::chrono::milliseconds(1000));
  auto reports = Pass(*controller);
  ASSERT_NE(ReportOf(reports, "fail"), nullptr);
  EXPECT_EQ(ReportOf(reports, "fail")->sync_phase, "Failed") << log_;
  EXPECT_EQ(sleeps_, std::vector<std::chrono::milliseconds>{std::chrono::seconds(7)})
      << "one retry, after the backoff's duration";
  EXPECT_EQ(GetInt(AppCr("fail").json(), "status.operationState.retryCount"), 1);
  EXPECT_EQ(HistorySize("fail"), 1u);
  EXPECT_NE(Condition("fail", "SyncError").find("Failed last sync attempt to rev-1"),
            std::string::npos);

  reports = Pass(*controller);
  EXPECT_EQ(ReportOf(reports, "fail")->action, AutoSyncAction::kNone);
  EXPECT_EQ(HistorySize("fail"), 1u) << "the same revision is not tried again";
  std::string condition = Condition("fail", "SyncError");
  EXPECT_NE(condition.find("Failed last sync attempt to rev-1: "), std::string::npos) << condition;
  EXPECT_NE(condition.find("fail-web"), std::string::npos) << condition;

  PutApp("fail", "{automated: {}, retry: {limit: 1, backoff: {duration: 7s}}}",
         AppManifests("fail-web"), "rev-2");
  auto patient = MakeController(std::chrono::seconds(8));
  reports = Pass(*patient);
  EXPECT_EQ(ReportOf(reports, "fail")->action, AutoSyncAction::kSync);
  EXPECT_EQ(ReportOf(reports, "fail")->sync_phase, "Succeeded") << log_;
  EXPECT_EQ(Condition("fail", "SyncError"), "");
  EXPECT_EQ(HistorySize("fail"), 2u);
}

TEST_F(SyncControllerKubesimTest, DependentAppWaitsUntilItsDependencyIsSyncedAndHealthy) {
  PutApp("base", "", AppManifests("base-web"), "rev-1");
  PutApp("serving", "{automated: {}}", AppManifests("serving-web"), "rev-1",
         "  annotations: {mlgitops.io/depends-on: base}\n");
  auto controller = MakeController();
  auto reports = Pass(*controller);
  EXPECT_EQ(ReportOf(reports, "serving")->action, AutoSyncAction::kNone);
  EXPECT_EQ(Condition("serving", "DependencyNotReady"), "waiting for base (OutOfSync, Missing)");
  EXPECT_FALSE(Exists(kDeployment, "serving-web"));

  // base turns automated: one pass syncs it first, then serving.
  PutApp("base", "{automated: {}}", AppManifests("base-web"), "rev-1");
  reports = Pass(*controller);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].app, ns_ + "/base") << "dependencies are reconciled first";
  EXPECT_EQ(ReportOf(reports, "base")->sync_phase, "Succeeded") << log_;
  EXPECT_EQ(ReportOf(reports, "serving")->sync_phase, "Succeeded") << log_;
  EXPECT_TRUE(Exists(kDeployment, "serving-web"));
  EXPECT_EQ(Condition("serving", "DependencyNotReady"), "");
}

// A controller scoped to its namespace (a Role, not a ClusterRole) gets 403 Forbidden listing
// cluster-scoped kinds; the objects of those kinds an app tracks would go unseen and unpruned, so
// the Application says so in an ExcludedResourceWarning condition (Argo CD's type for resources
// it cannot manage) instead of looking complete.
TEST_F(SyncControllerKubesimTest, ForbiddenKindsBecomeAnExcludedResourceWarningCondition) {
  PutApp("scoped", "", AppManifests("scoped-web"), "rev-1");
  std::string error;
  auto scoped = kubesim::testing::NamespaceScopedClient(*process_, *client_, ns_, "ctl", &error);
  ASSERT_NE(scoped, nullptr) << error;
  auto controller = MakeController(std::chrono::seconds(5), scoped.get());
  auto reports = Pass(*controller);
  ASSERT_NE(ReportOf(reports, "scoped"), nullptr) << log_;
  std::string warning = Condition("scoped", "ExcludedResourceWarning");
  EXPECT_NE(warning.find("cannot list"), std::string::npos) << warning;
  EXPECT_NE(warning.find("(cluster-scoped)"), std::string::npos) << warning;
  EXPECT_EQ(ReportOf(reports, "scoped")->sync_status, "OutOfSync");

  // With the administrator's rights every kind is listable: no warning.
  auto admin = MakeController();
  Pass(*admin);
  EXPECT_EQ(Condition("scoped", "ExcludedResourceWarning"), "");
}

// A sync option the engine does not carry out is a SyncOptionUnknown condition on the app and a
// warning from `sync`, never silently dropped.
TEST_F(SyncControllerKubesimTest, UnsupportedSyncOptionsAreReportedNotDropped) {
  PutApp("options", "{automated: {}, syncOptions: [ApplyOutOfSyncOnly=true, Retry=always]}",
         AppManifests("options-web"), "rev-1");
  auto controller = MakeController();
  Pass(*controller);
  EXPECT_EQ(Condition("options", "SyncOptionUnknown"),
            "ApplyOutOfSyncOnly=true (the application's syncOptions): not supported: every "
            "object is applied (and 1 more)")
      << log_;
  MemoryTerminal out(false), err(false);
  FixedClock clock(kNow);
  CliEnv env{out, err, clock, [](const char*) -> const char* { return nullptr; }};
  RunCli({"sync", "options", "-n", ns_, "--control-namespace", ns_, "--local",
          dir_->path() + "/" + ns_ + "/options", "--kubeconfig", process_->kubeconfig_path()},
         env);
  EXPECT_NE(err.text().find("warning: sync option Retry=always (the application's syncOptions): "
                            "unknown sync option"),
            std::string::npos)
      << out.text() << err.text();
}

TEST_F(SyncControllerKubesimTest, DependencyCycleIsReportedNotWaitedOn) {
  PutApp("left", "{automated: {}}", AppManifests("left-web"), "rev-1",
         "  annotations: {mlgitops.io/depends-on: right}\n");
  PutApp("right", "{automated: {}}", AppManifests("right-web"), "rev-1",
         "  annotations: {mlgitops.io/depends-on: left}\n");
  auto controller = MakeController();
  auto reports = Pass(*controller);
  ASSERT_EQ(reports.size(), 2u);
  for (const char* app : {"left", "right"}) {
    SCOPED_TRACE(app);
    std::string cycle = Condition(app, "DependencyCycle");
    EXPECT_TRUE(cycle == "dependency cycle: left -> right -> left" ||
                cycle == "dependency cycle: right -> left -> right")
        << cycle;
    EXPECT_EQ(ReportOf(reports, app)->action, AutoSyncAction::kNone);
  }
  EXPECT_FALSE(Exists(kDeployment, "left-web"));
  EXPECT_FALSE(Exists(kDeployment, "right-web"));
}

TEST_F(SyncControllerKubesimTest, InstallManifestsRenderAndApplyWithKubectl) {
  std::string rendered;
  ASSERT_EQ(
      RunCommand("kubectl kustomize " + mlgitops::testing::SourceDir() + "/manifests/controller",
                 &rendered, true),
      0)
      << rendered;
  for (const char* kind :
       {"kind: Namespace", "kind: CustomResourceDefinition", "kind: ServiceAccount",
        "kind: ClusterRole", "kind: ClusterRoleBinding", "kind: Deployment"}) {
    EXPECT_NE(rendered.find(kind), std::string::npos) << kind;
  }
  EXPECT_NE(rendered.find("ghcr.io/mlgitops/kubectl-mlgitops:VERSION"), std::string::npos);
  std::string file = dir_->Write("install.yaml", rendered);
  std::string out;
  ASSERT_EQ(Kubectl("apply --server-side -f " + file, &out), 0) << out;
  EXPECT_TRUE(client_->Get(ObjectKey{kDeployment, "mlgitops", "mlgitops-controller"}).ok());

  PutApp("from-kubectl", "{automated: {prune: true}}", AppManifests("k-web"), "rev-1");
  std::string api_version;
  auto app = GetApplicationCr(*client_, ns_, "from-kubectl", &api_version);
  ASSERT_TRUE(app.ok()) << app.status().message();
  EXPECT_EQ(api_version, "mlgitops.io/v1alpha1");
  EXPECT_TRUE(app->sync_policy.AutoSyncEnabled());
  EXPECT_TRUE(app->sync_policy.automated->prune);
  ASSERT_EQ(Kubectl("get applications.mlgitops.io -n " + ns_, &out), 0) << out;
  EXPECT_NE(out.find("SYNC STATUS"), std::string::npos) << out;
}

TEST_F(SyncControllerKubesimTest, CommandRunsOnePassFromALocalRoot) {
  PutApp("cli-app", "{automated: {}}", AppManifests("cli-web"), "unused");
  MemoryTerminal out(false), err(false);
  FixedClock clock(kNow);
  CliEnv env{out, err, clock, [](const char*) -> const char* { return nullptr; }};
  std::string root = dir_->path() + "/" + ns_;
  int code = RunCli({"controller", "--once", "-n", ns_, "--control-namespace", ns_, "--local-root",
                     root, "--wave-timeout", "10s", "--kubeconfig", process_->kubeconfig_path()},
                    env);
  EXPECT_EQ(code, kExitOk) << out.text() << err.text();
  EXPECT_NE(out.text().find(FormatRfc3339(kNow) +
                            " controller started: Applications in "
                            "namespace " +
                            ns_ + ", one pass"),
            std::string::npos)
      << out.text();
  EXPECT_NE(out.text().find(ns_ + "/cli-app: Synced Healthy (sync Succeeded)"), std::string::npos)
      << out.text();
  EXPECT_TRUE(Exists(kDeployment, "cli-web"));
  std::string revision = GetString(AppCr("cli-app").json(), "status.sync.revision");
  EXPECT_EQ(revision.rfind("local:" + root + "/cli-app@", 0), 0u) << revision;

  MemoryTerminal out2(false), err2(false);
  CliEnv env2{out2, err2, clock, [](const char*) -> const char* { return nullptr; }};
  EXPECT_EQ(RunCli({"controller", "-A", "-n", "x"}, env2), kExitUsage);
  EXPECT_NE(err2.text().find("not both"), std::string::npos) << err2.text();
  EXPECT_EQ(RunCli({"controller", "--interval", "soon"}, env2), kExitUsage);
}

// --local-root confines every app to the root: a path climbing out of it, an absolute path or a
// link leading out is the app's ComparisonError, nothing from outside is applied, and the other
// apps are reconciled as usual.
TEST_F(SyncControllerKubesimTest, LocalRootRefusesAppPathsLeavingIt) {
  PutApp("inside", "{automated: {}}", AppManifests("inside-web"), "unused");
  std::string root = dir_->path() + "/" + ns_;
  std::string outside = dir_->path() + "/" + ns_ + "-outside";
  dir_->Write(ns_ + "-outside/manifests.yaml", AppManifests("outside-web"));
  std::filesystem::create_directory_symlink(outside, root + "/linked");
  const std::map<std::string, std::string> escapes = {
      {"climbs", "../" + ns_ + "-outside"},
      {"absolute", outside},
      {"linked", "linked"},
  };
  for (const auto& [name, path] : escapes) {
    std::string yaml =
        "apiVersion: mlgitops.io/v1alpha1\nkind: Application\nmetadata:\n  name: " + name +
        "\n  namespace: " + ns_ +
        "\nspec:\n  source: {repoURL: https://git.example.com/ml.git, path: '" + path +
        "', targetRevision: main}\n  destination: {server: "
        "https://kubernetes.default.svc, namespace: " +
        ns_ + "}\n  syncPolicy: {automated: {}}\n";
    ASSERT_TRUE(client_->Apply(ParseOne(yaml), ApplyOptions()).ok()) << name;
  }
  MemoryTerminal out(false), err(false);
  FixedClock clock(kNow);
  CliEnv env{out, err, clock, [](const char*) -> const char* { return nullptr; }};
  RunCli({"controller", "--once", "-n", ns_, "--control-namespace", ns_, "--local-root", root,
          "--wave-timeout", "10s", "--kubeconfig", process_->kubeconfig_path()},
         env);
  EXPECT_FALSE(Exists(kDeployment, "outside-web")) << out.text() << err.text();
  EXPECT_TRUE(Exists(kDeployment, "inside-web")) << out.text() << err.text();
  const std::map<std::string, std::string> rules = {
      {"climbs", "leaves the repository root (\"..\" climbs above it)"},
      {"absolute", "leaves the repository root (an absolute path)"},
      {"linked", "resolves outside the repository root through a symbolic link"},
  };
  for (const auto& [name, rule] : rules) {
    SCOPED_TRACE(name);
    std::string error = Condition(name, "ComparisonError");
    EXPECT_NE(error.find("spec.source.path \"" + escapes.at(name) + "\": " + rule),
              std::string::npos)
        << error;
    EXPECT_NE(out.text().find(ns_ + "/" + name + ": Unknown"), std::string::npos) << out.text();
  }
}

TEST_F(SyncControllerKubesimTest, TheLoopReconcilesEveryIntervalUntilInterrupted) {
  PutApp("loop", "{automated: {selfHeal: true}}", AppManifests("loop-web"), "unused");
  MemoryTerminal out(false), err(false);
  SystemClock clock;  // self-heal backoff counts real seconds here
  std::atomic<bool> interrupted{false};
  CliEnv env{out, err, clock, [](const char*) -> const char* { return nullptr; }};
  env.interrupted = &interrupted;
  std::string root = dir_->path() + "/" + ns_;
  int code = -1;
  std::thread loop([&] {
    code = RunCli(
        {"controller", "--interval", "1s", "-n", ns_, "--control-namespace", ns_, "--local-root",
         root, "--wave-timeout", "10s", "--kubeconfig", process_->kubeconfig_path()},
        env);
  });
  auto wait_for = [&](const std::function<bool()>& done) {
    for (int i = 0; i < 300 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
  };
  EXPECT_TRUE(wait_for([&] { return Exists(kDeployment, "loop-web"); })) << "first pass synced";
  // Drift between passes: a later pass heals it, so the loop really goes round.
  ASSERT_TRUE(client_->Delete(ObjectKey{kDeployment, ns_, "loop-web"}, DeleteOptions()).ok());
  EXPECT_TRUE(wait_for([&] { return !Exists(kDeployment, "loop-web"); }));
  EXPECT_TRUE(wait_for([&] { return Exists(kDeployment, "loop-web"); })) << "healed by a pass";
  interrupted = true;
  loop.join();
  EXPECT_EQ(code, kExitOk) << out.text() << err.text();
  EXPECT_NE(out.text().find("controller stopped"), std::string::npos) << out.text();
}

}  // namespace
}  // namespace mlgitops
