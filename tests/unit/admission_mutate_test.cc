// /mutate: the patches apply to objects lacking annotations, labels or syncPolicy and give the
// expected object; they are idempotent (reinvocation), and skipped requests get none.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "admission/policy.h"
#include "admission_test_util.h"

namespace mlgitops {
namespace {

using testing::Answer;
using testing::ReadAnswer;
using testing::ReviewOf;
using testing::ReviewOptions;

class AdmissionMutate : public ::testing::Test {
 protected:
  AdmissionMutate() {
    auto parsed = ParseWebhookConfig(
        "webhook:\n"
        "  namespaceLabels: {team: ml, pod-security.kubernetes.io/enforce: baseline}\n"
        "  managedNamespaceLabels: {team: ml, cost-center: research}\n"
        "  exemptLabelNamespaces: [sandbox]\n",
        "mutate.yaml");
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    if (parsed.ok()) config_ = std::move(parsed).value();
  }

  Answer Mutate(const std::string& yaml, const ReviewOptions& options = {}) {
    AdmissionOutcome outcome =
        HandleAdmission(AdmissionEndpoint::kMutate, ReviewOf(yaml, options), config_);
    Answer answer = ReadAnswer(outcome);
    EXPECT_TRUE(answer.allowed) << outcome.body;
    EXPECT_EQ(outcome.result, answer.has_patch ? "patched" : "allowed");
    return answer;
  }

  /// The object after the patch, and a check that mutating that object again changes nothing.
  Object MutatedIdempotently(const std::string& yaml) {
    Object patched = Mutate(yaml).Patched(yaml);
    std::string again = ToJson(patched.json());
    Answer second = Mutate(again);
    EXPECT_FALSE(second.has_patch) << "second patch: " << ToJson(second.patch);
    return patched;
  }

  WebhookConfig config_;
};

TEST_F(AdmissionMutate, ConfigMapWithoutAnnotationsGetsTheFoundationWave) {
  std::string yaml = "{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg, namespace: ml}}";
  Answer answer = Mutate(yaml);
  ASSERT_TRUE(answer.has_patch);
  ASSERT_EQ(answer.patch.Size(), 1u);
  EXPECT_EQ(GetString(answer.patch[0], "path"), "/metadata/annotations");
  Object patched = MutatedIdempotently(yaml);
  EXPECT_EQ(patched.annotation("argocd.argoproj.io/sync-wave"), "0");
}

TEST_F(AdmissionMutate, ExistingAnnotationsGetTheWaveKeyEscaped) {
  std::string yaml =
      "{apiVersion: batch/v1, kind: Job, metadata: {name: train, namespace: ml, annotations: "
      "{owner: alice}}}";
  Answer answer = Mutate(yaml);
  ASSERT_TRUE(answer.has_patch);
  EXPECT_EQ(GetString(answer.patch[0], "path"),
            "/metadata/annotations/argocd.argoproj.io~1sync-wave");
  Object patched = MutatedIdempotently(yaml);
  EXPECT_EQ(patched.annotation("argocd.argoproj.io/sync-wave"), "2");
  EXPECT_EQ(patched.annotation("owner"), "alice");
}

TEST_F(AdmissionMutate, ConfiguredRoleWavesAreUsed) {
  auto config = ParseWebhookConfig("roles: {model-serving: 7}", "waves.yaml");
  ASSERT_TRUE(config.ok());
  std::string yaml =
      "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: i, "
      "namespace: ml}, spec: {predictor: {model: {storageUri: 's3://m'}}}}";
  Answer answer = ReadAnswer(HandleAdmission(AdmissionEndpoint::kMutate, ReviewOf(yaml), *config));
  EXPECT_EQ(answer.Patched(yaml).annotation("argocd.argoproj.io/sync-wave"), "7");
}

TEST_F(AdmissionMutate, ObjectsThatWaveThemselvesOrHaveNoRoleAreLeftAlone) {
  for (const char* yaml : {
           // a wave already, even an invalid one (validation reports it)
           "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: "
           "{argocd.argoproj.io/sync-wave: '5'}}}",
           "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: "
           "{argocd.argoproj.io/sync-wave: soon}}}",
           // a hook, by Argo CD's or Helm's annotation, and a Helm weight
           "{apiVersion: batch/v1, kind: Job, metadata: {name: j, annotations: "
           "{argocd.argoproj.io/hook: PreSync}}}",
           "{apiVersion: batch/v1, kind: Job, metadata: {name: j, labels: {mlgitops.io/role: "
           "training}, annotations: {helm.sh/hook: pre-install}}}",
           "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: "
           "{helm.sh/hook-weight: '3'}}}",
           // no role
           "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}}",
       }) {
    EXPECT_FALSE(Mutate(yaml).has_patch) << yaml;
  }
}

TEST_F(AdmissionMutate, ApplicationWithoutSyncPolicyGetsCreateNamespaceAndLabels) {
  std::string yaml =
      "{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: a, namespace: "
      "argocd}, spec: {destination: {namespace: ml}}}";
  Object patched = MutatedIdempotently(yaml);
  EXPECT_EQ(ToJson(*Find(patched.json(), "spec.syncPolicy")),
            "{\"syncOptions\":[\"CreateNamespace=true\"],\"managedNamespaceMetadata\":{"
            "\"labels\":{\"cost-center\":\"research\",\"team\":\"ml\"}}}");
}

TEST_F(AdmissionMutate, ApplicationOptionsAreAppendedAndLabelsOnlyFilledIn) {
  std::string yaml =
      "{apiVersion: mlgitops.io/v1alpha1, kind: Application, metadata: {name: a}, spec: "
      "{syncPolicy: {syncOptions: [PruneLast=true], managedNamespaceMetadata: {labels: {team: "
      "vision}}}}}";
  Object patched = MutatedIdempotently(yaml);
  EXPECT_EQ(ToJson(*Find(patched.json(), "spec.syncPolicy")),
            "{\"syncOptions\":[\"PruneLast=true\",\"CreateNamespace=true\"],"
            "\"managedNamespaceMetadata\":{\"labels\":{\"team\":\"vision\",\"cost-center\":"
            "\"research\"}}}");
}

TEST_F(AdmissionMutate, ApplicationsThatOptOutAreLeftAlone) {
  for (const char* yaml : {
           "{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: a, "
           "annotations: {mlgitops.io/create-namespace: 'false'}}, spec: {}}",
           "{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: a}, spec: "
           "{syncPolicy: {syncOptions: [CreateNamespace=false]}}}",
       }) {
    EXPECT_FALSE(Mutate(yaml).has_patch) << yaml;
  }
  config_.create_namespace = false;
  EXPECT_FALSE(Mutate("{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: "
                      "a}, spec: {}}")
                   .has_patch);
}

TEST_F(AdmissionMutate, ApplicationAlreadyCreatingItsNamespaceOnlyGetsLabels) {
  std::string yaml =
      "{apiVersion: argoproj.io/v1alpha1, kind: Application, metadata: {name: a}, spec: "
      "{syncPolicy: {syncOptions: [CreateNamespace=true]}}}";
  Object patched = MutatedIdempotently(yaml);
  EXPECT_EQ(ToJson(*Find(patched.json(), "spec.syncPolicy.syncOptions")),
            "[\"CreateNamespace=true\"]");
  EXPECT_EQ(GetString(patched.json(), "spec.syncPolicy.managedNamespaceMetadata.labels.team"),
            "ml");
}

TEST_F(AdmissionMutate, NamespaceWithoutLabelsGetsThemAndTheFoundationWave) {
  std::string yaml = "{apiVersion: v1, kind: Namespace, metadata: {name: ml-team}}";
  Object patched = MutatedIdempotently(yaml);
  EXPECT_EQ(patched.label("team"), "ml");
  EXPECT_EQ(patched.label("pod-security.kubernetes.io/enforce"), "baseline");
  EXPECT_EQ(patched.annotation("argocd.argoproj.io/sync-wave"), "0");
}

TEST_F(AdmissionMutate, NamespaceLabelsAlreadySetAreKept) {
  std::string yaml =
      "{apiVersion: v1, kind: Namespace, metadata: {name: ml-team, labels: {team: search}}}";
  Object patched = MutatedIdempotently(yaml);
  EXPECT_EQ(patched.label("team"), "search");
  EXPECT_EQ(patched.label("pod-security.kubernetes.io/enforce"), "baseline");
}

TEST_F(AdmissionMutate, NullMapsAreReplacedAndNonMapsBlockWithAWarning) {
  std::string null_labels =
      "{apiVersion: v1, kind: Namespace, metadata: {name: n, labels: null, annotations: null}}";
  EXPECT_EQ(Mutate(null_labels).Patched(null_labels).label("team"), "ml");
  std::string odd = "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, annotations: [x]}}";
  Answer answer = Mutate(odd);
  EXPECT_FALSE(answer.has_patch);
  ASSERT_EQ(answer.warnings.size(), 1u);
  EXPECT_NE(answer.warnings[0].find("/metadata/annotations is not a map"), std::string::npos);
}

TEST_F(AdmissionMutate, SkippedRequestsGetNoPatch) {
  std::string yaml = "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: ml}}";
  ReviewOptions dry_run;
  dry_run.extra_request_fields = ",\"dryRun\":true";
  ReviewOptions status;
  status.extra_request_fields = ",\"subResource\":\"status\"";
  ReviewOptions connect;
  connect.operation = "CONNECT";
  for (const ReviewOptions& options : {dry_run, status, connect}) {
    EXPECT_FALSE(Mutate(yaml, options).has_patch) << options.extra_request_fields;
  }
  for (const char* exempt : {
           "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: kube-system}}",
           "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: mlgitops}}",
           "{apiVersion: v1, kind: Namespace, metadata: {name: kube-public}}",
           "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: sandbox, labels: "
           "{mlgitops.io/admission: skip}}}",
       }) {
    EXPECT_FALSE(Mutate(exempt).has_patch) << exempt;
  }
}

TEST_F(AdmissionMutate, ValidateNeverPatches) {
  std::string yaml = "{apiVersion: v1, kind: Namespace, metadata: {name: ml}}";
  Answer answer =
      ReadAnswer(HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(yaml), config_));
  EXPECT_TRUE(answer.allowed);
  EXPECT_FALSE(answer.has_patch);
  EXPECT_FALSE(GetString(answer.review, "response.patchType").size());
}

TEST(AdmissionSkip, DeleteDryRunSubresourceAndExemptionsAreAllowedEvenWhenTheObjectIsBad) {
  std::string bad =
      "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: i, "
      "namespace: ml}}";
  ASSERT_FALSE(
      ReadAnswer(HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(bad), {})).allowed);
  ReviewOptions del;
  del.operation = "DELETE";
  ReviewOptions dry_run;
  dry_run.extra_request_fields = ",\"dryRun\":true";
  ReviewOptions scale;
  scale.extra_request_fields = ",\"subResource\":\"scale\"";
  for (const ReviewOptions& options : {del, dry_run, scale}) {
    AdmissionOutcome outcome =
        HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(bad, options), {});
    EXPECT_TRUE(ReadAnswer(outcome).allowed) << options.operation << options.extra_request_fields;
    EXPECT_TRUE(outcome.denied_rules.empty());
  }
  auto config = ParseWebhookConfig(
      "webhook: {namespace: platform, exemptNamespaces: [ml], exemptLabel: team=infra, "
      "exemptLabelNamespaces: [other]}",
      "x");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(
      ReadAnswer(HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(bad), *config)).allowed);
  std::string labelled =
      "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: i, "
      "namespace: other, labels: {team: infra}}}";
  EXPECT_TRUE(ReadAnswer(HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(labelled), *config))
                  .allowed);
  std::string in_platform =
      "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: i, "
      "namespace: platform}}";
  EXPECT_TRUE(
      ReadAnswer(HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(in_platform), *config))
          .allowed);
  std::string in_kube_system =
      "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: i, "
      "namespace: kube-system}}";
  EXPECT_FALSE(
      ReadAnswer(HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(in_kube_system), *config))
          .allowed)
      << "exemptNamespaces replaces the default list";
}

// The label is the object author's own word, so it may exempt only where the config trusts
// authors to opt out: elsewhere anyone could label their object past every rule.
TEST(AdmissionSkip, ExemptLabelCountsOnlyInTheNamespacesTheConfigLists) {
  auto labelled_in = [](const std::string& ns) {
    return "{apiVersion: serving.kserve.io/v1beta1, kind: InferenceService, metadata: {name: i, "
           "namespace: " +
           ns + ", labels: {mlgitops.io/admission: skip}}}";
  };
  auto allowed = [&](const std::string& ns, const WebhookConfig& config) {
    return ReadAnswer(
               HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(labelled_in(ns)), config))
        .allowed;
  };
  const WebhookConfig defaults;
  EXPECT_TRUE(defaults.exempt_label_namespaces.empty());
  EXPECT_FALSE(allowed("ml", defaults)) << "by default the label exempts nothing";

  auto config = ParseWebhookConfig("webhook: {exemptLabelNamespaces: [sandbox, scratch]}", "x");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(allowed("sandbox", *config));
  EXPECT_TRUE(allowed("scratch", *config));
  EXPECT_FALSE(allowed("ml", *config));
  EXPECT_FALSE(allowed("sandboxes", *config));

  // A Namespace counts as being in itself; a cluster-scoped object is in no listed namespace.
  const std::string bad_namespace =
      "{apiVersion: v1, kind: Namespace, metadata: {name: NS, labels: {mlgitops.io/admission: "
      "skip, mlgitops.io/role: bogus}}}";
  auto namespace_allowed = [&](const std::string& name) {
    std::string yaml = bad_namespace;
    yaml.replace(yaml.find("NS"), 2, name);
    AdmissionOutcome outcome =
        HandleAdmission(AdmissionEndpoint::kValidate, ReviewOf(yaml), *config);
    return outcome.denied_rules.empty() && outcome.warned_rules.empty();
  };
  EXPECT_TRUE(namespace_allowed("sandbox"));
  EXPECT_FALSE(namespace_allowed("ml"));
}

}  // namespace
}  // namespace mlgitops
