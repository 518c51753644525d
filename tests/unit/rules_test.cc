// Tests of the policy rules: each rule fires, stays quiet, obeys off and severity modes.
#include "policy/rules.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "object/yaml_loader.h"
#include "test_util.h"

namespace mlgitops {
namespace {

std::vector<Object> Manifests(std::string_view yaml) {
  auto objects = ParseManifests(yaml, "rules_test.yaml");
  EXPECT_TRUE(objects.ok()) << objects.status().ToString();
  return objects.ok() ? std::move(objects).value() : std::vector<Object>();
}

std::vector<Finding> FindingsOf(std::string_view rule, const std::vector<Finding>& all) {
  std::vector<Finding> out;
  for (const Finding& f : all) {
    if (f.rule == rule) out.push_back(f);
  }
  return out;
}

std::string Messages(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) out += "  [" + f.rule + "] " + f.message + "\n";
  return out;
}

Conventions WithMode(std::string_view rule, RuleMode mode) {
  Conventions c = DefaultConventions();
  c.rule_modes[std::string(rule)] = mode;
  return c;
}

struct RuleCase {
  std::string name;
  std::string_view rule;
  std::string firing;  // a YAML stream on which the rule reports
  std::string quiet;   // a YAML stream on which it does not
  std::vector<std::string> message_parts;
};

void PrintTo(const RuleCase& c, std::ostream* os) { *os << c.name; }

class EveryRule : public ::testing::TestWithParam<RuleCase> {};

TEST_P(EveryRule, FiresWithItsDefaultSeverityAndAnActionableMessage) {
  const RuleCase& c = GetParam();
  auto found = FindingsOf(c.rule, Lint(Manifests(c.firing), DefaultConventions()));
  ASSERT_FALSE(found.empty()) << c.name;
  EXPECT_EQ(found[0].severity, FindRule(c.rule)->default_severity);
  for (const std::string& part : c.message_parts) {
    EXPECT_NE(found[0].message.find(part), std::string::npos) << "missing \"" << part << "\" in:\n"
                                                              << Messages(found);
  }
  EXPECT_NE(found[0].origin.find("rules_test.yaml"), std::string::npos);
}

TEST_P(EveryRule, StaysQuietOnConformingObjects) {
  const RuleCase& c = GetParam();
  auto all = Lint(Manifests(c.quiet), DefaultConventions());
  EXPECT_TRUE(FindingsOf(c.rule, all).empty()) << Messages(all);
}

TEST_P(EveryRule, ModeOffDisablesIt) {
  const RuleCase& c = GetParam();
  auto all = Lint(Manifests(c.firing), WithMode(c.rule, RuleMode::kOff));
  EXPECT_TRUE(FindingsOf(c.rule, all).empty()) << Messages(all);
}

TEST_P(EveryRule, ModeOverridesSeverity) {
  const RuleCase& c = GetParam();
  bool denies = FindRule(c.rule)->default_severity == Severity::kDeny;
  auto found = FindingsOf(
      c.rule,
      Lint(Manifests(c.firing), WithMode(c.rule, denies ? RuleMode::kWarn : RuleMode::kDeny)));
  ASSERT_FALSE(found.empty());
  for (const Finding& f : found) {
    EXPECT_EQ(f.severity, denies ? Severity::kWarn : Severity::kDeny) << f.message;
  }
}

const char kServingDeployment[] = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: ranker, namespace: ml, labels: {app.kubernetes.io/component: model-server}}
spec:
  template:
    spec:
      containers:
        - name: server
          image: triton
          ports: [{containerPort: 8000}]
          %PROBE%
        - name: log-shipper
          image: fluent-bit
)";

std::string ServingDeployment(const std::string& probe) {
  std::string yaml = kServingDeployment;
  yaml.replace(yaml.find("%PROBE%"), 7, probe);
  return yaml;
}

std::string GpuContainer(const std::string& request, const std::string& limit) {
  std::string resources =
      "{requests: {" + request + "}" + (limit.empty() ? "" : ", limits: {" + limit + "}") + "}";
  return "[{name: server, image: i, resources: " + resources + "}]";
}

INSTANTIATE_TEST_SUITE_P(
    Rules, EveryRule,
    ::testing::Values(
        RuleCase{"wave-invalid/sync-wave",
                 kRuleWaveInvalid,
                 "{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: ml, "
                 "annotations: {argocd.argoproj.io/sync-wave: soon}}}",
                 "{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: ml, "
                 "annotations: {argocd.argoproj.io/sync-wave: ' -2 '}}}",
                 {"ConfigMap ml/cfg: annotation argocd.argoproj.io/sync-wave \"soon\" is not an "
                  "integer",
                  "syncs in wave 0 (the foundation default)"}},
        RuleCase{"wave-invalid/hook-weight",
                 kRuleWaveInvalid,
                 "{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: d, annotations: "
                 "{helm.sh/hook-weight: heavy, argocd.argoproj.io/sync-wave: '7'}}}",
                 "{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: d, annotations: "
                 "{helm.sh/hook-weight: '-1'}}}",
                 {"PersistentVolumeClaim d: annotation helm.sh/hook-weight \"heavy\"",
                  "wave 7 (from argocd.argoproj.io/sync-wave)"}},
        RuleCase{"wave-invalid/unquoted-number",
                 kRuleWaveInvalid,
                 "{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: d, annotations: "
                 "{argocd.argoproj.io/sync-wave: 5}}}",
                 "{apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: d, annotations: "
                 "{argocd.argoproj.io/sync-wave: '5'}}}",
                 {"sync-wave 5 (not a string) is not an integer string",
                  "wave 1 (the storage "
                  "default)"}},
        RuleCase{"label-role-unknown",
                 kRuleLabelRoleUnknown,
                 "{apiVersion: batch/v1, kind: Job, metadata: {name: train, namespace: ml, "
                 "labels: {mlgitops.io/role: trainer}}, spec: {backoffLimit: 1}}",
                 "{apiVersion: batch/v1, kind: Job, metadata: {name: train, namespace: ml, "
                 "labels: {mlgitops.io/role: training}}, spec: {backoffLimit: 1}}",
                 {"Job ml/train: label mlgitops.io/role \"trainer\" is not a known role",
                  "treated as training (role from its kind)", "use one of:"}},
        RuleCase{"serving-readiness-probe/deployment",
                 kRuleServingReadinessProbe,
                 ServingDeployment(""),
                 ServingDeployment("readinessProbe: {httpGet: {path: /v2/health/ready, port: "
                                   "8000}}"),
                 {"Deployment ml/ranker: container \"server\" has no readinessProbe; "
                  "model-serving pods must report readiness"}},
        RuleCase{"serving-readiness-probe/labelled-statefulset",
                 kRuleServingReadinessProbe,
                 "{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: llm, labels: "
                 "{mlgitops.io/role: model-serving}}, spec: {template: {spec: {containers: "
                 "[{name: vllm, image: v}]}}}}",
                 "{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: llm}, spec: "
                 "{template: {spec: {containers: [{name: vllm, image: v}]}}}}",
                 {"StatefulSet llm: container \"vllm\" has no readinessProbe"}},
        RuleCase{"training-backoff-limit/job",
                 kRuleTrainingBackoffLimit,
                 "{apiVersion: batch/v1, kind: Job, metadata: {name: train, namespace: ml}, "
                 "spec: {activeDeadlineSeconds: 60}}",
                 "{apiVersion: batch/v1, kind: Job, metadata: {name: train, namespace: ml}, "
                 "spec: {backoffLimit: 0}}",
                 {"Job ml/train: training job has no spec.backoffLimit"}},
        RuleCase{"training-backoff-limit/pytorchjob",
                 kRuleTrainingBackoffLimit,
                 "{apiVersion: kubeflow.org/v1, kind: PyTorchJob, metadata: {name: bert}, spec: "
                 "{runPolicy: {activeDeadlineSeconds: 60}}}",
                 "{apiVersion: kubeflow.org/v1, kind: PyTorchJob, metadata: {name: bert}, spec: "
                 "{runPolicy: {backoffLimit: 3}}}",
                 {"PyTorchJob bert: training job has no spec.runPolicy.backoffLimit"}},
        RuleCase{"training-backoff-limit/rayjob",
                 kRuleTrainingBackoffLimit,
                 "{apiVersion: ray.io/v1, kind: RayJob, metadata: {name: r}, spec: {}}",
                 "{apiVersion: ray.io/v1, kind: RayJob, metadata: {name: r, labels: "
                 "{mlgitops.io/role: feature-pipeline}}, spec: {}}",
                 {"RayJob r: training job has no spec.backoffLimit"}},
        RuleCase{"training-deadline/job",
                 kRuleTrainingDeadline,
                 "{apiVersion: batch/v1, kind: Job, metadata: {name: train}, spec: "
                 "{backoffLimit: 2}}",
                 "{apiVersion: batch/v1, kind: Job, metadata: {name: train}, spec: "
                 "{backoffLimit: 2, activeDeadlineSeconds: 3600}}",
                 {"Job train: training job has no run time bound; set "
                  "spec.activeDeadlineSeconds"}},
        RuleCase{"training-deadline/tfjob",
                 kRuleTrainingDeadline,
                 "{apiVersion: kubeflow.org/v1, kind: TFJob, metadata: {name: t}, spec: "
                 "{runPolicy: {backoffLimit: 1, activeDeadlineSeconds: 0}}}",
                 "{apiVersion: kubeflow.org/v1, kind: TFJob, metadata: {name: t}, spec: "
                 "{runPolicy: {backoffLimit: 1, activeDeadlineSeconds: 7200}}}",
                 {"set spec.runPolicy.activeDeadlineSeconds"}},
        RuleCase{"training-deadline/trainjob",
                 kRuleTrainingDeadline,
                 "{apiVersion: trainer.kubeflow.org/v1alpha1, kind: TrainJob, metadata: {name: "
                 "t}, spec: {}}",
                 "{apiVersion: trainer.kubeflow.org/v1alpha1, kind: TrainJob, metadata: {name: "
                 "t}, spec: {activeDeadlineSeconds: 600}}",
                 {"TrainJob t: training job has no run time bound"}},
        RuleCase{"pipeline-sla/cronjob",
                 kRulePipelineSla,
                 "{apiVersion: batch/v1, kind: CronJob, metadata: {name: features, namespace: "
                 "ml}, spec: {schedule: '@hourly'}}",
                 "{apiVersion: batch/v1, kind: CronJob, metadata: {name: features, namespace: "
                 "ml, annotations: {mlgitops.io/sla: 6h}}, spec: {schedule: '@hourly'}}",
                 {"CronJob ml/features: no mlgitops.io/sla annotation", "\"6h\""}},
        RuleCase{"pipeline-sla/cronworkflow",
                 kRulePipelineSla,
                 "{apiVersion: argoproj.io/v1alpha1, kind: CronWorkflow, metadata: {name: etl, "
                 "annotations: {mlgitops.io/sla: soon}}}",
                 "{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: etl}}",
                 {"CronWorkflow etl: annotation mlgitops.io/sla \"soon\" is not a positive "
                  "duration"}},
        RuleCase{"pipeline-sla/unquoted-number",
                 kRulePipelineSla,
                 "{apiVersion: batch/v1, kind: CronJob, metadata: {name: f, annotations: "
                 "{mlgitops.io/sla: 3600}}}",
                 "{apiVersion: batch/v1, kind: CronJob, metadata: {name: f, annotations: "
                 "{mlgitops.io/sla: '3600'}}}",
                 {"mlgitops.io/sla 3600 (not a string) is not a positive duration"}},
        RuleCase{"pipeline-sla/scheduledspark",
                 kRulePipelineSla,
                 "{apiVersion: sparkoperator.k8s.io/v1beta2, kind: ScheduledSparkApplication, "
                 "metadata: {name: agg, annotations: {mlgitops.io/sla: '0'}}}",
                 "{apiVersion: sparkoperator.k8s.io/v1beta2, kind: ScheduledSparkApplication, "
                 "metadata: {name: agg, annotations: {mlgitops.io/sla: 1d}}}",
                 {"\"0\" is not a positive duration"}},
        RuleCase{"gpu-request-limit/deployment-no-limit",
                 kRuleGpuRequestLimit,
                 "{apiVersion: apps/v1, kind: Deployment, metadata: {name: w, namespace: ml}, "
                 "spec: {template: {spec: {containers: " +
                     GpuContainer("nvidia.com/gpu: 1", "") + "}}}}",
                 "{apiVersion: apps/v1, kind: Deployment, metadata: {name: w, namespace: ml}, "
                 "spec: {template: {spec: {containers: " +
                     GpuContainer("nvidia.com/gpu: '1'", "nvidia.com/gpu: 1") + "}}}}",
                 {"Deployment ml/w: container \"server\" (spec.template.spec.containers[0]) "
                  "requests nvidia.com/gpu 1 without a limit",
                  "limits[\"nvidia.com/gpu\"] to 1"}},
        RuleCase{"gpu-request-limit/cronjob-mismatch",
                 kRuleGpuRequestLimit,
                 "{apiVersion: batch/v1, kind: CronJob, metadata: {name: c, annotations: "
                 "{mlgitops.io/sla: 1h}}, spec: {jobTemplate: {spec: {template: {spec: "
                 "{containers: " +
                     GpuContainer("nvidia.com/gpu: 2", "nvidia.com/gpu: 1") + "}}}}}}",
                 "{apiVersion: batch/v1, kind: CronJob, metadata: {name: c, annotations: "
                 "{mlgitops.io/sla: 1h}}, spec: {jobTemplate: {spec: {template: {spec: "
                 "{containers: " +
                     GpuContainer("cpu: 2", "nvidia.com/gpu: 1") + "}}}}}}",
                 {"(spec.jobTemplate.spec.template.spec.containers[0]) requests nvidia.com/gpu 2 "
                  "but limits it to 1"}},
        RuleCase{"gpu-request-limit/pytorchjob",
                 kRuleGpuRequestLimit,
                 "{apiVersion: kubeflow.org/v1, kind: PyTorchJob, metadata: {name: p}, spec: "
                 "{runPolicy: {backoffLimit: 1, activeDeadlineSeconds: 9}, pytorchReplicaSpecs: "
                 "{Master: {template: {spec: {containers: " +
                     GpuContainer("nvidia.com/gpu: 1", "nvidia.com/gpu: 1") +
                     "}}}, Worker: {template: {spec: {containers: " +
                     GpuContainer("nvidia.com/gpu: 8", "nvidia.com/gpu: 4") + "}}}}}}",
                 "{apiVersion: kubeflow.org/v1, kind: PyTorchJob, metadata: {name: p}, spec: "
                 "{pytorchReplicaSpecs: {Worker: {template: {spec: {containers: " +
                     GpuContainer("nvidia.com/gpu: 8", "nvidia.com/gpu: 8") + "}}}}}}",
                 {"(spec.pytorchReplicaSpecs.Worker.template.spec.containers[0])"}},
        RuleCase{"gpu-request-limit/rayjob-worker-group",
                 kRuleGpuRequestLimit,
                 "{apiVersion: ray.io/v1, kind: RayJob, metadata: {name: r}, spec: "
                 "{rayClusterSpec: {headGroupSpec: {template: {spec: {containers: [{name: head, "
                 "image: ray}]}}}, workerGroupSpecs: [{groupName: gpu, template: {spec: "
                 "{containers: " +
                     GpuContainer("nvidia.com/gpu: 1", "") + "}}}]}}}",
                 "{apiVersion: ray.io/v1, kind: RayJob, metadata: {name: r}, spec: "
                 "{rayClusterSpec: {workerGroupSpecs: [{template: {spec: {containers: " +
                     GpuContainer("cpu: 1", "nvidia.com/gpu: 1") + "}}}]}}}",
                 {"(spec.rayClusterSpec.workerGroupSpecs[0].template.spec.containers[0])"}},
        RuleCase{"gpu-request-limit/pod-init-amd",
                 kRuleGpuRequestLimit,
                 "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {initContainers: [{name: "
                 "warm, image: i, resources: {requests: {amd.com/gpu: 1}, limits: {amd.com/gpu: "
                 "2}}}], containers: [{name: main, image: i}]}}",
                 "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: "
                 "main, image: i, resources: {requests: {amd.com/gpu: 2}, limits: {amd.com/gpu: "
                 "2}}}]}}",
                 {"Pod p: container \"warm\" (spec.initContainers[0]) requests amd.com/gpu 1 but "
                  "limits it to 2"}},
        RuleCase{"gpu-request-limit/inferenceservice-model",
                 kRuleGpuRequestLimit,
                 "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: "
                 "{name: isvc}, spec: {predictor: {model: {modelFormat: {name: pytorch}, "
                 "resources: {requests: {nvidia.com/gpu: 1}}}}}}",
                 "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: "
                 "{name: isvc}, spec: {predictor: {model: {modelFormat: {name: pytorch}, "
                 "resources: {requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 1}}}}}}",
                 {"container \"model\" (spec.predictor.model) requests nvidia.com/gpu 1"}},
        RuleCase{"gpu-request-limit/argo-workflow-template",
                 kRuleGpuRequestLimit,
                 "{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: wf}, spec: "
                 "{templates: [{name: train, container: {image: t, resources: {requests: "
                 "{nvidia.com/gpu: 2}}}}]}}",
                 "{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: wf}, spec: "
                 "{templates: [{name: train, container: {image: t, resources: {limits: "
                 "{nvidia.com/gpu: 2}}}}]}}",
                 {"container \"train\" (spec.templates[0].container)"}},
        RuleCase{"gpu-request-limit/trainjob",
                 kRuleGpuRequestLimit,
                 "{apiVersion: trainer.kubeflow.org/v1alpha1, kind: TrainJob, metadata: {name: "
                 "t}, spec: {activeDeadlineSeconds: 5, trainer: {resourcesPerNode: {requests: "
                 "{nvidia.com/gpu: 4}, limits: {nvidia.com/gpu: 2}}}}}",
                 "{apiVersion: trainer.kubeflow.org/v1alpha1, kind: TrainJob, metadata: {name: "
                 "t}, spec: {trainer: {resourcesPerNode: {limits: {nvidia.com/gpu: 2}}}}}",
                 {"container \"trainer\" (spec.trainer.resourcesPerNode) requests nvidia.com/gpu "
                  "4 but limits it to 2"}},
        RuleCase{"serving-before-pipeline",
                 kRuleServingBeforePipeline,
                 "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: "
                 "{name: ranker, namespace: ml, annotations: {argocd.argoproj.io/sync-wave: "
                 "'1'}}}\n---\n{apiVersion: batch/v1, kind: CronJob, metadata: {name: features, "
                 "namespace: ml, annotations: {mlgitops.io/sla: 1h}}}",
                 "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: "
                 "{name: ranker, namespace: ml}}\n---\n{apiVersion: batch/v1, kind: CronJob, "
                 "metadata: {name: features, namespace: ml, annotations: {mlgitops.io/sla: 1h}}}",
                 {"InferenceService ml/ranker: model-serving object in wave 1 syncs before "
                  "feature-pipeline CronJob ml/features in wave 2",
                  "move it to wave 2 or later"}}),
    [](const ::testing::TestParamInfo<RuleCase>& info) {
      std::string name = info.param.name;
      for (char& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return name;
    });

TEST(ServingReadinessProbe, NamesOnlyTheServingContainers) {
  auto found = FindingsOf(kRuleServingReadinessProbe,
                          Lint(Manifests(ServingDeployment("")), DefaultConventions()));
  ASSERT_EQ(found.size(), 1u) << Messages(found);
  EXPECT_EQ(found[0].message.find("log-shipper"), std::string::npos);
  EXPECT_EQ(found[0].object, (ObjectRef{"apps", "Deployment", "ml", "ranker"}));
}

TEST(ServingReadinessProbe, DeploymentWithoutServingRoleIsNotChecked) {
  auto objects = Manifests(
      "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {template: {spec: "
      "{containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}}}}");
  EXPECT_TRUE(FindingsOf(kRuleServingReadinessProbe, Lint(objects, DefaultConventions())).empty());
}

TEST(GpuRequestLimit, EveryMismatchedContainerIsNamed) {
  auto objects = Manifests(
      "{apiVersion: kubeflow.org/v1, kind: PyTorchJob, metadata: {name: p}, spec: "
      "{pytorchReplicaSpecs: {Master: {template: {spec: {containers: " +
      GpuContainer("nvidia.com/gpu: 1", "") + "}}}, Worker: {template: {spec: {containers: " +
      GpuContainer("nvidia.com/gpu: 2", "nvidia.com/gpu: 1") + "}}}}}}");
  auto found = FindingsOf(kRuleGpuRequestLimit, Lint(objects, DefaultConventions()));
  ASSERT_EQ(found.size(), 2u) << Messages(found);
  EXPECT_NE(found[0].message.find("Master"), std::string::npos);
  EXPECT_NE(found[1].message.find("Worker"), std::string::npos);
}

TEST(GpuRequestLimit, ConfiguredResourceNamesAreChecked) {
  Conventions c = DefaultConventions();
  c.gpu_resources = {"habana.ai/gaudi"};
  auto objects = Manifests("{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: " +
                           GpuContainer("habana.ai/gaudi: 1, nvidia.com/gpu: 1", "") + "}}");
  auto found = FindingsOf(kRuleGpuRequestLimit, Lint(objects, c));
  ASSERT_EQ(found.size(), 1u) << Messages(found);
  EXPECT_NE(found[0].message.find("habana.ai/gaudi"), std::string::npos);
}

TEST(ServingBeforePipeline, NamesTheLatestPipeline) {
  auto objects = Manifests(
      "{apiVersion: ray.io/v1, kind: RayService, metadata: {name: serve}}\n---\n"
      "{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: early}}\n---\n"
      "{apiVersion: argoproj.io/v1alpha1, kind: Workflow, metadata: {name: late, annotations: "
      "{argocd.argoproj.io/sync-wave: '9'}}}\n---\n"
      "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: after, "
      "annotations: {argocd.argoproj.io/sync-wave: '9'}}}");
  auto found = FindingsOf(kRuleServingBeforePipeline, Lint(objects, DefaultConventions()));
  ASSERT_EQ(found.size(), 1u) << Messages(found);
  EXPECT_EQ(found[0].object.name, "serve");
  EXPECT_NE(found[0].message.find("Workflow late in wave 9"), std::string::npos)
      << found[0].message;
}

TEST(CheckObject, OneObjectGivesWhatLintGivesForIt) {
  // The webhook sees one object at a time; its findings must match `lint`'s.
  auto objects = Manifests(ServingDeployment("") +
                           "\n---\n{apiVersion: batch/v1, kind: Job, metadata: {name: j, "
                           "annotations: {argocd.argoproj.io/sync-wave: x}}}");
  auto lint = Lint(objects, DefaultConventions());
  std::vector<Finding> single;
  for (const Object& obj : objects) {
    auto more = CheckObject(obj, ClassifyObject(obj, DefaultConventions()), DefaultConventions());
    single.insert(single.end(), more.begin(), more.end());
  }
  ASSERT_EQ(single.size(), lint.size()) << Messages(lint);
  for (size_t i = 0; i < lint.size(); ++i) {
    EXPECT_EQ(single[i].rule, lint[i].rule);
    EXPECT_EQ(single[i].message, lint[i].message);
  }
  EXPECT_EQ(lint.size(), 4u) << Messages(lint);  // probe, wave, backoff, deadline
  EXPECT_EQ(CountDenials(lint), 2u);
}

TEST(Lint, WellFormedAppHasNoFindings) {
  auto objects = LoadManifestFile(testing::SourceDir() + "/tests/fixtures/policy/ml-app.yaml");
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  ASSERT_EQ(objects->size(), 9u);
  auto findings = Lint(*objects, DefaultConventions());
  EXPECT_TRUE(findings.empty()) << Messages(findings);
}

TEST(FindingsToJson, FieldsInOrder) {
  auto findings = Lint(Manifests(ServingDeployment("")), DefaultConventions());
  ASSERT_EQ(findings.size(), 1u);
  rapidjson::Document doc;
  doc.Parse(FindingsToJson(findings).c_str());
  ASSERT_TRUE(doc.IsArray() && doc.Size() == 1);
  std::vector<std::string> keys;
  for (auto it = doc[0].MemberBegin(); it != doc[0].MemberEnd(); ++it) {
    keys.push_back(it->name.GetString());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"rule", "severity", "kind", "namespace", "name",
                                            "origin", "message"}));
  EXPECT_STREQ(doc[0]["rule"].GetString(), "serving-readiness-probe");
  EXPECT_STREQ(doc[0]["severity"].GetString(), "deny");
  EXPECT_STREQ(doc[0]["kind"].GetString(), "Deployment");
  EXPECT_STREQ(doc[0]["namespace"].GetString(), "ml");
  EXPECT_STREQ(doc[0]["name"].GetString(), "ranker");
  EXPECT_EQ(std::string(doc[0]["message"].GetString()), findings[0].message);
  EXPECT_EQ(FindingsToJson({}), "[]");
}

}  // namespace
}  // namespace mlgitops
