// Tests of the ML conventions: role inference, waves, and loading conventions files.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "object/yaml_loader.h"
#include "policy/conventions.h"
#include "test_util.h"

namespace mlgitops {
namespace {

std::vector<Object> Manifests(std::string_view yaml) {
  auto objects = ParseManifests(yaml, "roles_test.yaml");
  EXPECT_TRUE(objects.ok()) << objects.status().ToString();
  return objects.ok() ? std::move(objects).value() : std::vector<Object>();
}

std::string Manifest(const std::string& api_version, const std::string& kind,
                     const std::string& extra = "") {
  return "apiVersion: " + api_version + "\nkind: " + kind + "\nmetadata:\n  name: x\n" + extra;
}

std::string FixturePath(const std::string& name) {
  return testing::SourceDir() + "/tests/fixtures/policy/" + name;
}

struct KindCase {
  std::string api_version;
  std::string kind;
  std::string role;
};

class RoleByKind : public ::testing::TestWithParam<KindCase> {};

TEST_P(RoleByKind, InfersRoleAndDefaultWave) {
  const KindCase& c = GetParam();
  Object obj = testing::ParseOne(Manifest(c.api_version, c.kind));
  Classified got = ClassifyObject(obj, DefaultConventions());
  EXPECT_EQ(got.role, c.role) << c.api_version << " " << c.kind;
  EXPECT_EQ(got.role_source, c.role.empty() ? RoleSource::kNone : RoleSource::kKind);
  EXPECT_EQ(got.wave, DefaultConventions().DefaultWave(c.role));
  EXPECT_EQ(got.wave_source, WaveSource::kRoleDefault);
}

INSTANTIATE_TEST_SUITE_P(
    DesignTable, RoleByKind,
    ::testing::Values(
        KindCase{"v1", "Namespace", "foundation"}, KindCase{"v1", "ConfigMap", "foundation"},
        KindCase{"v1", "Secret", "foundation"}, KindCase{"v1", "ServiceAccount", "foundation"},
        KindCase{"rbac.authorization.k8s.io/v1", "Role", "foundation"},
        KindCase{"rbac.authorization.k8s.io/v1", "RoleBinding", "foundation"},
        KindCase{"rbac.authorization.k8s.io/v1", "ClusterRole", "foundation"},
        KindCase{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "foundation"},
        KindCase{"v1", "ResourceQuota", "foundation"}, KindCase{"v1", "LimitRange", "foundation"},
        KindCase{"apiextensions.k8s.io/v1", "CustomResourceDefinition", "foundation"},
        KindCase{"scheduling.k8s.io/v1", "PriorityClass", "foundation"},
        KindCase{"networking.k8s.io/v1", "NetworkPolicy", "foundation"},
        KindCase{"v1", "PersistentVolumeClaim", "storage"},
        KindCase{"v1", "PersistentVolume", "storage"},
        KindCase{"batch/v1", "CronJob", "feature-pipeline"},
        KindCase{"argoproj.io/v1alpha1", "Workflow", "feature-pipeline"},
        KindCase{"argoproj.io/v1alpha1", "CronWorkflow", "feature-pipeline"},
        KindCase{"sparkoperator.k8s.io/v1beta2", "SparkApplication", "feature-pipeline"},
        KindCase{"sparkoperator.k8s.io/v1beta2", "ScheduledSparkApplication", "feature-pipeline"},
        KindCase{"feast.dev/v1", "FeatureStore", "feature-pipeline"},
        KindCase{"batch/v1", "Job", "training"}, KindCase{"kubeflow.org/v1", "TFJob", "training"},
        KindCase{"kubeflow.org/v1", "PyTorchJob", "training"},
        KindCase{"kubeflow.org/v2beta1", "MPIJob", "training"},
        KindCase{"kubeflow.org/v1", "XGBoostJob", "training"},
        KindCase{"kubeflow.org/v1", "PaddleJob", "training"},
        KindCase{"kubeflow.org/v1", "JAXJob", "training"},
        KindCase{"trainer.kubeflow.org/v1alpha1", "TrainJob", "training"},
        KindCase{"ray.io/v1", "RayJob", "training"},
        KindCase{"batch.volcano.sh/v1alpha1", "Job", "training"},
        KindCase{"serving.kserve.io/v1beta1", "InferenceService", "model-serving"},
        KindCase{"machinelearning.seldon.io/v1", "SeldonDeployment", "model-serving"},
        KindCase{"ray.io/v1", "RayService", "model-serving"},
        KindCase{"serving.knative.dev/v1", "Service", "model-serving"},
        KindCase{"monitoring.coreos.com/v1", "ServiceMonitor", "monitoring"},
        KindCase{"monitoring.coreos.com/v1", "PodMonitor", "monitoring"},
        KindCase{"monitoring.coreos.com/v1", "PrometheusRule", "monitoring"},
        KindCase{"grafana.integreatly.org/v1beta1", "GrafanaDashboard", "monitoring"},
        // The group matters: same kind names elsewhere get no role.
        KindCase{"example.com/v1", "Job", ""}, KindCase{"example.com/v1", "CronJob", ""},
        KindCase{"v1", "Service", ""}, KindCase{"apps/v1", "Deployment", ""},
        KindCase{"apps/v1", "StatefulSet", ""}, KindCase{"ray.io/v1", "RayCluster", ""},
        KindCase{"v1", "Pod", ""}));

struct ComponentCase {
  std::string kind;
  std::string labels;           // metadata labels block ("" = none)
  std::string template_labels;  // pod template labels block
  std::string role;
  RoleSource source;
};

class RoleByComponent : public ::testing::TestWithParam<ComponentCase> {};

TEST_P(RoleByComponent, WorkloadRoleFromLabels) {
  const ComponentCase& c = GetParam();
  std::string yaml = "apiVersion: apps/v1\nkind: " + c.kind + "\nmetadata:\n  name: w\n" +
                     (c.labels.empty() ? "" : "  labels: " + c.labels + "\n") +
                     "spec:\n  template:\n    metadata:\n      labels: " +
                     (c.template_labels.empty() ? "{}" : c.template_labels) + "\n";
  Classified got = ClassifyObject(testing::ParseOne(yaml), DefaultConventions());
  EXPECT_EQ(got.role, c.role) << yaml;
  EXPECT_EQ(got.role_source, c.source) << yaml;
  EXPECT_EQ(got.wave, DefaultConventions().DefaultWave(c.role));
}

INSTANTIATE_TEST_SUITE_P(
    Components, RoleByComponent,
    ::testing::Values(
        ComponentCase{"Deployment", "{app.kubernetes.io/component: model-server}", "",
                      "model-serving", RoleSource::kComponent},
        ComponentCase{"Deployment", "{app.kubernetes.io/component: inference}", "", "model-serving",
                      RoleSource::kComponent},
        ComponentCase{"StatefulSet", "{app.kubernetes.io/component: predictor}", "",
                      "model-serving", RoleSource::kComponent},
        ComponentCase{"Deployment", "{app.kubernetes.io/component: feature-store}", "",
                      "feature-pipeline", RoleSource::kComponent},
        ComponentCase{"StatefulSet", "{app.kubernetes.io/component: feature-server}", "",
                      "feature-pipeline", RoleSource::kComponent},
        ComponentCase{"Deployment", "", "{app.kubernetes.io/component: model-server}",
                      "model-serving", RoleSource::kComponent},
        ComponentCase{"Deployment", "{app.kubernetes.io/component: frontend}", "", "",
                      RoleSource::kNone},
        ComponentCase{"DaemonSet", "{app.kubernetes.io/component: model-server}", "", "",
                      RoleSource::kNone},
        ComponentCase{"Deployment",
                      "{app.kubernetes.io/component: model-server, mlgitops.io/role: monitoring}",
                      "", "monitoring", RoleSource::kLabel},
        ComponentCase{"Deployment",
                      "{app.kubernetes.io/component: model-server, mlgitops.io/role: servers}", "",
                      "model-serving", RoleSource::kComponent}));

TEST(RoleLabel, KnownLabelWinsOverKindAndUnknownFallsBack) {
  auto objects = Manifests(Manifest("batch/v1", "Job", "") + "---\n" +
                           "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: y\n  labels: "
                           "{mlgitops.io/role: feature-pipeline}\n---\n" +
                           "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: z\n  labels: "
                           "{mlgitops.io/role: trainer}\n");
  auto classes = Classify(objects, DefaultConventions());
  ASSERT_EQ(classes.size(), 3u);
  EXPECT_EQ(classes[0].role, "training");
  EXPECT_EQ(classes[1].role, "feature-pipeline");
  EXPECT_EQ(classes[1].role_source, RoleSource::kLabel);
  EXPECT_EQ(classes[2].role, "training");  // unknown label value: inferred from the kind
  EXPECT_EQ(classes[2].role_source, RoleSource::kKind);
}

TEST(RoleLabel, HooksGetNoInferredRoleAndKeepArgoDefaultWave) {
  auto objects = Manifests(
      "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations: "
      "{argocd.argoproj.io/hook: PreSync}\n---\n"
      "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: helm-test\n  annotations: "
      "{helm.sh/hook: post-install}\n---\n"
      "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: labelled\n  annotations: "
      "{argocd.argoproj.io/hook: PostSync}\n  labels: {mlgitops.io/role: training}\n");
  auto classes = Classify(objects, DefaultConventions());
  ASSERT_EQ(classes.size(), 3u);
  EXPECT_EQ(classes[0].role, "");
  EXPECT_EQ(classes[0].wave, 0);
  EXPECT_EQ(classes[1].role, "");
  EXPECT_EQ(classes[2].role, "training");  // an explicit label still counts
  EXPECT_EQ(classes[2].wave, 2);
}

constexpr std::string_view kServingSet = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: ranker, namespace: ml, labels: {app.kubernetes.io/component: model-server}}
spec: {template: {metadata: {labels: {app: ranker, tier: gpu}}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: online, namespace: ml, labels: {app.kubernetes.io/component: feature-store}}
spec: {template: {metadata: {labels: {app: online}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: plain, namespace: ml}
spec: {template: {metadata: {labels: {app: plain}}}}
)";

struct FollowerCase {
  std::string yaml;
  std::string role;
  RoleSource source = RoleSource::kTarget;
};

class RoleByTarget : public ::testing::TestWithParam<FollowerCase> {};

TEST_P(RoleByTarget, FollowsTheWorkloadItServes) {
  auto objects = Manifests(std::string(kServingSet) + "---\n" + GetParam().yaml);
  auto classes = Classify(objects, DefaultConventions());
  ASSERT_EQ(classes.size(), 4u);
  EXPECT_EQ(classes[3].role, GetParam().role) << GetParam().yaml;
  EXPECT_EQ(classes[3].role_source,
            GetParam().role.empty() ? RoleSource::kNone : GetParam().source);
  EXPECT_EQ(classes[3].wave, DefaultConventions().DefaultWave(GetParam().role));
  // Without the others, nothing is followed.
  EXPECT_EQ(ClassifyObject(objects[3], DefaultConventions()).role,
            GetParam().source == RoleSource::kLabel ? GetParam().role : "");
}

INSTANTIATE_TEST_SUITE_P(
    Followers, RoleByTarget,
    ::testing::Values(
        FollowerCase{"{apiVersion: v1, kind: Service, metadata: {name: s, namespace: ml}, "
                     "spec: {selector: {app: ranker}}}",
                     "model-serving"},
        FollowerCase{"{apiVersion: v1, kind: Service, metadata: {name: s, namespace: ml}, "
                     "spec: {selector: {app: online}}}",
                     "feature-pipeline"},
        FollowerCase{"{apiVersion: v1, kind: Service, metadata: {name: s, namespace: other}, "
                     "spec: {selector: {app: ranker}}}",
                     ""},
        FollowerCase{"{apiVersion: v1, kind: Service, metadata: {name: s, namespace: ml}, "
                     "spec: {selector: {app: ranker, tier: cpu}}}",
                     ""},
        FollowerCase{"{apiVersion: v1, kind: Service, metadata: {name: s, namespace: ml}, "
                     "spec: {selector: {}}}",
                     ""},
        FollowerCase{"{apiVersion: v1, kind: Service, metadata: {name: s, namespace: ml}, "
                     "spec: {selector: {app: plain}}}",
                     ""},
        FollowerCase{"{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: "
                     "{name: h, namespace: ml}, spec: {scaleTargetRef: {apiVersion: apps/v1, "
                     "kind: Deployment, name: ranker}}}",
                     "model-serving"},
        FollowerCase{"{apiVersion: autoscaling/v1, kind: HorizontalPodAutoscaler, metadata: "
                     "{name: h, namespace: ml}, spec: {scaleTargetRef: {kind: StatefulSet, "
                     "name: ranker}}}",
                     ""},
        FollowerCase{"{apiVersion: keda.sh/v1alpha1, kind: ScaledObject, metadata: {name: k, "
                     "namespace: ml}, spec: {scaleTargetRef: {name: ranker}}}",
                     "model-serving"},
        FollowerCase{"{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: p, "
                     "namespace: ml}, spec: {selector: {matchLabels: {app: online}}}}",
                     "feature-pipeline"},
        FollowerCase{"{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: p, "
                     "namespace: ml}, spec: {selector: {matchExpressions: [{key: tier, "
                     "operator: In, values: [gpu]}]}}}",
                     "model-serving"},
        FollowerCase{"{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: p, "
                     "namespace: ml}, spec: {selector: {matchExpressions: [{key: tier, "
                     "operator: DoesNotExist}, {key: app, operator: NotIn, values: [plain]}]}}}",
                     "feature-pipeline"},
        FollowerCase{"{apiVersion: v1, kind: Service, metadata: {name: s, namespace: ml, "
                     "labels: {mlgitops.io/role: monitoring}}, spec: {selector: {app: ranker}}}",
                     "monitoring", RoleSource::kLabel}));

// `apps` model servers in one namespace, each with a Service, a PodDisruptionBudget and an
// HPA taking its role; every pod template and selector also carries a label all share.
std::vector<Object> ServingFleet(int apps) {
  std::string y;
  for (int i = 0; i < apps; ++i) {
    std::string a = "ranker-" + std::to_string(i);
    std::string labels = "{team: ml, app: " + a + "}";
    y += "---\n{apiVersion: apps/v1, kind: Deployment, metadata: {name: " + a +
         ", namespace: ml, labels: {mlgitops.io/role: model-serving}}, spec: {template: "
         "{metadata: {labels: " +
         labels + "}}}}\n";
    y += "---\n{apiVersion: v1, kind: Service, metadata: {name: " + a +
         ", namespace: ml}, spec: {selector: " + labels + "}}\n";
    y += "---\n{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: " + a +
         ", namespace: ml}, spec: {selector: {matchLabels: " + labels + "}}}\n";
    y += "---\n{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: " + a +
         ", namespace: ml}, spec: {scaleTargetRef: {kind: Deployment, name: " + a + "}}}\n";
  }
  return Manifests(y);
}

// Workloads checked against a follower while classifying the fleet, every follower served.
size_t ClassifyWork(int apps) {
  std::vector<Object> objects = ServingFleet(apps);
  ClassifyStats stats;
  auto classes = Classify(objects, DefaultConventions(), &stats);
  for (size_t i = 0; i < classes.size(); ++i) {
    EXPECT_EQ(classes[i].role, "model-serving") << objects[i].kind() << "/" << objects[i].name();
  }
  return stats.link_checks;
}

// Each follower looks only at the workloads it could serve, so the work grows with the objects
// (a scan of the namespace's workloads per follower made large dumps quadratic).
TEST(RoleByTarget, ClassifyWorkGrowsLinearly) {
  size_t small = ClassifyWork(50);
  EXPECT_EQ(small, 50u * 3) << "each follower checks its own workload only";
  EXPECT_EQ(ClassifyWork(200), 4 * small);
}

struct WaveCase {
  std::string annotations;
  int64_t wave;
  WaveSource source;
};

class Waves : public ::testing::TestWithParam<WaveCase> {};

TEST_P(Waves, ExplicitAnnotationsWinOverTheRoleDefault) {
  // A PVC: role storage, default wave 1.
  Object obj = testing::ParseOne(
      "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n"
      "  name: data\n  annotations: " +
      GetParam().annotations + "\n");
  Classified got = ClassifyObject(obj, DefaultConventions());
  EXPECT_EQ(got.role, "storage");
  EXPECT_EQ(got.wave, GetParam().wave) << GetParam().annotations;
  EXPECT_EQ(got.wave_source, GetParam().source) << GetParam().annotations;
}

INSTANTIATE_TEST_SUITE_P(
    Annotations, Waves,
    ::testing::Values(WaveCase{"{}", 1, WaveSource::kRoleDefault},
                      WaveCase{"{argocd.argoproj.io/sync-wave: '5'}", 5, WaveSource::kSyncWave},
                      WaveCase{"{argocd.argoproj.io/sync-wave: ' -3 '}", -3, WaveSource::kSyncWave},
                      WaveCase{"{argocd.argoproj.io/sync-wave: '+2'}", 2, WaveSource::kSyncWave},
                      WaveCase{"{argocd.argoproj.io/sync-wave: '0'}", 0, WaveSource::kSyncWave},
                      WaveCase{"{argocd.argoproj.io/sync-wave: soon}", 1, WaveSource::kRoleDefault},
                      WaveCase{"{argocd.argoproj.io/sync-wave: '1.5'}", 1,
                               WaveSource::kRoleDefault},
                      WaveCase{"{helm.sh/hook-weight: '-7'}", -7, WaveSource::kHelmHookWeight},
                      WaveCase{"{argocd.argoproj.io/sync-wave: '4', helm.sh/hook-weight: '-7'}", 4,
                               WaveSource::kSyncWave},
                      WaveCase{"{argocd.argoproj.io/sync-wave: x, helm.sh/hook-weight: '-7'}", -7,
                               WaveSource::kHelmHookWeight},
                      WaveCase{"{helm.sh/hook-weight: heavy}", 1, WaveSource::kRoleDefault}));

TEST(Waves, NoRoleMeansArgoDefaultZero) {
  Classified got =
      ClassifyObject(testing::ParseOne(Manifest("example.com/v1", "Widget")), DefaultConventions());
  EXPECT_EQ(got.role, "");
  EXPECT_EQ(got.wave, 0);
  EXPECT_EQ(got.wave_source, WaveSource::kRoleDefault);
}

TEST(ParseWave, IntegersOnly) {
  EXPECT_EQ(ParseWave("12"), 12);
  EXPECT_EQ(ParseWave("\t-12\n"), -12);
  EXPECT_EQ(ParseWave("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseWave("-9223372036854775808"), INT64_MIN);
  for (const char* bad : {"", " ", "-", "+", "1e3", "0x10", "12a", "1 2", "9223372036854775808",
                          "-9223372036854775809", "99999999999999999999"}) {
    EXPECT_FALSE(ParseWave(bad).has_value()) << "\"" << bad << "\"";
  }
}

TEST(DefaultConventions, MatchTheDesignTable) {
  const Conventions& c = DefaultConventions();
  EXPECT_EQ(c.role_waves.size(), 6u);
  EXPECT_EQ(c.DefaultWave("foundation"), 0);
  EXPECT_EQ(c.DefaultWave("storage"), 1);
  EXPECT_EQ(c.DefaultWave("feature-pipeline"), 2);
  EXPECT_EQ(c.DefaultWave("training"), 2);
  EXPECT_EQ(c.DefaultWave("model-serving"), 3);
  EXPECT_EQ(c.DefaultWave("monitoring"), 4);
  EXPECT_EQ(c.DefaultWave(""), 0);
  EXPECT_EQ(c.gpu_resources, (std::vector<std::string>{"nvidia.com/gpu", "amd.com/gpu"}));
  EXPECT_TRUE(c.rule_modes.empty());
}

TEST(LoadConventions, SampleFileIsLaidOverTheDefaults) {
  auto loaded = LoadConventions(FixturePath("conventions.yaml"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Conventions& c = *loaded;
  EXPECT_EQ(c.DefaultWave("model-serving"), 5);
  EXPECT_EQ(c.DefaultWave("batch-scoring"), 4);
  EXPECT_EQ(c.DefaultWave("storage"), 1);  // untouched default
  EXPECT_EQ(c.RoleOfKind("batch", "Job"), "batch-scoring");
  EXPECT_EQ(c.RoleOfKind("acme.io", "TrainingRun"), "training");
  EXPECT_EQ(c.RoleOfKind("batch.volcano.sh", "Job"), "");
  EXPECT_EQ(c.RoleOfKind("kubeflow.org", "TFJob"), "training");  // untouched default
  EXPECT_EQ(c.component_roles.count("triton"), 1u);
  EXPECT_EQ(c.component_roles.count("inference"), 0u);  // the list was replaced
  EXPECT_EQ(c.component_roles.count("feature-store"), 1u);
  EXPECT_EQ(c.gpu_resources.size(), 3u);
  EXPECT_EQ(c.rule_modes.at("pipeline-sla"), RuleMode::kOff);
  EXPECT_EQ(c.rule_modes.at("training-deadline"), RuleMode::kDeny);
  EXPECT_EQ(c.rule_modes.at("gpu-request-limit"), RuleMode::kWarn);

  auto objects = Manifests(
      "apiVersion: batch/v1\nkind: Job\nmetadata: {name: score}\n---\n"
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: t, labels: "
      "{app.kubernetes.io/component: triton}}\n---\n"
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: i, labels: "
      "{app.kubernetes.io/component: inference}}\n");
  auto classes = Classify(objects, c);
  EXPECT_EQ(classes[0].role, "batch-scoring");
  EXPECT_EQ(classes[0].wave, 4);
  EXPECT_EQ(classes[1].role, "model-serving");
  EXPECT_EQ(classes[1].wave, 5);
  EXPECT_EQ(classes[2].role, "");
}

TEST(LoadConventions, InheritDefaultsFalseStartsEmpty) {
  auto parsed = ParseConventions(
      "inheritDefaults: false\nroles: {serving: 7}\n"
      "kinds: {serving: [serving.kserve.io/InferenceService]}\n",
      "mine.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->role_waves.size(), 1u);
  EXPECT_EQ(parsed->kind_roles.size(), 1u);
  EXPECT_TRUE(parsed->component_roles.empty());
  EXPECT_TRUE(parsed->gpu_resources.empty());
  EXPECT_EQ(parsed->RoleOfKind("batch", "Job"), "");
}

TEST(LoadConventions, EmptyFileMeansDefaults) {
  auto parsed = ParseConventions("# nothing\n", "empty.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->role_waves, DefaultConventions().role_waves);
  EXPECT_EQ(parsed->kind_roles, DefaultConventions().kind_roles);
}

TEST(LoadConventions, RuleModeSpellings) {
  auto parsed = ParseConventions(
      "rules: {wave-invalid: warn, pipeline-sla: enforce, training-deadline: 'off', "
      "gpu-request-limit: off, serving-readiness-probe: deny}\n",
      "modes.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->rule_modes.at("wave-invalid"), RuleMode::kWarn);
  EXPECT_EQ(parsed->rule_modes.at("pipeline-sla"), RuleMode::kDeny);
  EXPECT_EQ(parsed->rule_modes.at("training-deadline"), RuleMode::kOff);
  EXPECT_EQ(parsed->rule_modes.at("gpu-request-limit"), RuleMode::kOff);
  EXPECT_EQ(parsed->rule_modes.at("serving-readiness-probe"), RuleMode::kDeny);
}

struct BadConfig {
  std::string yaml;
  std::string field;  // the error must name it
};

class BadConventions : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConventions, ErrorNamesFileAndField) {
  testing::TempDir dir;
  std::string path = dir.Write("conv.yaml", GetParam().yaml);
  auto loaded = LoadConventions(path);
  ASSERT_FALSE(loaded.ok()) << GetParam().yaml;
  const std::string& message = loaded.status().message();
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find(GetParam().field), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, BadConventions,
    ::testing::Values(
        BadConfig{"roles: {training: two}\n", "roles.training: expected an integer wave"},
        BadConfig{"roles: {training: 1.5}\n", "roles.training"},
        BadConfig{"roles: [training]\n", "roles: expected a mapping"},
        BadConfig{"roles: {none: 1}\n", "roles.none: reserved"},
        BadConfig{"kinds: {trainer: [batch/Job]}\n", "kinds.trainer: unknown role \"trainer\""},
        BadConfig{"kinds: {training: [batch/Job, 'batch/']}\n", "kinds.training[1]"},
        BadConfig{"kinds: {training: [batch/Job, 7]}\n", "kinds.training[1]"},
        BadConfig{"kinds: {training: batch/Job}\n", "kinds.training: expected a list"},
        BadConfig{"kinds: {training: [batch/Job], storage: [batch/Job]}\n",
                  "kinds.storage[0]: \"batch/Job\" is also listed under training"},
        BadConfig{"components: {serving: [x]}\n", "components.serving: unknown role"},
        BadConfig{"components: {model-serving: [x], feature-pipeline: [x]}\n",
                  "components.feature-pipeline[0]"},
        BadConfig{"gpuResources: nvidia.com/gpu\n", "gpuResources: expected a list"},
        BadConfig{"rules: {no-such-rule: warn}\n", "rules.no-such-rule: unknown rule"},
        BadConfig{"rules: {pipeline-sla: maybe}\n", "rules.pipeline-sla: expected deny, warn"},
        BadConfig{"rules: {pipeline-sla: on}\n", "rules.pipeline-sla"},
        BadConfig{"inheritDefaults: perhaps\n", "inheritDefaults: expected true or false"},
        BadConfig{"rols: {training: 1}\n", "rols: unknown field"},
        BadConfig{"- a\n- b\n", "(top level): expected a mapping"},
        BadConfig{"roles: {a: 1}\n---\nroles: {b: 2}\n", "expected one YAML document"},
        BadConfig{"roles: {training: [unclosed\n", "line"}));

TEST(LoadConventions, MissingFileNamesIt) {
  auto loaded = LoadConventions("/nonexistent/mlgitops/conventions.yaml");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("/nonexistent/mlgitops/conventions.yaml"),
            std::string::npos)
      << loaded.status().message();
}

}  // namespace
}  // namespace mlgitops
