// The pieces of kubesim's admission chain on their own: JSON patch as RFC 6902 defines it (the
// format of mutating webhooks' answers), webhook rule matching, label selectors written as
// metav1.LabelSelector, configuration defaults and the --service-endpoint flag.
#include <gtest/gtest.h>

#include <string>

#include "kubesim/admission_client.h"
#include "kubesim/admission_config.h"
#include "kubesim/json_util.h"
#include "kubesim/patch.h"
#include "kubesim_test_util.h"

namespace mlgitops::kubesim {
namespace {

using testing::ParseOrFail;

// ---------- JSON patch ----------

struct PatchCase {
  const char* name;
  const char* doc;
  const char* patch;
  const char* expected;  // nullptr: applying the patch must fail
};

class JsonPatchRfcTest : public ::testing::TestWithParam<PatchCase> {};

TEST_P(JsonPatchRfcTest, ProducesTheDocumentTheRfcPrescribes) {
  const PatchCase& c = GetParam();
  Object doc = ParseOrFail(c.doc);
  Object patch = ParseOrFail(c.patch);
  Status applied = ApplyJsonPatch(doc.mutable_json(), patch.json(), doc.allocator());
  if (!c.expected) {
    EXPECT_FALSE(applied.ok()) << "patched into " << ToJson(doc.json());
    return;
  }
  ASSERT_TRUE(applied.ok()) << applied.message();
  Object expected = ParseOrFail(c.expected);
  EXPECT_TRUE(doc.json() == expected.json()) << ToJson(doc.json());
}

// Appendix A of RFC 6902 (A.1-A.16, A.13 is not JSON), then the corners webhooks run into.
INSTANTIATE_TEST_SUITE_P(
    Rfc6902, JsonPatchRfcTest,
    ::testing::Values(
        PatchCase{"A1_AddObjectMember", R"({"foo":"bar"})",
                  R"([{"op":"add","path":"/baz","value":"qux"}])", R"({"baz":"qux","foo":"bar"})"},
        PatchCase{"A2_AddArrayElement", R"({"foo":["bar","baz"]})",
                  R"([{"op":"add","path":"/foo/1","value":"qux"}])",
                  R"({"foo":["bar","qux","baz"]})"},
        PatchCase{"A3_RemoveObjectMember", R"({"baz":"qux","foo":"bar"})",
                  R"([{"op":"remove","path":"/baz"}])", R"({"foo":"bar"})"},
        PatchCase{"A4_RemoveArrayElement", R"({"foo":["bar","qux","baz"]})",
                  R"([{"op":"remove","path":"/foo/1"}])", R"({"foo":["bar","baz"]})"},
        PatchCase{"A5_ReplaceValue", R"({"baz":"qux","foo":"bar"})",
                  R"([{"op":"replace","path":"/baz","value":"boo"}])",
                  R"({"baz":"boo","foo":"bar"})"},
        PatchCase{"A6_MoveValue",
                  R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                  R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
                  R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
        PatchCase{"A7_MoveArrayElement", R"({"foo":["all","grass","cows","eat"]})",
                  R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
                  R"({"foo":["all","cows","eat","grass"]})"},
        PatchCase{"A8_TestSucceeds", R"({"baz":"qux","foo":["a",2,"c"]})",
                  R"([{"op":"test","path":"/baz","value":"qux"},
                      {"op":"test","path":"/foo/1","value":2}])",
                  R"({"baz":"qux","foo":["a",2,"c"]})"},
        PatchCase{"A9_TestFails", R"({"baz":"qux"})",
                  R"([{"op":"test","path":"/baz","value":"bar"}])", nullptr},
        PatchCase{"A10_AddNestedObject", R"({"foo":"bar"})",
                  R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
                  R"({"foo":"bar","child":{"grandchild":{}}})"},
        PatchCase{"A11_UnknownMembersIgnored", R"({"foo":"bar"})",
                  R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])",
                  R"({"foo":"bar","baz":"qux"})"},
        PatchCase{"A12_AddToMissingParentFails", R"({"foo":"bar"})",
                  R"([{"op":"add","path":"/baz/bat","value":"qux"}])", nullptr},
        PatchCase{"A14_EscapeOrdering", R"({"/":9,"~1":10})",
                  R"([{"op":"test","path":"/~01","value":10}])", R"({"/":9,"~1":10})"},
        PatchCase{"A15_StringIsNotNumber", R"({"/":9,"~1":10})",
                  R"([{"op":"test","path":"/~01","value":"10"}])", nullptr},
        PatchCase{"A16_AddArrayValueAtEnd", R"({"foo":["bar"]})",
                  R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
                  R"({"foo":["bar",["abc","def"]]})"},
        PatchCase{"SlashEscapedInAnnotationKey", R"({"metadata":{"annotations":{}}})",
                  R"([{"op":"add","path":"/metadata/annotations/example.com~1team","value":"ml"}])",
                  R"({"metadata":{"annotations":{"example.com/team":"ml"}}})"},
        PatchCase{"TildeZeroIsTilde", R"({"a~b":1})",
                  R"([{"op":"replace","path":"/a~0b","value":2}])", R"({"a~b":2})"},
        PatchCase{"OtherTildeStaysLiteral", R"({"~2":1})", R"([{"op":"remove","path":"/~2"}])",
                  R"({})"},
        PatchCase{"PathWithoutLeadingSlashFails", R"({"foo":1})",
                  R"([{"op":"add","path":"foo","value":2}])", nullptr},
        PatchCase{"MissingPathFails", R"({})", R"([{"op":"add","value":1}])", nullptr},
        PatchCase{"MoveWithoutFromFails", R"({"a":1})", R"([{"op":"move","path":"/b"}])", nullptr},
        PatchCase{"LeadingZeroIndexFails", R"({"a":[1,2]})", R"([{"op":"remove","path":"/a/01"}])",
                  nullptr},
        PatchCase{"DashOnlyMeansEndForAdd", R"({"a":[1]})", R"([{"op":"remove","path":"/a/-"}])",
                  nullptr},
        PatchCase{"AddAtLengthAppends", R"({"a":[1]})", R"([{"op":"add","path":"/a/1","value":2}])",
                  R"({"a":[1,2]})"},
        PatchCase{"AddPastLengthFails", R"({"a":[1]})", R"([{"op":"add","path":"/a/2","value":2}])",
                  nullptr},
        PatchCase{"MoveIntoOwnChildFails", R"({"a":{"b":1}})",
                  R"([{"op":"move","from":"/a","path":"/a/c"}])", nullptr},
        PatchCase{"CopyKeepsTheSource", R"({"a":{"b":1}})",
                  R"([{"op":"copy","from":"/a","path":"/c"}])", R"({"a":{"b":1},"c":{"b":1}})"},
        PatchCase{"ReplaceMissingMemberFails", R"({})",
                  R"([{"op":"replace","path":"/x","value":1}])", nullptr},
        PatchCase{"ReplaceWholeDocument", R"({"a":1})",
                  R"([{"op":"replace","path":"","value":{"b":2}}])", R"({"b":2})"},
        PatchCase{"TestIgnoresMemberOrder", R"({"a":1,"b":[2,3]})",
                  R"([{"op":"test","path":"","value":{"b":[2,3],"a":1}}])", R"({"a":1,"b":[2,3]})"},
        PatchCase{"UnknownOperationFails", R"({})", R"([{"op":"frobnicate","path":"/a"}])",
                  nullptr},
        PatchCase{"LaterFailureFailsThePatch", R"({"a":1})",
                  R"([{"op":"add","path":"/b","value":2},{"op":"remove","path":"/zzz"}])",
                  nullptr}),
    [](const ::testing::TestParamInfo<PatchCase>& info) { return std::string(info.param.name); });

// ---------- rules ----------

struct RuleCase {
  const char* name;
  const char* rule;  // one RuleWithOperations as JSON
  RuleTarget target;
  bool matches;
};

WebhookRule RuleFrom(const char* json) {
  Object hook = ParseOrFail(std::string(R"({"webhooks":[{"name":"x","rules":[)") + json + "]}]}");
  std::vector<Webhook> hooks = ReadWebhooks(hook.json(), false);
  EXPECT_EQ(hooks.size(), 1u);
  return hooks.empty() || hooks[0].rules.empty() ? WebhookRule() : hooks[0].rules[0];
}

class WebhookRuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(WebhookRuleTest, MatchesAsKubeApiserverDoes) {
  const RuleCase& c = GetParam();
  EXPECT_EQ(RuleMatches(RuleFrom(c.rule), c.target), c.matches);
}

const RuleTarget kCreatePod{"CREATE", "", "v1", "pods", "", false};
const RuleTarget kUpdatePodStatus{"UPDATE", "", "v1", "pods", "status", false};
const RuleTarget kScaleDeployment{"UPDATE", "apps", "v1", "deployments", "scale", false};
const RuleTarget kCreateNamespace{"CREATE", "", "v1", "namespaces", "", true};

INSTANTIATE_TEST_SUITE_P(
    Rules, WebhookRuleTest,
    ::testing::Values(
        RuleCase{"ExactResource",
                 R"({"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],
                     "resources":["pods"]})",
                 kCreatePod, true},
        RuleCase{"OtherOperation",
                 R"({"operations":["UPDATE","DELETE"],"apiGroups":[""],"apiVersions":["v1"],
                     "resources":["pods"]})",
                 kCreatePod, false},
        RuleCase{"OtherGroup",
                 R"({"operations":["*"],"apiGroups":["apps"],"apiVersions":["*"],
                     "resources":["*"]})",
                 kCreatePod, false},
        RuleCase{"OtherVersion",
                 R"({"operations":["*"],"apiGroups":[""],"apiVersions":["v2"],
                     "resources":["pods"]})",
                 kCreatePod, false},
        RuleCase{"WildcardsEverywhere",
                 R"({"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],
                     "resources":["*"]})",
                 kCreatePod, true},
        RuleCase{"StarSkipsSubresources",
                 R"({"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],
                     "resources":["*"]})",
                 kUpdatePodStatus, false},
        RuleCase{"MainResourceSkipsSubresources",
                 R"({"operations":["UPDATE"],"apiGroups":[""],"apiVersions":["v1"],
                     "resources":["pods"]})",
                 kUpdatePodStatus, false},
        RuleCase{"NamedSubresource",
                 R"({"operations":["UPDATE"],"apiGroups":[""],"apiVersions":["v1"],
                     "resources":["pods/status"]})",
                 kUpdatePodStatus, true},
        RuleCase{"SubresourceRuleSkipsMainResource",
                 R"({"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],
                     "resources":["pods/status"]})",
                 kCreatePod, false},
        RuleCase{"AllSubresourcesOfOne",
                 R"({"operations":["UPDATE"],"apiGroups":[""],"apiVersions":["v1"],
                     "resources":["pods/*"]})",
                 kUpdatePodStatus, true},
        RuleCase{"OneSubresourceOfAll",
                 R"({"operations":["UPDATE"],"apiGroups":["apps"],"apiVersions":["v1"],
                     "resources":["*/scale"]})",
                 kScaleDeployment, true},
        RuleCase{"EverythingWithSubresources",
                 R"({"operations":["*"],"apiGroups":["*"],"apiVersions":["*"],
                     "resources":["*/*"]})",
                 kUpdatePodStatus, true},
        RuleCase{"NamespacedScopeSkipsNamespaces",
                 R"({"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],
                     "resources":["*"],"scope":"Namespaced"})",
                 kCreateNamespace, false},
        RuleCase{"ClusterScopeTakesNamespaces",
                 R"({"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],
                     "resources":["*"],"scope":"Cluster"})",
                 kCreateNamespace, true},
        RuleCase{"ClusterScopeSkipsPods",
                 R"({"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],
                     "resources":["*"],"scope":"Cluster"})",
                 kCreatePod, false}),
    [](const ::testing::TestParamInfo<RuleCase>& info) { return std::string(info.param.name); });

// ---------- configurations ----------

TEST(WebhookConfigurationTest, ReadsEveryFieldAndFillsApiDefaults) {
  Object config = ParseOrFail(R"({"metadata":{"name":"ml-policies"},"webhooks":[
    {"name":"full.example.com","failurePolicy":"Ignore","matchPolicy":"Exact",
     "sideEffects":"NoneOnDryRun","timeoutSeconds":45,"reinvocationPolicy":"IfNeeded",
     "admissionReviewVersions":["v1beta1","v1"],
     "clientConfig":{"service":{"namespace":"ml","name":"hook","path":"/mutate","port":8443},
                     "caBundle":"Q0E="},
     "namespaceSelector":{"matchLabels":{"team":"ml"},
                          "matchExpressions":[{"key":"env","operator":"In","values":["a","b"]},
                                              {"key":"legacy","operator":"DoesNotExist"}]},
     "objectSelector":{"matchExpressions":[{"key":"skip","operator":"NotIn","values":["yes"]},
                                           {"key":"owner","operator":"Exists"}]}},
    {"name":"minimal.example.com","clientConfig":{"url":"https://127.0.0.1:9443/v"}}]})");
  std::vector<Webhook> hooks = ReadWebhooks(config.json(), true);
  ASSERT_EQ(hooks.size(), 2u);
  const Webhook& full = hooks[0];
  EXPECT_EQ(full.configuration, "ml-policies");
  EXPECT_TRUE(full.fails_open());
  EXPECT_EQ(full.match_policy, "Exact");
  EXPECT_TRUE(full.safe_on_dry_run());
  EXPECT_EQ(full.timeout_seconds, 30) << "timeoutSeconds is capped at 30";
  EXPECT_TRUE(full.reinvoke_if_needed);
  EXPECT_EQ(full.client.service_port, 8443);
  EXPECT_EQ(full.client.service_path, "/mutate");
  EXPECT_EQ(full.namespace_selector, "team=ml,env in (a,b),!legacy");
  EXPECT_EQ(full.object_selector, "skip notin (yes),owner");
  EXPECT_TRUE(full.selector_error.empty());

  const Webhook& minimal = hooks[1];
  EXPECT_FALSE(minimal.fails_open()) << "failurePolicy defaults to Fail";
  EXPECT_EQ(minimal.match_policy, "Equivalent");
  EXPECT_EQ(minimal.timeout_seconds, 10);
  EXPECT_FALSE(minimal.safe_on_dry_run()) << "no sideEffects: not safe on dry run";
  EXPECT_EQ(minimal.client.service_port, 443);
  EXPECT_EQ(minimal.namespace_selector, "") << "no selector selects everything";

  EXPECT_FALSE(ReadWebhooks(config.json(), false)[0].reinvoke_if_needed)
      << "reinvocation is for mutating webhooks only";
}

TEST(WebhookConfigurationTest, UnreadableSelectorsAreReported) {
  Object config = ParseOrFail(R"({"webhooks":[{"name":"x",
    "namespaceSelector":{"matchExpressions":[{"key":"a","operator":"Near","values":["b"]}]}},
    {"name":"y","objectSelector":{"matchExpressions":[{"key":"a","operator":"In"}]}}]})");
  std::vector<Webhook> hooks = ReadWebhooks(config.json(), false);
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_NE(hooks[0].selector_error.find("Near"), std::string::npos) << hooks[0].selector_error;
  EXPECT_NE(hooks[1].selector_error.find("values must be non-empty"), std::string::npos)
      << hooks[1].selector_error;
}

TEST(ServiceEndpointFlagTest, ParsesServiceAndAddress) {
  auto any_port = ParseServiceEndpoint("webhooks/hook=127.0.0.1:9443");
  ASSERT_TRUE(any_port.ok()) << any_port.status().message();
  EXPECT_EQ(any_port->namespace_, "webhooks");
  EXPECT_EQ(any_port->name, "hook");
  EXPECT_EQ(any_port->port, 0);
  EXPECT_EQ(any_port->address, "127.0.0.1:9443");
  auto one_port = ParseServiceEndpoint("ml/policy:8443=localhost:10443");
  ASSERT_TRUE(one_port.ok()) << one_port.status().message();
  EXPECT_EQ(one_port->name, "policy");
  EXPECT_EQ(one_port->port, 8443);
  for (const char* bad : {"hook=127.0.0.1:1", "ml/hook", "ml/hook=127.0.0.1", "ml/hook:x=h:1",
                          "/hook=h:1", "ml/=h:1", "ml/hook=h:99999"}) {
    EXPECT_FALSE(ParseServiceEndpoint(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace mlgitops::kubesim
