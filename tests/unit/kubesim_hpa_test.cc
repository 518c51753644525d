// kubesim's HorizontalPodAutoscaler controller end to end: HPAs written as autoscaling/v2 or
// v1 get the status the real controller reports once it reads metrics (replicas, clamped
// desired count, AbleToScale/ScalingActive/ScalingLimited; FailedGetScale for a missing
// target), and the project's live health judges what it wrote.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "health/assessor.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kube/live_health.h"
#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "policy/conventions.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using mlgitops::testing::ParseOne;
using mlgitops::testing::TempDir;

const GroupVersionKind kHpaV2{"autoscaling", "v2", "HorizontalPodAutoscaler"};
const GroupVersionKind kHpaV1{"autoscaling", "v1", "HorizontalPodAutoscaler"};

std::string DeploymentYaml(const std::string& ns, const std::string& name, int replicas) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  replicas: " + std::to_string(replicas) +
         "\n  selector: {matchLabels: {app: " + name +
         "}}\n  template:\n    metadata: {labels: "
         "{app: " +
         name + "}}\n    spec: {containers: [{name: main, image: \"nginx:1.27\"}]}\n";
}

std::string HpaV2Yaml(const std::string& ns, const std::string& name, const std::string& target,
                      int min, int max) {
  return "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: " + name +
         ", namespace: " + ns +
         "}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: "
         "Deployment, name: " +
         target + "}\n  minReplicas: " + std::to_string(min) +
         "\n  maxReplicas: " + std::to_string(max) +
         "\n  metrics:\n  - type: Resource\n    resource: {name: cpu, target: {type: "
         "Utilization, averageUtilization: 70}}\n";
}

class KubesimHpaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string error =
        kubesim::testing::StartSuiteKubesim(dir_->path(), "50ms", &process_, &client_);
    if (!error.empty()) {
      error_ = new std::string(error);
      return;
    }
    auto ns = client_->Apply(ParseOne("apiVersion: v1\nkind: Namespace\nmetadata: {name: hpa}\n"),
                             ApplyOptions());
    if (!ns.ok()) error_ = new std::string(ns.status().message());
  }

  static void TearDownTestSuite() {
    kubesim::testing::StopSuiteKubesim(&process_, &client_);
    delete error_;
    error_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override { ASSERT_EQ(error_, nullptr) << *error_; }

  void Apply(const std::string& yaml) {
    auto applied = client_->Apply(ParseOne(yaml), ApplyOptions());
    ASSERT_TRUE(applied.ok()) << applied.status().message();
  }

  /// The HPA once `done` holds for it (read through `gvk`), or its last state.
  Object WaitFor(const GroupVersionKind& gvk, const std::string& name,
                 const std::function<bool(const Object&)>& done) {
    WaitOptions options;
    options.timeout = std::chrono::seconds(10);
    auto outcome = ::mlgitops::WaitFor(
        *client_, ObjectKey{gvk, "hpa", name},
        [&](const Object* o) { return o != nullptr && done(*o); }, options);
    EXPECT_TRUE(outcome.ok()) << outcome.status().message();
    if (!outcome.ok() || !outcome->object) return Object();
    EXPECT_TRUE(outcome->satisfied) << name << " never got there:\n"
                                    << ToJson(outcome->object->json(), true);
    return std::move(*outcome->object);
  }

  HealthStatus Health(const Object& hpa) {
    HealthAssessor assessor;
    auto assessed = AssessLiveObject(*client_, hpa, assessor, DefaultConventions(), 0);
    EXPECT_TRUE(assessed.ok()) << assessed.status().message();
    return assessed.ok() ? assessed->status : HealthStatus{HealthCode::kUnknown, ""};
  }

  static std::string ConditionOf(const JsonValue& conditions, const std::string& type,
                                 const char* field) {
    if (!conditions.IsArray()) return "";
    for (const JsonValue& c : conditions.GetArray()) {
      if (GetString(c, "type") == type) return GetString(c, field);
    }
    return "";
  }

  static TempDir* dir_;
  static kubesim::KubesimProcess* process_;
  static HttpKubeClient* client_;
  static std::string* error_;
};

TempDir* KubesimHpaTest::dir_ = nullptr;
kubesim::KubesimProcess* KubesimHpaTest::process_ = nullptr;
HttpKubeClient* KubesimHpaTest::client_ = nullptr;
std::string* KubesimHpaTest::error_ = nullptr;

TEST_F(KubesimHpaTest, V2HpaReportsTheTargetsReplicasAndIsHealthy) {
  Apply(DeploymentYaml("hpa", "web", 2));
  Apply(HpaV2Yaml("hpa", "web", "web", 1, 5));
  Object hpa = WaitFor(kHpaV2, "web", [](const Object& o) {
    return GetInt(o.json(), "status.currentReplicas") == 2 &&
           FindCondition(o.json(), "AbleToScale");
  });
  const JsonValue& v = hpa.json();
  EXPECT_EQ(GetInt(v, "status.desiredReplicas"), 2);
  EXPECT_EQ(Find(v, "status.lastScaleTime"), nullptr);
  const JsonValue* conditions = Find(v, "status.conditions");
  ASSERT_NE(conditions, nullptr);
  EXPECT_EQ(ConditionOf(*conditions, "AbleToScale", "status"), "True");
  EXPECT_EQ(ConditionOf(*conditions, "AbleToScale", "reason"), "ReadyForNewScale");
  EXPECT_EQ(ConditionOf(*conditions, "ScalingActive", "status"), "True");
  EXPECT_EQ(ConditionOf(*conditions, "ScalingActive", "reason"), "ValidMetricFound");
  EXPECT_EQ(ConditionOf(*conditions, "ScalingLimited", "status"), "False");
  EXPECT_EQ(ConditionOf(*conditions, "ScalingLimited", "reason"), "DesiredWithinRange");
  EXPECT_FALSE(ConditionOf(*conditions, "AbleToScale", "lastTransitionTime").empty());
  const JsonValue* metrics = Find(v, "status.currentMetrics");
  ASSERT_TRUE(metrics && metrics->IsArray() && metrics->Size() == 1);
  EXPECT_EQ(GetInt((*metrics)[0], "resource.current.averageUtilization"), 70);
  HealthStatus health = Health(hpa);
  EXPECT_EQ(health.code, HealthCode::kHealthy) << health.message;
}

TEST_F(KubesimHpaTest, DesiredReplicasAreClampedToTheRange) {
  Apply(DeploymentYaml("hpa", "small", 1));
  Apply(HpaV2Yaml("hpa", "small", "small", 3, 6));
  Object hpa = WaitFor(kHpaV2, "small",
                       [](const Object& o) { return FindCondition(o.json(), "ScalingLimited"); });
  EXPECT_EQ(GetInt(hpa.json(), "status.desiredReplicas"), 3);
  const JsonValue* limited = FindCondition(hpa.json(), "ScalingLimited");
  ASSERT_NE(limited, nullptr);
  EXPECT_EQ(MemberString(*limited, "status"), "True");
  EXPECT_EQ(MemberString(*limited, "reason"), "TooFewReplicas");
  EXPECT_EQ(Health(hpa).code, HealthCode::kHealthy);
}

TEST_F(KubesimHpaTest, MissingTargetCannotScaleAndIsDegraded) {
  Apply(HpaV2Yaml("hpa", "orphan", "nope", 1, 3));
  Object hpa = WaitFor(kHpaV2, "orphan",
                       [](const Object& o) { return FindCondition(o.json(), "AbleToScale"); });
  const JsonValue* able = FindCondition(hpa.json(), "AbleToScale");
  ASSERT_NE(able, nullptr);
  EXPECT_EQ(MemberString(*able, "status"), "False");
  EXPECT_EQ(MemberString(*able, "reason"), "FailedGetScale");
  EXPECT_NE(MemberString(*able, "message").find("deployments.apps \"nope\" not found"),
            std::string::npos)
      << MemberString(*able, "message");
  EXPECT_EQ(FindCondition(hpa.json(), "ScalingActive"), nullptr);
  HealthStatus health = Health(hpa);
  EXPECT_EQ(health.code, HealthCode::kDegraded) << health.message;
  EXPECT_NE(health.message.find("unable to get the target's current scale"), std::string::npos);

  // Once the target exists the same HPA becomes able to scale.
  Apply(DeploymentYaml("hpa", "nope", 1));
  hpa = WaitFor(kHpaV2, "orphan", [](const Object& o) {
    const JsonValue* c = FindCondition(o.json(), "AbleToScale");
    return c && MemberString(*c, "status") == "True";
  });
  EXPECT_EQ(Health(hpa).code, HealthCode::kHealthy);
}

TEST_F(KubesimHpaTest, V1HpaCarriesConditionsInItsAnnotation) {
  Apply(DeploymentYaml("hpa", "legacy", 2));
  Apply(
      "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: legacy, "
      "namespace: hpa}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, "
      "name: legacy}\n  minReplicas: 1\n  maxReplicas: 4\n  targetCPUUtilizationPercentage: "
      "60\n");
  Object hpa = WaitFor(kHpaV1, "legacy", [](const Object& o) {
    return GetInt(o.json(), "status.currentReplicas") == 2 &&
           o.annotation("autoscaling.alpha.kubernetes.io/conditions").has_value();
  });
  EXPECT_EQ(hpa.api_version(), "autoscaling/v1");
  EXPECT_EQ(GetInt(hpa.json(), "status.desiredReplicas"), 2);
  EXPECT_EQ(GetInt(hpa.json(), "status.currentCPUUtilizationPercentage"), 60);
  std::string text = *hpa.annotation("autoscaling.alpha.kubernetes.io/conditions");
  Object conditions = ParseOne(text);
  EXPECT_EQ(ConditionOf(conditions.json(), "AbleToScale", "reason"), "ReadyForNewScale");
  EXPECT_EQ(ConditionOf(conditions.json(), "ScalingLimited", "reason"), "DesiredWithinRange");
  HealthStatus health = Health(hpa);
  EXPECT_EQ(health.code, HealthCode::kHealthy) << health.message;
}

}  // namespace
}  // namespace mlgitops
