// Agreement of the admission webhook with `lint`: every rule's findings give the same decision
// through Lint and through HandleAdmission(/validate), for the default and a configured mode.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "admission/policy.h"
#include "admission_test_util.h"
#include "policy/rules.h"

namespace mlgitops {
namespace {

using testing::ReadAnswer;
using testing::ReviewOf;

struct AgreementCase {
  std::string name;
  std::string yaml;
  std::set<std::string> denies;  // what the rules must say: the table's own expectation
  std::set<std::string> warns;
};

void PrintTo(const AgreementCase& c, std::ostream* os) { *os << c.name; }

const AgreementCase kCases[] = {
    {"model_server_without_readiness_probe",
     "{apiVersion: apps/v1, kind: Deployment, metadata: {name: ranker, namespace: ml, labels: "
     "{app.kubernetes.io/component: model-server}}, spec: {template: {spec: {containers: "
     "[{name: triton, image: t, ports: [{containerPort: 8000}]}]}}}}",
     {"serving-readiness-probe"},
     {}},
    {"model_server_with_readiness_probe",
     "{apiVersion: apps/v1, kind: Deployment, metadata: {name: ranker, namespace: ml, labels: "
     "{app.kubernetes.io/component: model-server}}, spec: {template: {spec: {containers: "
     "[{name: triton, image: t, readinessProbe: {httpGet: {path: /v2/health/ready, port: "
     "8000}}}]}}}}",
     {},
     {}},
    {"configmap_without_wave",
     "{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: ml}}",
     {},
     {}},
    {"configmap_with_non_integer_wave",
     "{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: ml, annotations: "
     "{argocd.argoproj.io/sync-wave: soon}}}",
     {"wave-invalid"},
     {}},
    {"training_job_without_bounds",
     "{apiVersion: batch/v1, kind: Job, metadata: {name: train, namespace: ml}, spec: "
     "{template: {spec: {containers: [{name: t, image: t}]}}}}",
     {},
     {"training-backoff-limit", "training-deadline"}},
    {"gpu_request_differs_from_limit",
     "{apiVersion: v1, kind: Pod, metadata: {name: p, namespace: ml}, spec: {containers: "
     "[{name: t, image: t, resources: {requests: {nvidia.com/gpu: 2}, limits: {nvidia.com/gpu: "
     "1}}}]}}",
     {"gpu-request-limit"},
     {}},
    {"cronjob_without_sla",
     "{apiVersion: batch/v1, kind: CronJob, metadata: {name: features, namespace: ml}, spec: "
     "{schedule: '0 * * * *'}}",
     {},
     {"pipeline-sla"}},
    {"unknown_role_label",
     "{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: ml, labels: "
     "{mlgitops.io/role: serving}}}",
     {},
     {"label-role-unknown"}},
    {"inferenceservice_without_model",
     "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: isvc, "
     "namespace: ml}, spec: {predictor: {model: {modelFormat: {name: sklearn}}}}}",
     {"inferenceservice-model"},
     {}},
    {"inferenceservice_with_storage_uri",
     "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: isvc, "
     "namespace: ml}, spec: {predictor: {model: {modelFormat: {name: sklearn}, storageUri: "
     "'gs://models/iris'}}}}",
     {},
     {}},
    {"application_path_escapes",
     "{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: a, namespace: "
     "argocd}, spec: {source: {repoURL: 'https://g/r.git', path: apps/../../etc}, destination: "
     "{server: 'https://kubernetes.default.svc', namespace: ml}}}",
     {"application-path"},
     {}},
    {"application_without_destination_namespace",
     "{apiVersion: mlgitops.io/v1alpha1, kind: Application, metadata: {name: a, namespace: "
     "argocd}, spec: {source: {repoURL: 'https://g/r.git', path: apps}, destination: {server: "
     "'https://kubernetes.default.svc'}}}",
     {"application-destination"},
     {}},
    {"application_with_non_integer_wave",
     "{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: a, namespace: "
     "argocd, annotations: {argocd.argoproj.io/sync-wave: '1.5'}}, spec: {source: {repoURL: "
     "'https://g/r.git', path: apps}, destination: {namespace: ml}}}",
     {"wave-invalid"},
     {}},
    {"valid_application",
     "{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: a, namespace: "
     "argocd}, spec: {sources: [{repoURL: 'https://g/r.git', path: ./apps/../apps}], "
     "destination: {namespace: ml}}}",
     {},
     {}},
    {"namespace", "{apiVersion: v1, kind: Namespace, metadata: {name: ml}}", {}, {}},
};

std::set<std::string> RulesOf(const std::vector<Finding>& findings, Severity severity) {
  std::set<std::string> rules;
  for (const Finding& f : findings) {
    if (f.severity == severity) rules.insert(f.rule);
  }
  return rules;
}

class AdmissionAgreement : public ::testing::TestWithParam<AgreementCase> {
 protected:
  /// Lint and /validate on the case's object under `config`; both must give the same.
  void ExpectAgreement(const WebhookConfig& config, const std::set<std::string>& denies,
                       const std::set<std::string>& warns) {
    const AgreementCase& c = GetParam();
    std::vector<Object> objects;
    objects.push_back(testing::ParseOne(c.yaml));
    std::vector<Finding> lint = Lint(objects, config.conventions);
    ASSERT_EQ(RulesOf(lint, Severity::kDeny), denies);
    ASSERT_EQ(RulesOf(lint, Severity::kWarn), warns);

    AdmissionOutcome outcome =
        HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(c.yaml), config);
    testing::Answer answer = ReadAnswer(outcome);
    EXPECT_EQ(answer.allowed, denies.empty()) << outcome.body;
    EXPECT_FALSE(answer.has_patch);
    EXPECT_EQ(std::set<std::string>(outcome.denied_rules.begin(), outcome.denied_rules.end()),
              denies);
    EXPECT_EQ(std::set<std::string>(outcome.warned_rules.begin(), outcome.warned_rules.end()),
              warns);
    EXPECT_EQ(outcome.result, denies.empty() ? "allowed" : "denied");
    size_t warn_count = 0;
    for (const Finding& f : lint) {
      if (f.severity == Severity::kDeny) {
        // The denial carries lint's own words, object name included.
        EXPECT_NE(answer.message.find(f.rule + ": " + f.message), std::string::npos)
            << answer.message;
        continue;
      }
      ASSERT_LT(warn_count, answer.warnings.size());
      const std::string& warning = answer.warnings[warn_count++];
      EXPECT_EQ(warning.rfind(f.rule + ": ", 0), 0u) << warning;
      EXPECT_LE(warning.size(), kMaxAdmissionWarningLength) << warning;
    }
    EXPECT_EQ(answer.warnings.size(), warn_count);
    if (!denies.empty()) {
      EXPECT_EQ(GetInt(answer.review, "response.status.code"), 403);
      EXPECT_EQ(GetString(answer.review, "response.status.reason"), "Forbidden");
    }
  }
};

TEST_P(AdmissionAgreement, ValidateDecidesWhatLintFinds) {
  ExpectAgreement(WebhookConfig(), GetParam().denies, GetParam().warns);
}

TEST_P(AdmissionAgreement, ConfiguredModesSwapDenyAndWarnInBoth) {
  // Every rule's mode flipped (deny <-> warn) in one config file, read the way both read it.
  std::string rules = "rules:\n";
  std::set<std::string> denies, warns;
  for (const std::string& rule : GetParam().denies) {
    rules += "  " + rule + ": warn\n";
    warns.insert(rule);
  }
  for (const std::string& rule : GetParam().warns) {
    rules += "  " + rule + ": enforce\n";
    denies.insert(rule);
  }
  auto config = ParseWebhookConfig(rules.size() > 7 ? rules : "", "flipped.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ExpectAgreement(*config, denies, warns);
}

TEST_P(AdmissionAgreement, RulesSetOffAreSilentInBoth) {
  std::string rules = "rules:\n";
  for (const auto& set : {GetParam().denies, GetParam().warns}) {
    for (const std::string& rule : set) rules += "  " + rule + ": off\n";
  }
  auto config = ParseWebhookConfig(rules.size() > 7 ? rules : "", "off.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ExpectAgreement(*config, {}, {});
}

INSTANTIATE_TEST_SUITE_P(Admission, AdmissionAgreement, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<AgreementCase>& info) {
                           return info.param.name;
                         });

TEST(AdmissionValidate, OneMessageNamesTheObjectAndEveryDenial) {
  std::string yaml =
      "{apiVersion: apps/v1, kind: Deployment, metadata: {name: ranker, namespace: ml, labels: "
      "{app.kubernetes.io/component: model-server}, annotations: {argocd.argoproj.io/sync-wave: "
      "later}}, spec: {template: {spec: {containers: [{name: triton, image: t, resources: "
      "{requests: {nvidia.com/gpu: 1}}}]}}}}";
  AdmissionOutcome outcome = HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(yaml), {});
  testing::Answer answer = ReadAnswer(outcome);
  EXPECT_FALSE(answer.allowed);
  EXPECT_EQ(
      outcome.denied_rules,
      (std::vector<std::string>{"wave-invalid", "serving-readiness-probe", "gpu-request-limit"}));
  EXPECT_EQ(answer.message.rfind("wave-invalid: Deployment ml/ranker: annotation", 0), 0u)
      << answer.message;
  EXPECT_NE(answer.message.find("; serving-readiness-probe: Deployment ml/ranker: container "
                                "\"triton\" has no readinessProbe"),
            std::string::npos)
      << answer.message;
  EXPECT_EQ(outcome.message, answer.message);
  EXPECT_EQ(outcome.object, "apps/Deployment ml/ranker");
  EXPECT_EQ(outcome.operation, "CREATE");
}

TEST(AdmissionValidate, TheNamespaceComesFromTheRequestWhenTheObjectOmitsIt) {
  std::string review = ReviewOf(
      "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: isvc}}");
  size_t at = review.find("\"namespace\":\"\"");
  ASSERT_NE(at, std::string::npos);
  review.replace(at, 14, "\"namespace\":\"team-a\"");
  testing::Answer answer =
      ReadAnswer(HandleAdmission(AdmissionEndpoint::kValidate, review, WebhookConfig()));
  EXPECT_NE(answer.message.find("InferenceService team-a/isvc: spec.predictor names no model"),
            std::string::npos)
      << answer.message;
}

TEST(AdmissionValidate, UpdatesAreJudgedOnTheNewObject) {
  testing::ReviewOptions update;
  update.operation = "UPDATE";
  std::string yaml =
      "{apiVersion: v1, kind: Pod, metadata: {name: p, namespace: ml}, spec: {containers: "
      "[{name: t, image: t, resources: {requests: {amd.com/gpu: 1}}}]}}";
  testing::Answer answer =
      ReadAnswer(HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(yaml, update), {}));
  EXPECT_FALSE(answer.allowed);
  EXPECT_NE(answer.message.find("gpu-request-limit"), std::string::npos);
}

}  // namespace
}  // namespace mlgitops
