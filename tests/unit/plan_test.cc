// Tests of the offline sync plan: phase x wave x kind x name order, hooks, dependency fix-ups.
#include "plan/plan.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "object/yaml_loader.h"
#include "policy/rules.h"
#include "test_util.h"

namespace mlgitops {
namespace {

// Argo CD's kind order, read from the reference (sync-order-facts.md, "Full kind order used
// within a wave"), so the test's oracle is the document, not a copy of the code's table.
std::vector<std::string> DocumentedKindOrder() {
  std::istringstream doc(testing::ReadFile(testing::CorpusDir() + "/sync-order-facts.md"));
  std::vector<std::string> kinds;
  bool in_section = false;
  std::string line;
  while (std::getline(doc, line)) {
    if (line.rfind("### Full kind order", 0) == 0) {
      in_section = true;
      continue;
    }
    if (in_section && line.rfind("###", 0) == 0) break;
    size_t dot = line.find(". ");
    if (!in_section || dot == std::string::npos || dot == 0 ||
        line.find_first_not_of("0123456789") != dot) {
      continue;
    }
    std::string kind = line.substr(dot + 2);
    if (kind.find(' ') == std::string::npos) kinds.push_back(kind);  // skips "(every other kind…"
  }
  return kinds;
}
const std::vector<std::string> kDocumentedKindOrder = DocumentedKindOrder();

class PlanTest : public ::testing::Test {
 protected:
  /// Parses `yaml`, classifies it with `conventions` and builds the plan.
  Plan Build(std::string_view yaml, const Conventions& conventions = DefaultConventions()) {
    auto parsed = ParseManifests(yaml, "plan_test.yaml");
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    if (!parsed.ok()) return Plan();
    objects_ = std::move(parsed).value();
    classes_ = Classify(objects_, conventions);
    auto plan = BuildPlan(objects_, classes_);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    return plan.ok() ? std::move(plan).value() : Plan();
  }

  /// "Phase wave Kind name" per step.
  static std::vector<std::string> Order(const std::vector<PlanStep>& steps) {
    std::vector<std::string> out;
    for (const PlanStep& s : steps) {
      out.push_back(std::string(SyncPhaseName(s.phase)) + " " + std::to_string(s.wave) + " " +
                    s.kind + " " + s.name);
    }
    return out;
  }

  std::vector<Object> objects_;
  std::vector<Classified> classes_;
};

std::string Obj(const std::string& api_version, const std::string& kind, const std::string& name,
                const std::string& annotations = "{}", const std::string& ns = "") {
  return "---\n{apiVersion: " + api_version + ", kind: " + kind + ", metadata: {name: '" + name +
         "'" + (ns.empty() ? "" : ", namespace: " + ns) + ", annotations: " + annotations + "}}\n";
}

TEST(KindRank, ListedKindsAreNegativeInOrderOthersZero) {
  ASSERT_EQ(kDocumentedKindOrder.size(), 35u);
  for (size_t i = 0; i < kDocumentedKindOrder.size(); ++i) {
    EXPECT_EQ(KindRank(kDocumentedKindOrder[i]), static_cast<int>(i) - 35)
        << kDocumentedKindOrder[i];
  }
  EXPECT_EQ(KindRank("InferenceService"), 0);
  EXPECT_EQ(KindRank("namespace"), 0);  // case matters
  EXPECT_EQ(KindRank(""), 0);
}

TEST_F(PlanTest, WithinAWaveKindsFollowTheFullListThenOtherKindsByName) {
  std::string yaml;
  // Reverse input order, cluster-scoped objects, two custom kinds: only the sort can order them.
  yaml += Obj("example.com/v1", "Widget", "b-widget");
  yaml += Obj("example.com/v1", "Gadget", "a-gadget");
  for (auto kind = kDocumentedKindOrder.rbegin(); kind != kDocumentedKindOrder.rend(); ++kind) {
    yaml += Obj("v1", *kind, "x");
  }
  Plan plan = Build(yaml, Conventions());
  std::vector<std::string> expected;
  for (const std::string& kind : kDocumentedKindOrder) expected.push_back("Sync 0 " + kind + " x");
  expected.push_back("Sync 0 Gadget a-gadget");
  expected.push_back("Sync 0 Widget b-widget");
  EXPECT_EQ(Order(plan.steps), expected);
}

TEST_F(PlanTest, KindRankIgnoresTheGroup) {
  Plan plan = Build(Obj("serving.knative.dev/v1", "Service", "a") + Obj("v1", "ConfigMap", "z") +
                        Obj("v1", "Service", "b") + Obj("apps/v1", "Deployment", "c"),
                    Conventions());
  EXPECT_EQ(Order(plan.steps),
            (std::vector<std::string>{"Sync 0 ConfigMap z", "Sync 0 Service a", "Sync 0 Service b",
                                      "Sync 0 Deployment c"}));
  EXPECT_EQ(plan.steps[1].group, "serving.knative.dev");
}

TEST_F(PlanTest, PhaseThenWaveThenKind) {
  Plan plan = Build(Obj("batch/v1", "Job", "migrate",
                        "{argocd.argoproj.io/hook: PreSync, argocd.argoproj.io/sync-wave: '10'}") +
                    Obj("v1", "Pod", "smoke",
                        "{argocd.argoproj.io/hook: PostSync, argocd.argoproj.io/sync-wave: '-5'}") +
                    Obj("serving.kserve.io/v1beta1", "InferenceService", "isvc") +
                    Obj("v1", "PersistentVolumeClaim", "data") + Obj("v1", "Service", "api") +
                    Obj("apps/v1", "Deployment", "api", "{argocd.argoproj.io/sync-wave: '-2'}") +
                    Obj("v1", "ConfigMap", "cfg"));
  EXPECT_EQ(Order(plan.steps),
            (std::vector<std::string>{"PreSync 10 Job migrate", "Sync -2 Deployment api",
                                      "Sync 0 ConfigMap cfg", "Sync 0 Service api",
                                      "Sync 1 PersistentVolumeClaim data",
                                      "Sync 3 InferenceService isvc", "PostSync -5 Pod smoke"}));
  EXPECT_TRUE(plan.steps[0].hook);
  EXPECT_FALSE(plan.steps[1].hook);
  EXPECT_EQ(plan.steps[2].role, "foundation");
  EXPECT_EQ(plan.steps[5].role, "model-serving");
  for (const PlanStep& s : plan.steps) EXPECT_EQ(s.action, "create");
  EXPECT_EQ(objects_[plan.steps[0].object_index].name(), "migrate");
}

TEST_F(PlanTest, NameBreaksTiesByteWise) {
  Plan plan = Build(Obj("v1", "ConfigMap", "b") + Obj("v1", "ConfigMap", "a-1") +
                    Obj("v1", "ConfigMap", "B") + Obj("v1", "ConfigMap", "a"));
  EXPECT_EQ(Order(plan.steps),
            (std::vector<std::string>{"Sync 0 ConfigMap B", "Sync 0 ConfigMap a",
                                      "Sync 0 ConfigMap a-1", "Sync 0 ConfigMap b"}));
}

TEST_F(PlanTest, NegativeWavesComeFirst) {
  Plan plan = Build(Obj("v1", "Secret", "s3", "{argocd.argoproj.io/sync-wave: '3'}") +
                    Obj("v1", "Secret", "s-10", "{argocd.argoproj.io/sync-wave: '-10'}") +
                    Obj("v1", "Secret", "s0", "{argocd.argoproj.io/sync-wave: '0'}") +
                    Obj("v1", "Secret", "s-1", "{argocd.argoproj.io/sync-wave: '-1'}"));
  EXPECT_EQ(Order(plan.steps),
            (std::vector<std::string>{"Sync -10 Secret s-10", "Sync -1 Secret s-1",
                                      "Sync 0 Secret s0", "Sync 3 Secret s3"}));
}

struct HookCase {
  std::string annotations;
  std::vector<SyncPhase> phases;
  bool hook;
};

class HookPhases : public ::testing::TestWithParam<HookCase> {};

TEST_P(HookPhases, ArgoAndHelmAnnotations) {
  Object obj = testing::ParseOne(
      "{apiVersion: batch/v1, kind: Job, metadata: {name: j, "
      "annotations: " +
      GetParam().annotations + "}}");
  HookInfo info = ReadHook(obj);
  EXPECT_EQ(info.phases, GetParam().phases) << GetParam().annotations;
  EXPECT_EQ(info.is_hook, GetParam().hook) << GetParam().annotations;
}

using P = SyncPhase;
INSTANTIATE_TEST_SUITE_P(
    Annotations, HookPhases,
    ::testing::Values(
        HookCase{"{}", {P::kSync}, false},
        HookCase{"{argocd.argoproj.io/hook: PreSync}", {P::kPreSync}, true},
        HookCase{"{argocd.argoproj.io/hook: Sync}", {P::kSync}, true},
        HookCase{
            "{argocd.argoproj.io/hook: 'PostSync, PreSync'}", {P::kPreSync, P::kPostSync}, true},
        HookCase{"{argocd.argoproj.io/hook: 'SyncFail,Sync,Sync'}", {P::kSync, P::kSyncFail}, true},
        HookCase{"{argocd.argoproj.io/hook: Skip}", {}, false},
        HookCase{"{argocd.argoproj.io/hook: 'Skip,Skip'}", {}, false},
        HookCase{"{argocd.argoproj.io/hook: 'Skip,PreSync'}", {P::kPreSync}, true},
        HookCase{"{argocd.argoproj.io/hook: PreDelete}", {}, true},
        HookCase{"{argocd.argoproj.io/hook: PostDelete}", {}, true},
        HookCase{"{argocd.argoproj.io/hook: 'PreDelete,PostSync'}", {P::kPostSync}, true},
        HookCase{"{argocd.argoproj.io/hook: Bogus}", {}, true},
        HookCase{
            "{argocd.argoproj.io/hook: Bogus, helm.sh/hook: pre-install}", {P::kPreSync}, true},
        HookCase{
            "{argocd.argoproj.io/hook: PostSync, helm.sh/hook: pre-install}", {P::kPostSync}, true},
        HookCase{"{argocd.argoproj.io/hook: PreDelete, helm.sh/hook: pre-install}", {}, true},
        HookCase{"{helm.sh/hook: pre-install}", {P::kPreSync}, true},
        HookCase{"{helm.sh/hook: pre-upgrade}", {P::kPreSync}, true},
        HookCase{"{helm.sh/hook: post-install}", {P::kPostSync}, true},
        HookCase{"{helm.sh/hook: post-upgrade}", {P::kPostSync}, true},
        HookCase{"{helm.sh/hook: 'pre-install,post-upgrade'}", {P::kPreSync, P::kPostSync}, true},
        HookCase{"{helm.sh/hook: test}", {}, true},
        HookCase{"{helm.sh/hook: pre-delete}", {}, true},
        HookCase{"{helm.sh/hook: crd-install}", {P::kSync}, false}));

struct DeletePolicyCase {
  std::string annotations;
  std::vector<HookDeletePolicy> policies;
};

class HookDeletePolicies : public ::testing::TestWithParam<DeletePolicyCase> {};

TEST_P(HookDeletePolicies, MergedWithBeforeHookCreationDefault) {
  Object obj = testing::ParseOne(
      "{apiVersion: batch/v1, kind: Job, metadata: {name: j, annotations: {"
      "argocd.argoproj.io/hook: PreSync" +
      GetParam().annotations + "}}}");
  EXPECT_EQ(ReadHook(obj).delete_policies, GetParam().policies) << GetParam().annotations;
}

using D = HookDeletePolicy;
INSTANTIATE_TEST_SUITE_P(
    Annotations, HookDeletePolicies,
    ::testing::Values(
        DeletePolicyCase{"", {D::kBeforeHookCreation}},
        DeletePolicyCase{", argocd.argoproj.io/hook-delete-policy: 'HookSucceeded, HookFailed'",
                         {D::kHookSucceeded, D::kHookFailed}},
        DeletePolicyCase{", helm.sh/hook-delete-policy: 'hook-succeeded,before-hook-creation'",
                         {D::kHookSucceeded, D::kBeforeHookCreation}},
        DeletePolicyCase{", argocd.argoproj.io/hook-delete-policy: HookFailed, "
                         "helm.sh/hook-delete-policy: 'hook-failed,hook-succeeded'",
                         {D::kHookFailed, D::kHookSucceeded}},
        DeletePolicyCase{", argocd.argoproj.io/hook-delete-policy: Never",
                         {D::kBeforeHookCreation}}));

TEST_F(PlanTest, MultiPhaseHookGetsOneStepPerPhase) {
  Plan plan = Build(Obj("batch/v1", "Job", "check",
                        "{argocd.argoproj.io/hook: 'PreSync,PostSync', "
                        "argocd.argoproj.io/hook-delete-policy: HookSucceeded}") +
                    Obj("v1", "ConfigMap", "cfg"));
  EXPECT_EQ(Order(plan.steps),
            (std::vector<std::string>{"PreSync 0 Job check", "Sync 0 ConfigMap cfg",
                                      "PostSync 0 Job check"}));
  EXPECT_EQ(plan.steps[0].object_index, plan.steps[2].object_index);
  EXPECT_EQ(plan.steps[2].delete_policies, std::vector<HookDeletePolicy>{D::kHookSucceeded});
  EXPECT_TRUE(plan.steps[1].delete_policies.empty());
}

TEST_F(PlanTest, SkipAndDeleteHooksGetNoStep) {
  Plan plan = Build(Obj("v1", "ConfigMap", "skipped", "{argocd.argoproj.io/hook: Skip}") +
                    Obj("batch/v1", "Job", "pre-delete", "{argocd.argoproj.io/hook: PreDelete}") +
                    Obj("batch/v1", "Job", "helm-test", "{helm.sh/hook: test}") +
                    Obj("v1", "ConfigMap", "kept"));
  EXPECT_EQ(Order(plan.steps), (std::vector<std::string>{"Sync 0 ConfigMap kept"}));
  ASSERT_EQ(plan.skipped.size(), 3u);
  EXPECT_EQ(plan.skipped[0].object.name, "skipped");
  EXPECT_EQ(plan.skipped[0].reason, "argocd.argoproj.io/hook: Skip (never synced)");
  EXPECT_NE(plan.skipped[1].reason.find("\"PreDelete\" names no sync phase"), std::string::npos)
      << plan.skipped[1].reason;
  EXPECT_EQ(plan.skipped[2].reason, "helm.sh/hook \"test\" maps to no sync phase");
  EXPECT_EQ(plan.skipped[2].object_index, 2u);
}

TEST_F(PlanTest, HelmHooksAndWeights) {
  Plan plan = Build(
      Obj("batch/v1", "Job", "db-init", "{helm.sh/hook: pre-install, helm.sh/hook-weight: '-3'}") +
          Obj("batch/v1", "Job", "seed", "{helm.sh/hook: pre-upgrade, helm.sh/hook-weight: '1'}") +
          Obj("batch/v1", "Job", "notify", "{helm.sh/hook: post-install}") +
          Obj("example.com/v1", "Widget", "w", "{helm.sh/hook-weight: '-1'}") +
          Obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "crd",
              "{helm.sh/hook: crd-install}"),
      Conventions());
  EXPECT_EQ(
      Order(plan.steps),
      (std::vector<std::string>{"PreSync -3 Job db-init", "PreSync 1 Job seed", "Sync -1 Widget w",
                                "Sync 0 CustomResourceDefinition crd", "PostSync 0 Job notify"}));
  EXPECT_FALSE(plan.steps[3].hook);
}

TEST_F(PlanTest, NamespaceMovesBeforeItsFirstObjectTakingWaveAndPhase) {
  Plan plan =
      Build(Obj("v1", "Namespace", "ml") +
            Obj("v1", "ConfigMap", "early", "{argocd.argoproj.io/sync-wave: '-1'}", "ml") +
            Obj("v1", "Namespace", "idle") + Obj("v1", "ConfigMap", "late", "{}", "ml") +
            Obj("v1", "Namespace", "jobs") +
            Obj("batch/v1", "Job", "migrate", "{argocd.argoproj.io/hook: PreSync}", "jobs") +
            Obj("example.com/v1", "Namespace", "ml2") +
            Obj("v1", "Secret", "s", "{argocd.argoproj.io/sync-wave: '-4'}", "ml2"));
  EXPECT_EQ(Order(plan.steps),
            (std::vector<std::string>{"PreSync 0 Namespace jobs", "PreSync 0 Job migrate",
                                      "Sync -4 Secret s", "Sync -1 Namespace ml",
                                      "Sync -1 ConfigMap early", "Sync 0 Namespace idle",
                                      "Sync 0 Namespace ml2", "Sync 0 ConfigMap late"}));
}

TEST_F(PlanTest, NamespaceAlreadyFirstStaysPut) {
  Plan plan = Build(Obj("v1", "ConfigMap", "c", "{}", "ml") + Obj("v1", "Namespace", "ml"));
  EXPECT_EQ(Order(plan.steps),
            (std::vector<std::string>{"Sync 0 Namespace ml", "Sync 0 ConfigMap c"}));
}

constexpr std::string_view kWidgetCrd = R"(
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec: {group: example.com, names: {kind: Widget, plural: widgets}}
)";

TEST_F(PlanTest, CrdMovesBeforeItsFirstCustomResource) {
  Plan plan =
      Build(std::string(kWidgetCrd) +
            Obj("example.com/v1", "Widget", "w", "{argocd.argoproj.io/sync-wave: '-3'}") +
            Obj("other.io/v1", "Widget", "o", "{argocd.argoproj.io/sync-wave: '-5'}") +
            Obj("example.com/v1", "Widget", "later", "{argocd.argoproj.io/sync-wave: '5'}"));
  EXPECT_EQ(Order(plan.steps),
            (std::vector<std::string>{"Sync -5 Widget o",
                                      "Sync -3 CustomResourceDefinition widgets.example.com",
                                      "Sync -3 Widget w", "Sync 5 Widget later"}));
}

TEST_F(PlanTest, CrdAlreadyFirstStaysPut) {
  Plan plan = Build(std::string(kWidgetCrd) + Obj("example.com/v1", "Widget", "w"));
  EXPECT_EQ(Order(plan.steps),
            (std::vector<std::string>{"Sync 0 CustomResourceDefinition widgets.example.com",
                                      "Sync 0 Widget w"}));
}

TEST_F(PlanTest, SyncFailStepsAreKeptApartAtTheEnd) {
  Plan plan = Build(Obj("batch/v1", "Job", "cleanup",
                        "{argocd.argoproj.io/hook: SyncFail, argocd.argoproj.io/sync-wave: "
                        "'-100'}") +
                    Obj("v1", "Pod", "after", "{argocd.argoproj.io/hook: PostSync}") +
                    Obj("v1", "ConfigMap", "c"));
  EXPECT_EQ(Order(plan.steps),
            (std::vector<std::string>{"Sync 0 ConfigMap c", "PostSync 0 Pod after"}));
  EXPECT_EQ(Order(plan.sync_fail), (std::vector<std::string>{"SyncFail -100 Job cleanup"}));

  rapidjson::Document doc;
  doc.Parse(PlanToJson(plan, {}).c_str());
  ASSERT_TRUE(doc.IsObject());
  const auto& steps = doc["steps"];
  ASSERT_EQ(steps.Size(), 3u);
  EXPECT_STREQ(steps[2]["phase"].GetString(), "SyncFail");
  EXPECT_STREQ(steps[2]["name"].GetString(), "cleanup");
}

TEST_F(PlanTest, JsonHasTheDocumentedShape) {
  Plan plan = Build(Obj("batch/v1", "Job", "train", "{argocd.argoproj.io/hook: PreSync}", "ml") +
                    Obj("v1", "ConfigMap", "skip-me", "{argocd.argoproj.io/hook: Skip}") +
                    Obj("batch/v1", "Job", "fit", "{}", "ml"));
  auto findings = Lint(objects_, classes_, DefaultConventions());
  ASSERT_FALSE(findings.empty());
  rapidjson::Document doc;
  doc.Parse(PlanToJson(plan, findings, true).c_str());
  ASSERT_TRUE(doc.IsObject());
  std::vector<std::string> top;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it)
    top.push_back(it->name.GetString());
  EXPECT_EQ(top, (std::vector<std::string>{"steps", "findings", "skipped"}));
  const auto& step = doc["steps"][0];
  std::vector<std::string> keys;
  for (auto it = step.MemberBegin(); it != step.MemberEnd(); ++it)
    keys.push_back(it->name.GetString());
  ASSERT_GE(keys.size(), 7u);
  EXPECT_EQ(
      std::vector<std::string>(keys.begin(), keys.begin() + 7),
      (std::vector<std::string>{"phase", "wave", "kind", "namespace", "name", "role", "action"}));
  EXPECT_STREQ(step["phase"].GetString(), "PreSync");
  EXPECT_EQ(step["wave"].GetInt64(), 0);  // hooks take no role, so Argo CD's default wave
  EXPECT_STREQ(step["namespace"].GetString(), "ml");
  EXPECT_STREQ(step["role"].GetString(), "");
  EXPECT_STREQ(doc["steps"][1]["role"].GetString(), "training");
  EXPECT_STREQ(step["action"].GetString(), "create");
  EXPECT_TRUE(step["hook"].GetBool());
  EXPECT_STREQ(step["hookDeletePolicies"][0].GetString(), "BeforeHookCreation");
  EXPECT_EQ(doc["findings"].Size(), findings.size());
  EXPECT_STREQ(doc["findings"][0]["rule"].GetString(), findings[0].rule.c_str());
  EXPECT_STREQ(doc["skipped"][0]["name"].GetString(), "skip-me");
}

TEST_F(PlanTest, MlAppFollowsTheRoleWaves) {
  std::string text = testing::ReadFile(testing::SourceDir() + "/tests/fixtures/policy/ml-app.yaml");
  Plan plan = Build(text);
  EXPECT_EQ(
      Order(plan.steps),
      (std::vector<std::string>{"Sync 0 Namespace ml", "Sync 0 ConfigMap ranker-config",
                                "Sync 1 PersistentVolumeClaim datasets", "Sync 2 CronJob features",
                                "Sync 2 PyTorchJob train-ranker", "Sync 3 Service ranker",
                                "Sync 3 Deployment ranker", "Sync 3 HorizontalPodAutoscaler ranker",
                                "Sync 4 ServiceMonitor ranker"}));
}

TEST(BuildPlan, RefusesMismatchedInputsAndNamelessObjects) {
  auto objects = ParseManifests("{apiVersion: v1, kind: ConfigMap, metadata: {}}", "nameless.yaml");
  ASSERT_TRUE(objects.ok());
  auto mismatched = BuildPlan(*objects, {});
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.status().message().find("1 objects but 0"), std::string::npos);
  auto nameless = BuildPlan(*objects, Classify(*objects, DefaultConventions()));
  ASSERT_FALSE(nameless.ok());
  EXPECT_NE(nameless.status().message().find("nameless.yaml"), std::string::npos)
      << nameless.status().message();
  EXPECT_NE(nameless.status().message().find("ConfigMap has no metadata.name"), std::string::npos);
}

TEST(BuildPlan, GenerateNameHooksUseTheirPrefix) {
  auto objects = ParseManifests(
      "{apiVersion: batch/v1, kind: Job, metadata: {generateName: smoke-, annotations: "
      "{argocd.argoproj.io/hook: PostSync}}}",
      "t.yaml");
  ASSERT_TRUE(objects.ok());
  auto plan = BuildPlan(*objects, Classify(*objects, DefaultConventions()));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->steps.size(), 1u);
  EXPECT_EQ(plan->steps[0].name, "smoke-");
}

}  // namespace
}  // namespace mlgitops
