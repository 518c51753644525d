// DiffResource and its parts: normalisation, ignoreDifferences (pointers, jq subset, managed
// fields, matching), Secret masking, create/prune cases and hostile input.
#include <gtest/gtest.h>

#include <string>

#include "object/yaml_writer.h"
#include "sync/diff.h"
#include "sync/jq_path.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::ParseOne;

constexpr const char* kLiveDeployment = R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: team-a
  uid: 0b1c
  resourceVersion: "123"
  generation: 4
  creationTimestamp: "2024-01-01T00:00:00Z"
  selfLink: /apis/apps/v1/namespaces/team-a/deployments/web
  labels: {}
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"big":"blob"}'
    argocd.argoproj.io/tracking-id: fraud:apps/Deployment:team-a/web
  managedFields:
  - manager: kube-controller-manager
    operation: Update
    fieldsType: FieldsV1
    fieldsV1:
      f:spec:
        f:replicas: {}
  - manager: kubectl
    operation: Apply
    fieldsType: FieldsV1
    fieldsV1:
      f:spec:
        f:template:
          f:spec:
            f:containers:
              k:{"name":"app"}:
                .: {}
                f:image: {}
spec:
  replicas: 5
  template:
    metadata:
      annotations:
        kubectl.kubernetes.io/restartedAt: "2024-02-02T00:00:00Z"
    spec:
      containers:
      - name: app
        image: app:1
      - name: istio-proxy
        image: proxy:1
status:
  readyReplicas: 5
)";

// The same object as a dry-run apply of Git would return it: no server noise kept by Git,
// two replicas, no restartedAt annotation, and another member order.
constexpr const char* kDesiredDeployment = R"(
kind: Deployment
apiVersion: apps/v1
metadata:
  namespace: team-a
  name: web
  annotations:
    argocd.argoproj.io/tracking-id: fraud:apps/Deployment:team-a/web
spec:
  template:
    spec:
      containers:
      - image: app:1
        name: app
      - name: istio-proxy
        image: proxy:2
  replicas: 2
)";

class SyncDiffTest : public ::testing::Test {
 protected:
  Object live_ = ParseOne(kLiveDeployment);
  Object desired_ = ParseOne(kDesiredDeployment);

  ResourceDiff Diff(const DiffOptions& options) {
    Result<ResourceDiff> diff = DiffResource(&live_, &desired_, options);
    EXPECT_TRUE(diff.ok()) << diff.status().ToString();
    return diff.ok() ? *diff : ResourceDiff{};
  }
  static IgnoreDifference Rule(std::string group, std::string kind) {
    IgnoreDifference rule;
    rule.group = std::move(group);
    rule.kind = std::move(kind);
    return rule;
  }
};

TEST_F(SyncDiffTest, NormalizeDropsExactlyTheNoise) {
  Object normal = NormalizeForDiff(live_, DiffOptions{});
  const JsonValue& v = normal.json();
  for (const char* gone : {"status", "metadata.uid", "metadata.resourceVersion",
                           "metadata.generation", "metadata.creationTimestamp", "metadata.selfLink",
                           "metadata.managedFields", "metadata.labels"}) {
    EXPECT_EQ(Find(v, gone), nullptr) << gone;
  }
  EXPECT_FALSE(normal.annotation("kubectl.kubernetes.io/last-applied-configuration"));
  EXPECT_EQ(normal.annotation(kTrackingIdAnnotation), "fraud:apps/Deployment:team-a/web");
  EXPECT_EQ(GetInt(v, "spec.replicas"), 5);
  EXPECT_EQ(normal.name(), "web");
  EXPECT_EQ(normal.namespace_(), "team-a");
  EXPECT_NE(Find(v, "spec.template.metadata.annotations"), nullptr);
  // The original is untouched.
  EXPECT_NE(Find(live_.json(), "status"), nullptr);

  DiffOptions options;
  options.ignore_tracking_annotation = true;
  Object untracked = NormalizeForDiff(live_, options);
  EXPECT_FALSE(untracked.annotation(kTrackingIdAnnotation));
  EXPECT_EQ(Find(untracked.json(), "metadata.annotations"), nullptr) << "empty map dropped";
}

TEST_F(SyncDiffTest, EqualAfterNormalisationGivesNoDiff) {
  Object desired = ParseOne(kLiveDeployment);
  desired.mutable_json().RemoveMember("status");
  desired.mutable_json()["metadata"].RemoveMember("uid");
  desired.mutable_json()["metadata"].RemoveMember("managedFields");
  Result<ResourceDiff> diff = DiffResource(&live_, &desired, DiffOptions{});
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  EXPECT_FALSE(diff->differs);
  EXPECT_EQ(diff->text, "");
}

TEST_F(SyncDiffTest, ChangedReplicasGiveAHunkUnderTheArgoHeader) {
  ResourceDiff diff = Diff(DiffOptions{});
  EXPECT_TRUE(diff.differs);
  EXPECT_EQ(diff.ref.kind, "Deployment");
  EXPECT_EQ(diff.text.rfind("===== apps/Deployment team-a/web ======\n"
                            "--- live/apps.Deployment.team-a.web\n"
                            "+++ desired/apps.Deployment.team-a.web\n@@ ",
                            0),
            0u)
      << diff.text;
  EXPECT_NE(diff.text.find("\n-  replicas: 5\n+  replicas: 2\n"), std::string::npos) << diff.text;
  EXPECT_NE(diff.text.find("-      - image: proxy:1\n+      - image: proxy:2\n"), std::string::npos)
      << diff.text;
  EXPECT_EQ(diff.text.find("last-applied"), std::string::npos);
  EXPECT_EQ(diff.text.find("readyReplicas"), std::string::npos);
}

// Each ignore form removes exactly what distinguishes the two sides; `expect_differs` says
// whether anything is left.
struct IgnoreCase {
  const char* name;
  std::vector<std::string> pointers;
  std::vector<std::string> jq;
  std::vector<std::string> managers;
  bool expect_differs;
  const char* still_in_text;  // "" when no diff is expected
};

class SyncDiffIgnoreTest : public SyncDiffTest, public ::testing::WithParamInterface<IgnoreCase> {};

TEST_P(SyncDiffIgnoreTest, RemovesTheNamedFieldsFromBothSides) {
  const IgnoreCase& c = GetParam();
  DiffOptions options;
  IgnoreDifference rule = Rule("apps", "Deployment");
  rule.json_pointers = c.pointers;
  rule.jq_path_expressions = c.jq;
  rule.managed_fields_managers = c.managers;
  options.ignore.push_back(rule);
  ResourceDiff diff = Diff(options);
  EXPECT_EQ(diff.differs, c.expect_differs) << diff.text;
  EXPECT_NE(diff.text.find(c.still_in_text), std::string::npos) << diff.text;
}

INSTANTIATE_TEST_SUITE_P(
    SyncDiff, SyncDiffIgnoreTest,
    ::testing::Values(
        IgnoreCase{"pointer_replicas", {"/spec/replicas"}, {}, {}, true, "proxy:2"},
        IgnoreCase{"pointers_both",
                   {"/spec/replicas", "/spec/template/spec/containers/1/image",
                    "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
                    "/spec/not/there"},
                   {},
                   {},
                   false,
                   ""},
        IgnoreCase{"jq_replicas_and_select",
                   {},
                   {".spec.replicas",
                    ".spec.template.spec.containers[] | select(.name == \"istio-proxy\")"},
                   {},
                   true,
                   "restartedAt"},
        IgnoreCase{"jq_everything",
                   {},
                   {".spec.replicas", ".spec.template.spec.containers[].image",
                    ".spec.template.metadata.annotations[\"kubectl.kubernetes.io/restartedAt\"]"},
                   {},
                   false,
                   ""},
        IgnoreCase{
            "jq_select_then_field_and_index",
            {},
            {".spec.replicas",
             ".spec.template.spec.containers[] | select(.name != \"app\") | .image",
             ".spec.template.metadata?.annotations?", ".spec.template.spec.containers[-1].nothing"},
            {},
            false,
            ""},
        IgnoreCase{"jq_index_only_first",
                   {},
                   {".spec.replicas", ".spec.template.spec.containers[0].image",
                    ".spec.template.metadata"},
                   {},
                   true,
                   "proxy:2"},
        IgnoreCase{"managers_controller", {}, {}, {"kube-controller-manager"}, true, "proxy:2"},
        IgnoreCase{"managers_unrelated", {}, {}, {"hpa"}, true, "replicas: 2"}),
    [](const ::testing::TestParamInfo<IgnoreCase>& info) { return std::string(info.param.name); });

TEST_F(SyncDiffTest, ManagedFieldsRemoveOwnedFieldsOnlyWhereTheKeyMatches) {
  DiffOptions options;
  IgnoreDifference rule = Rule("*", "*");
  rule.managed_fields_managers = {"kube-controller-manager", "kubectl"};
  rule.jq_path_expressions = {".spec.template.metadata"};
  options.ignore.push_back(rule);
  ResourceDiff diff = Diff(options);
  // replicas (controller) and app's image (k:{"name":"app"}) are gone; istio-proxy's image is
  // not owned by either, so it still differs.
  EXPECT_TRUE(diff.differs);
  EXPECT_EQ(diff.text.find("replicas"), std::string::npos) << diff.text;
  EXPECT_EQ(diff.text.find("app:1"), std::string::npos) << diff.text;
  EXPECT_NE(diff.text.find("+      - image: proxy:2"), std::string::npos) << diff.text;
}

struct MatchCase {
  const char* group;
  const char* kind;
  const char* name;
  const char* namespace_;
  bool applies;
};

TEST_F(SyncDiffTest, RulesMatchByGroupKindNameAndNamespace) {
  const MatchCase cases[] = {
      {"apps", "Deployment", "", "", true},
      {"*", "Deployment", "", "", true},
      {"apps", "*", "", "", true},
      {"*", "*", "web", "team-a", true},
      {"", "Deployment", "", "", false},
      {"apps", "StatefulSet", "", "", false},
      {"apps", "Deployment", "api", "", false},
      {"apps", "Deployment", "", "team-b", false},
      {"apps", "deployment", "", "", false},
  };
  for (const MatchCase& c : cases) {
    IgnoreDifference rule = Rule(c.group, c.kind);
    rule.name = c.name;
    rule.namespace_ = c.namespace_;
    EXPECT_EQ(IgnoreRuleApplies(rule, live_.ref()), c.applies)
        << c.group << "/" << c.kind << " " << c.namespace_ << "/" << c.name;
    rule.json_pointers = {"/spec/replicas"};
    rule.jq_path_expressions = {".spec.template"};
    DiffOptions options;
    options.ignore.push_back(rule);
    EXPECT_EQ(Diff(options).differs, !c.applies);
  }
}

TEST_F(SyncDiffTest, UnsupportedJqIsAnErrorNamingTheExpression) {
  for (const char* bad : {".spec | keys", "del(.spec)", ".spec[1:2]", ".a[.b]", "spec.replicas",
                          ".x | select(.a > 1)", ".x | select(.y[] == 1)", "select(.a == {})",
                          ".a[\"unterminated", ""}) {
    DiffOptions options;
    IgnoreDifference rule = Rule("apps", "Deployment");
    rule.jq_path_expressions = {bad};
    options.ignore.push_back(rule);
    Result<ResourceDiff> diff = DiffResource(&live_, &desired_, options);
    ASSERT_FALSE(diff.ok()) << bad;
    EXPECT_EQ(diff.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(diff.status().message().find(std::string("\"") + bad + "\""), std::string::npos)
        << diff.status().message();
    EXPECT_NE(diff.status().message().find("Deployment team-a/web"), std::string::npos)
        << diff.status().message();
  }
}

TEST_F(SyncDiffTest, MalformedPointerIsAnError) {
  for (const char* bad : {"spec/replicas", "/spec/a~2b", ""}) {
    DiffOptions options;
    IgnoreDifference rule = Rule("apps", "Deployment");
    rule.json_pointers = {bad};
    options.ignore.push_back(rule);
    Result<ResourceDiff> diff = DiffResource(&live_, &desired_, options);
    EXPECT_FALSE(diff.ok()) << bad;
  }
}

TEST(SyncDiffJqTest, MatchesThePathsJqWouldDelete) {
  Object o = ParseOne(R"(
metadata:
  annotations:
    a/b: x
    "c.d": y
items:
- {name: a, v: 1, on: true}
- {name: b, v: 2, on: false}
- {name: c, v: 2, on: null}
)");
  struct Case {
    const char* expression;
    std::vector<std::string> paths;
  } cases[] = {
      {".metadata.annotations[\"a/b\"]", {"metadata.annotations.a/b"}},
      {".metadata.annotations.\"c.d\"", {"metadata.annotations.c.d"}},
      {".items[]", {"items[0]", "items[1]", "items[2]"}},
      {".items[1]", {"items[1]"}},
      {".items[-1].name", {"items[2].name"}},
      {".items[] | select(.v == 2) | .name", {"items[1].name", "items[2].name"}},
      {".items[] | select(.v == 2 and .name != \"b\")", {"items[2]"}},
      {".items[] | select(.name == \"a\" or .on == false)", {"items[0]", "items[1]"}},
      {".items[] | select(.on == null)", {"items[2]"}},
      {".items[] | select(.missing == null) | .v", {"items[0].v", "items[1].v", "items[2].v"}},
      {".items[7]", {}},
      {".metadata.nothing.deeper", {}},
      {".metadata.annotations[]?", {"metadata.annotations.a/b", "metadata.annotations.c.d"}},
  };
  for (const Case& c : cases) {
    Result<JqPath> jq = JqPath::Parse(c.expression);
    ASSERT_TRUE(jq.ok()) << jq.status().ToString();
    std::vector<std::string> got;
    for (const JsonPath& p : jq->Match(o.json())) got.push_back(PathToString(p));
    EXPECT_EQ(got, c.paths) << c.expression;
  }
}

constexpr const char* kSecret = R"(
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: team-a}
type: Opaque
data:
  password: czNjcjN0LWh1bnRlcjI=
  same: U0FNRS1TRUNSRVQtVkFMVUU=
  only-live: T05MWS1MSVZFLVNFQ1JFVA==
stringData:
  token: TOP-SECRET-TOKEN-1
)";

TEST(SyncDiffSecretTest, ValuesNeverAppearButChangesStillCount) {
  Object live = ParseOne(kSecret);
  Object desired = ParseOne(kSecret);
  desired.mutable_json()["data"]["password"].SetString("TkVXLVBBU1NXT1JELTk5");
  desired.mutable_json()["data"].RemoveMember("only-live");
  desired.mutable_json()["data"].AddMember("only-desired", "T05MWS1ERVNJUkVE", desired.allocator());
  desired.mutable_json()["stringData"]["token"].SetString("TOP-SECRET-TOKEN-2");
  Result<ResourceDiff> diff = DiffResource(&live, &desired, DiffOptions{});
  ASSERT_TRUE(diff.ok()) << diff.status().ToString();
  EXPECT_TRUE(diff->differs);
  const std::string& text = diff->text;
  EXPECT_EQ(text.rfind("===== /Secret team-a/creds ======\n", 0), 0u) << text;
  for (const char* secret :
       {"czNjcjN0LWh1bnRlcjI=", "TkVXLVBBU1NXT1JELTk5", "U0FNRS1TRUNSRVQtVkFMVUU=",
        "T05MWS1MSVZFLVNFQ1JFVA==", "T05MWS1ERVNJUkVE", "TOP-SECRET-TOKEN"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " leaked:\n" << text;
  }
  EXPECT_NE(text.find("-  password: \"*** (before)\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("+  password: \"*** (after)\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("   same: \"***\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("-  only-live: \"***\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("+  only-desired: \"***\"\n"), std::string::npos) << text;
}

TEST(SyncDiffSecretTest, EqualSecretsDoNotDiffAndCreatesAreMasked) {
  Object live = ParseOne(kSecret);
  Object desired = ParseOne(kSecret);
  Result<ResourceDiff> same = DiffResource(&live, &desired, DiffOptions{});
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->differs);
  Result<ResourceDiff> create = DiffResource(nullptr, &desired, DiffOptions{});
  ASSERT_TRUE(create.ok());
  EXPECT_TRUE(create->live_missing);
  EXPECT_EQ(create->text.find("TOP-SECRET-TOKEN"), std::string::npos) << create->text;
  EXPECT_EQ(create->text.find("czNjcjN0"), std::string::npos) << create->text;
}

TEST_F(SyncDiffTest, CreateAndPruneShowEveryLine) {
  Result<ResourceDiff> create = DiffResource(nullptr, &desired_, DiffOptions{});
  ASSERT_TRUE(create.ok());
  EXPECT_TRUE(create->live_missing && create->differs);
  std::string yaml = ToYaml(NormalizeForDiff(desired_, DiffOptions{}).json());
  size_t lines = static_cast<size_t>(std::count(yaml.begin(), yaml.end(), '\n'));
  EXPECT_NE(create->text.find("@@ -0,0 +1," + std::to_string(lines) + " @@\n"), std::string::npos)
      << create->text;
  EXPECT_EQ(create->text.find("\n-", create->text.find("@@")), std::string::npos);

  Result<ResourceDiff> prune = DiffResource(&live_, nullptr, DiffOptions{});
  ASSERT_TRUE(prune.ok());
  EXPECT_TRUE(prune->desired_missing && prune->differs);
  EXPECT_NE(prune->text.find(" +0,0 @@\n"), std::string::npos) << prune->text;
  EXPECT_EQ(prune->text.find("\n+", prune->text.find("@@")), std::string::npos);

  EXPECT_FALSE(DiffResource(nullptr, nullptr, DiffOptions{}).ok());
}

TEST(SyncDiffHostileTest, DeepOrOddInputIsRefusedOrHandledWithoutCrashing) {
  Object deep;
  JsonValue* node = &deep.mutable_json();
  for (int i = 0; i < 5000; ++i) {
    node->AddMember("a", JsonValue(rapidjson::kObjectType), deep.allocator());
    node = &(*node)["a"];
  }
  Result<ResourceDiff> diff = DiffResource(&deep, nullptr, DiffOptions{});
  ASSERT_FALSE(diff.ok());
  EXPECT_EQ(diff.status().code(), Status::Code::kLimitExceeded);

  // Wrong types where maps are expected, odd managedFields, a non-object root.
  Object odd = ParseOne(R"(
apiVersion: v1
kind: Secret
metadata:
  name: odd
  annotations: [1, 2]
  labels: null
  managedFields:
  - manager: hpa
    fieldsV1: {"f:spec": {"k:not-json": {}, "v:": {}, "i:99999999999": {}, "f:x": "leaf"}}
  - "not an entry"
data: [1, 2]
stringData: "text"
)");
  DiffOptions options;
  IgnoreDifference rule;
  rule.group = "*";
  rule.kind = "*";
  rule.managed_fields_managers = {"hpa"};
  rule.json_pointers = {"/data/0", "/data/x", "/metadata/annotations/9"};
  rule.jq_path_expressions = {".data[]", ".stringData[]", ".metadata.annotations[0]"};
  options.ignore.push_back(rule);
  Object other = ParseOne("apiVersion: v1\nkind: Secret\nmetadata: {name: odd}\n");
  Result<ResourceDiff> result = DiffResource(&odd, &other, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->differs);
}

}  // namespace
}  // namespace mlgitops
