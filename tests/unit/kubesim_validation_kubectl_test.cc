// kubesim's built-in validation, defaulting and fieldValidation as the real kubectl (1.32)
// sees them: the exit codes and the messages kubectl prints for a real kube-apiserver.
#include <gtest/gtest.h>

#include <string>

#include "kubesim/json_util.h"
#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "test_util.h"

namespace mlgitops::kubesim {
namespace {

using mlgitops::testing::RunCommand;
using mlgitops::testing::TempDir;

class KubesimValidationKubectlTest : public testing::KubectlSuite<KubesimValidationKubectlTest> {
 protected:
  std::string Manifest(const std::string& name, const std::string& yaml) {
    return dir_->Write(name, yaml);
  }
  Object GetJson(const std::string& args) {
    std::string out;
    if (Kubectl("get " + args + " -o json", &out) != 0) return Object();
    auto parsed = ParseJson(out, "kubectl output");
    return parsed.ok() ? std::move(*parsed) : Object();
  }
  void Namespace(const std::string& name) {
    std::string out;
    ASSERT_EQ(Kubectl("create namespace " + name, &out), 0) << out;
  }
};

std::string DeploymentYaml(const std::string& ns, const std::string& selector_app,
                           const std::string& extra_spec = "") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: " + ns +
         "\nspec:\n  selector:\n    matchLabels: {app: " + selector_app + "}\n" + extra_spec +
         "  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
         "      - name: web\n        image: nginx:1.27\n";
}

TEST_F(KubesimValidationKubectlTest, CreateAndApplyOfASelectorMismatchFailWithTheServerCause) {
  // ValidatePodTemplateSpecForReplicaSet: `selector` does not match template `labels`.
  Namespace("kv-selector");
  std::string file = Manifest("mismatch.yaml", DeploymentYaml("kv-selector", "api"));
  const std::string expected =
      "The Deployment \"web\" is invalid: spec.template.metadata.labels: Invalid value: "
      "{\"app\":\"web\"}: `selector` does not match template `labels`\n";
  std::string out;
  EXPECT_EQ(Kubectl("create -f " + file, &out), 1);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(Kubectl("apply -f " + file, &out), 1);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(Kubectl("apply --server-side -f " + file, &out), 1);
  EXPECT_EQ(out, expected);
  EXPECT_NE(Kubectl("get deploy web -n kv-selector", &out), 0);
}

TEST_F(KubesimValidationKubectlTest, PodWithoutImageListsEachCause) {
  Namespace("kv-pod");
  std::string file = Manifest("noimage.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: p, namespace: kv-pod}
spec:
  containers:
  - name: a
  - name: b
    image: busybox:1.36
    imagePullPolicy: Sometimes
)");
  std::string out;
  EXPECT_EQ(Kubectl("create -f " + file, &out), 1);
  EXPECT_EQ(out,
            "The Pod \"p\" is invalid: \n"
            "* spec.containers[0].image: Required value\n"
            "* spec.containers[1].imagePullPolicy: Unsupported value: \"Sometimes\": supported "
            "values: \"Always\", \"IfNotPresent\", \"Never\"\n");
}

TEST_F(KubesimValidationKubectlTest, BadQuantityIsABadRequest) {
  Namespace("kv-quantity");
  std::string file = Manifest("quantity.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: q, namespace: kv-quantity}
spec:
  containers:
  - name: a
    image: busybox:1.36
    resources:
      limits: {memory: 2 gigs}
)");
  std::string out;
  EXPECT_EQ(Kubectl("create -f " + file, &out), 1);
  EXPECT_EQ(out, "Error from server (BadRequest): error when creating \"" + file +
                     "\": Pod in version \"v1\" cannot be handled as a Pod: quantities must match "
                     "the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'\n");
}

TEST_F(KubesimValidationKubectlTest, ValidateStrictRefusesAnUnknownFieldAndWarnOnlyWarns) {
  // kubectl sends fieldValidation=Strict (its default) or Warn; the server decides.
  Namespace("kv-fields");
  std::string file = Manifest("unknown.yaml", DeploymentYaml("kv-fields", "web", "  replica: 3\n"));
  std::string out;
  EXPECT_EQ(Kubectl("apply --validate=strict -f " + file, &out), 1);
  EXPECT_EQ(out, "Error from server (BadRequest): error when creating \"" + file +
                     "\": Deployment in version \"v1\" cannot be handled as a Deployment: strict "
                     "decoding error: unknown field \"spec.replica\"\n");
  EXPECT_EQ(Kubectl("create -f " + file, &out), 1) << out;  // create validates strictly too
  std::string err;
  EXPECT_EQ(KubectlSplit("apply --validate=warn -f " + file, &out, &err), 0) << err;
  EXPECT_EQ(out, "deployment.apps/web created\n");
  EXPECT_EQ(err, "Warning: unknown field \"spec.replica\"\n");
  Object live = GetJson("deploy web -n kv-fields");
  EXPECT_EQ(Find(live.json(), "spec.replica"), nullptr);
  EXPECT_EQ(GetInt(live.json(), "spec.replicas"), 1);
  // --validate=false sends Ignore: no warning.
  EXPECT_EQ(KubectlSplit("apply --validate=false -f " + file, &out, &err), 0) << err;
  EXPECT_EQ(err, "");
}

TEST_F(KubesimValidationKubectlTest, ServerSideApplyRefusesAnUndeclaredField) {
  Namespace("kv-ssa");
  std::string file = Manifest("ssa.yaml", DeploymentYaml("kv-ssa", "web", "  replica: 3\n"));
  std::string out;
  EXPECT_EQ(Kubectl("apply --server-side -f " + file, &out), 1);
  EXPECT_EQ(out,
            "Error from server: failed to create typed patch object (kv-ssa/web; apps/v1, "
            "Kind=Deployment): .spec.replica: field not declared in schema\n");
}

TEST_F(KubesimValidationKubectlTest, SecretsFromLiteralsAndStringData) {
  Namespace("kv-secret");
  std::string out;
  ASSERT_EQ(Kubectl("create secret generic lit -n kv-secret --from-literal=user=alice", &out), 0)
      << out;
  EXPECT_EQ(GetString(GetJson("secret lit -n kv-secret").json(), "data.user"), "YWxpY2U=");
  std::string file = Manifest("stringdata.yaml", R"(apiVersion: v1
kind: Secret
metadata: {name: sd, namespace: kv-secret}
stringData:
  password: s3cret
)");
  ASSERT_EQ(Kubectl("apply -f " + file, &out), 0) << out;
  Object secret = GetJson("secret sd -n kv-secret");
  EXPECT_EQ(GetString(secret.json(), "data.password"), "czNjcmV0");
  EXPECT_EQ(Find(secret.json(), "stringData"), nullptr);
  EXPECT_EQ(GetString(secret.json(), "type"), "Opaque");
  // stringData never comes back, so client-side apply patches it again every time, as it
  // does against a real cluster.
  ASSERT_EQ(Kubectl("apply -f " + file, &out), 0) << out;
  EXPECT_EQ(out, "secret/sd configured\n");
}

TEST_F(KubesimValidationKubectlTest, DefaultsShowInGetJson) {
  Namespace("kv-defaults");
  std::string file = Manifest("defaults.yaml", DeploymentYaml("kv-defaults", "web"));
  std::string out;
  ASSERT_EQ(Kubectl("apply -f " + file, &out), 0) << out;
  Object d = GetJson("deploy web -n kv-defaults");
  const JsonValue& j = d.json();
  EXPECT_EQ(GetString(j, "spec.strategy.rollingUpdate.maxSurge"), "25%");
  EXPECT_EQ(GetInt(j, "spec.revisionHistoryLimit"), 10);
  EXPECT_EQ(GetInt(j, "spec.progressDeadlineSeconds"), 600);
  EXPECT_EQ(GetString(j, "spec.template.spec.schedulerName"), "default-scheduler");
  EXPECT_EQ(GetString(j, "spec.template.spec.dnsPolicy"), "ClusterFirst");
  const JsonValue& c = (*Find(j, "spec.template.spec.containers"))[0];
  EXPECT_EQ(GetString(c, "imagePullPolicy"), "IfNotPresent");
  EXPECT_EQ(GetString(c, "terminationMessagePath"), "/dev/termination-log");
  // A second client-side apply of the same manifest finds nothing to change.
  ASSERT_EQ(Kubectl("apply -f " + file, &out), 0) << out;
  EXPECT_EQ(out, "deployment.apps/web unchanged\n");
  // Quantities come back canonical.
  std::string pvc = Manifest("pvc.yaml", R"(apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: kv-defaults}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1024Mi}}
)");
  ASSERT_EQ(Kubectl("apply -f " + pvc, &out), 0) << out;
  EXPECT_EQ(GetString(GetJson("pvc data -n kv-defaults").json(), "spec.resources.requests.storage"),
            "1Gi");
}

}  // namespace
}  // namespace mlgitops::kubesim
