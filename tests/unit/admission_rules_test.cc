// The rules the webhook brought to `lint`: InferenceService models, Application paths and
// destinations, and wave-invalid on Applications; each fires through Lint, quiet when conforming.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "object/yaml_loader.h"
#include "policy/rules.h"
#include "test_util.h"

namespace mlgitops {
namespace {

struct NewRuleCase {
  std::string name;
  std::string_view rule;
  std::string yaml;
  std::string message;  // "" = the rule must stay quiet
};

void PrintTo(const NewRuleCase& c, std::ostream* os) { *os << c.name; }

class AdmissionRulesInLint : public ::testing::TestWithParam<NewRuleCase> {};

TEST_P(AdmissionRulesInLint, FireWithTheirMessageOrStayQuiet) {
  const NewRuleCase& c = GetParam();
  auto objects = ParseManifests(c.yaml, "new_rules.yaml");
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  std::vector<Finding> found;
  for (Finding& f : Lint(*objects, DefaultConventions())) {
    if (f.rule == c.rule) found.push_back(std::move(f));
  }
  if (c.message.empty()) {
    EXPECT_TRUE(found.empty()) << found[0].message;
    return;
  }
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity, Severity::kDeny);
  EXPECT_EQ(found[0].severity, FindRule(c.rule)->default_severity);
  EXPECT_NE(found[0].message.find(c.message), std::string::npos) << found[0].message;
}

const std::string kIsvc =
    "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: isvc, "
    "namespace: ml}, spec: ";
const std::string kApp =
    "{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: app, namespace: "
    "argocd}, spec: ";

INSTANTIATE_TEST_SUITE_P(
    Admission, AdmissionRulesInLint,
    ::testing::Values(
        NewRuleCase{"isvc_no_spec", kRuleInferenceServiceModel,
                    "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: "
                    "{name: isvc, namespace: ml}}",
                    "InferenceService ml/isvc: spec.predictor names no model"},
        NewRuleCase{"isvc_model_without_uri", kRuleInferenceServiceModel,
                    kIsvc + "{predictor: {model: {modelFormat: {name: onnx}, storageUri: ''}}}}",
                    "set spec.predictor.model.storageUri"},
        NewRuleCase{"isvc_empty_containers", kRuleInferenceServiceModel,
                    kIsvc + "{predictor: {containers: []}}}", "names no model"},
        NewRuleCase{"isvc_model_uri", kRuleInferenceServiceModel,
                    kIsvc + "{predictor: {model: {storageUri: 'pvc://m/1'}}}}", ""},
        NewRuleCase{"isvc_framework_uri", kRuleInferenceServiceModel,
                    kIsvc + "{predictor: {sklearn: {storageUri: 'gs://m'}}}}", ""},
        NewRuleCase{"isvc_storage_spec", kRuleInferenceServiceModel,
                    kIsvc + "{predictor: {model: {storage: {key: s3, path: m/1}}}}}", ""},
        NewRuleCase{"isvc_containers", kRuleInferenceServiceModel,
                    kIsvc + "{predictor: {containers: [{name: kserve-container, image: i}]}}}", ""},
        NewRuleCase{"app_absolute_path", kRuleApplicationPath,
                    kApp + "{source: {path: /etc}, destination: {namespace: ml}}}",
                    "Application argocd/app: spec.source.path \"/etc\" is absolute"},
        NewRuleCase{"app_climbing_path", kRuleApplicationPath,
                    kApp + "{source: {path: a/../..}, destination: {namespace: ml}}}",
                    "spec.source.path \"a/../..\" climbs out of the repository"},
        NewRuleCase{"app_multi_source_path", kRuleApplicationPath,
                    kApp + "{sources: [{path: ok}, {path: ../x}], destination: {namespace: ml}}}",
                    "spec.sources[1].path \"../x\""},
        NewRuleCase{"app_inner_dotdot", kRuleApplicationPath,
                    kApp + "{source: {path: a/b/../c}, destination: {namespace: ml}}}", ""},
        NewRuleCase{"app_helm_chart_without_path", kRuleApplicationPath,
                    kApp + "{source: {chart: redis}, destination: {namespace: ml}}}", ""},
        NewRuleCase{"app_no_destination", kRuleApplicationDestination, kApp + "{}}",
                    "spec.destination.namespace is not set"},
        NewRuleCase{"app_empty_namespace", kRuleApplicationDestination,
                    kApp + "{destination: {server: s, namespace: ''}}}",
                    "spec.destination.namespace is not set"},
        NewRuleCase{"mlgitops_app_destination", kRuleApplicationDestination,
                    "{apiVersion: mlgitops.io/v1alpha1, kind: Application, metadata: {name: a}, "
                    "spec: {destination: {namespace: ml}}}",
                    ""},
        NewRuleCase{"other_application_kinds_are_not_checked", kRuleApplicationDestination,
                    "{apiVersion: app.k8s.io/v1beta1, kind: Application, metadata: {name: a}}", ""},
        NewRuleCase{"app_wave_not_integer", kRuleWaveInvalid,
                    "{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: a, "
                    "annotations: {argocd.argoproj.io/sync-wave: first}}, spec: {destination: "
                    "{namespace: ml}}}",
                    "Application a: annotation argocd.argoproj.io/sync-wave \"first\" is not an "
                    "integer"}),
    [](const ::testing::TestParamInfo<NewRuleCase>& info) { return info.param.name; });

TEST(AdmissionRulesCatalogue, NewRulesAreListedAndConfigurable) {
  for (std::string_view id :
       {kRuleInferenceServiceModel, kRuleApplicationPath, kRuleApplicationDestination}) {
    ASSERT_NE(FindRule(id), nullptr) << id;
    EXPECT_EQ(FindRule(id)->default_severity, Severity::kDeny);
    auto conventions = ParseConventions("rules: {" + std::string(id) + ": warn}", "c.yaml");
    EXPECT_TRUE(conventions.ok()) << conventions.status().ToString();
  }
}

TEST(AdmissionRulesCatalogue, TheExampleApplicationAndPlatformStayClean) {
  auto objects =
      LoadManifestFile(testing::SourceDir() + "/manifests/examples/ml-platform/app.yaml");
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ(CountDenials(Lint(*objects, DefaultConventions())), 0u);
}

}  // namespace
}  // namespace mlgitops
