// The webhook's config file: defaults, the webhook section, errors naming the field, and the
// same file accepted by `lint --config` (ParseConventions).
#include <gtest/gtest.h>

#include <string>

#include "admission/webhook_config.h"
#include "test_util.h"

namespace mlgitops {
namespace {

constexpr char kFullConfig[] = R"(
rules:
  pipeline-sla: enforce
  application-destination: warn
roles: {training: 5}
webhook:
  namespace: ml-webhook
  exemptNamespaces: [kube-system]
  exemptLabel: mlgitops.io/admission=skip
  exemptLabelNamespaces: [sandbox]
  namespaceLabels: {team: ml, pod-security.kubernetes.io/enforce: restricted}
  managedNamespaceLabels: {team: ml}
  createNamespace: false
)";

TEST(AdmissionConfig, DefaultsExemptSystemNamespacesAndTheWebhooksOwn) {
  auto config = LoadWebhookConfig("");
  ASSERT_TRUE(config.ok());
  for (const char* ns : {"kube-system", "kube-public", "mlgitops"}) {
    EXPECT_TRUE(config->IsExemptNamespace(ns)) << ns;
  }
  EXPECT_FALSE(config->IsExemptNamespace("ml"));
  EXPECT_TRUE(config->create_namespace);
  EXPECT_EQ(config->exempt_label, "mlgitops.io/admission");
  EXPECT_EQ(config->exempt_label_value, "skip");
  EXPECT_TRUE(config->exempt_label_namespaces.empty()) << "the label exempts nothing by default";
  EXPECT_EQ(config->conventions.role_waves, DefaultConventions().role_waves);
}

TEST(AdmissionConfig, ReadsEverySection) {
  testing::TempDir dir;
  auto config = LoadWebhookConfig(dir.Write("config.yaml", kFullConfig));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->conventions.rule_modes.at("pipeline-sla"), RuleMode::kDeny);
  EXPECT_EQ(config->conventions.rule_modes.at("application-destination"), RuleMode::kWarn);
  EXPECT_EQ(config->conventions.DefaultWave("training"), 5);
  EXPECT_EQ(config->exempt_namespaces, (std::vector<std::string>{"kube-system", "ml-webhook"}));
  EXPECT_EQ(config->exempt_label_namespaces, (std::vector<std::string>{"sandbox"}));
  EXPECT_EQ(config->namespace_labels.at("pod-security.kubernetes.io/enforce"), "restricted");
  EXPECT_EQ(config->managed_namespace_labels.size(), 1u);
  EXPECT_FALSE(config->create_namespace);
}

TEST(AdmissionConfig, LintReadsTheSameFileIgnoringTheWebhookSection) {
  auto conventions = ParseConventions(kFullConfig, "config.yaml");
  ASSERT_TRUE(conventions.ok()) << conventions.status().ToString();
  EXPECT_EQ(conventions->rule_modes.at("pipeline-sla"), RuleMode::kDeny);
}

TEST(AdmissionConfig, ExemptLabelWithoutValueMeansTrue) {
  auto config = ParseWebhookConfig("webhook: {exemptLabel: example.com/skip}", "c.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->exempt_label, "example.com/skip");
  EXPECT_EQ(config->exempt_label_value, "true");
}

struct ConfigError {
  std::string yaml;
  std::string message_part;
};

class AdmissionConfigErrors : public ::testing::TestWithParam<ConfigError> {};

TEST_P(AdmissionConfigErrors, NameTheFileAndField) {
  auto config = ParseWebhookConfig(GetParam().yaml, "bad.yaml");
  ASSERT_FALSE(config.ok()) << GetParam().yaml;
  EXPECT_NE(config.status().message().find(GetParam().message_part), std::string::npos)
      << config.status().message();
  EXPECT_EQ(config.status().message().rfind("bad.yaml: ", 0), 0u) << config.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Admission, AdmissionConfigErrors,
    ::testing::Values(
        ConfigError{"webhook: {exemptNamespace: [a]}", "webhook.exemptNamespace: unknown field"},
        ConfigError{"webhook: [a]", "webhook: expected a mapping"},
        ConfigError{"webhook: {exemptNamespaces: a}", "webhook.exemptNamespaces: expected a list"},
        ConfigError{"webhook: {exemptNamespaces: [a, 3]}", "webhook.exemptNamespaces[1]"},
        ConfigError{"webhook: {namespaceLabels: {team: 'a b'}}",
                    "webhook.namespaceLabels.team: expected a quoted label value"},
        ConfigError{"webhook: {namespaceLabels: {'-bad': a}}",
                    "webhook.namespaceLabels.-bad: not a valid label key"},
        ConfigError{"webhook: {managedNamespaceLabels: {team: [a]}}",
                    "webhook.managedNamespaceLabels.team"},
        ConfigError{"webhook: {createNamespace: maybe}", "webhook.createNamespace: expected true"},
        ConfigError{"webhook: {exemptLabel: 'a=b c'}", "webhook.exemptLabel"},
        ConfigError{"webhook: {exemptLabelNamespaces: sandbox}",
                    "webhook.exemptLabelNamespaces: expected a list of namespaces"},
        ConfigError{"webhook: {exemptLabelNamespaces: [sandbox, {a: 1}]}",
                    "webhook.exemptLabelNamespaces[1]: expected a namespace name"},
        ConfigError{"webhook: {exemptLabelNamespaces: [Sandbox]}",
                    "webhook.exemptLabelNamespaces[0]: expected a namespace name"},
        ConfigError{"webhook: {namespace: ''}", "webhook.namespace: expected a non-empty string"},
        ConfigError{"rules: {no-such-rule: warn}", "rules.no-such-rule: unknown rule"},
        ConfigError{"a: 1\n---\nb: 2\n", "expected one YAML document"}));

TEST(AdmissionConfig, LabelSyntax) {
  EXPECT_TRUE(IsValidLabelKey("pod-security.kubernetes.io/enforce"));
  EXPECT_TRUE(IsValidLabelKey("team"));
  EXPECT_FALSE(IsValidLabelKey("Example.com/team"));
  EXPECT_FALSE(IsValidLabelKey(std::string(64, 'a')));
  EXPECT_FALSE(IsValidLabelKey("a/"));
  EXPECT_TRUE(IsValidLabelValue(""));
  EXPECT_TRUE(IsValidLabelValue("v1.2_x-y"));
  EXPECT_FALSE(IsValidLabelValue("-x"));
}

}  // namespace
}  // namespace mlgitops
