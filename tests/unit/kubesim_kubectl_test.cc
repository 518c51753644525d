// Fidelity of kubesim against the real kubectl on this machine: every test runs kubectl
// commands against one kubesim process started for the suite (each test in its own namespace).
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "kubesim/discovery.h"
#include "kubesim/json_util.h"
#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "test_util.h"

namespace mlgitops::kubesim {
namespace {

using mlgitops::testing::RunCommand;
using mlgitops::testing::TempDir;
using testing::Lines;
using testing::Words;

class KubectlFidelityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    LaunchOptions options;
    options.binary = mlgitops::testing::BinDir() + "/kubesim";
    options.work_dir = dir_->path();
    options.audit_log = "audit.log";
    auto started = KubesimProcess::Start(options);
    if (started.ok()) {
      process_ = started->release();
    } else {
      start_error_ = new std::string(started.status().message());
    }
  }

  static void TearDownTestSuite() {
    if (process_) {
      EXPECT_EQ(process_->Stop(), 0) << "kubesim did not exit cleanly on SIGTERM";
    }
    delete process_;
    process_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(process_, nullptr) << (start_error_ ? *start_error_ : "kubesim not started");
    ASSERT_EQ(RunCommand("command -v kubectl", nullptr), 0) << "kubectl is not on PATH";
  }

  /// Runs `kubectl ARGS` against kubesim; stdout and stderr merged into *out.
  int Kubectl(const std::string& args, std::string* out = nullptr) {
    std::string sink;
    std::string* target = out ? out : &sink;
    int code = RunCommand(KubectlPrefix() + args, target, true);
    return code;
  }

  /// A shell line where $K is kubectl bound to kubesim (for background jobs and pipes).
  int Shell(const std::string& script, std::string* out = nullptr) {
    std::string sink;
    return RunCommand("K='" + KubectlPrefix() + "'; " + script, out ? out : &sink, true);
  }

  static std::string KubectlPrefix() {
    return "kubectl --kubeconfig " + process_->kubeconfig_path() + " --cache-dir " + dir_->path() +
           "/cache ";
  }

  std::string WriteManifest(const std::string& name, const std::string& yaml) {
    return dir_->Write(name, yaml);
  }

  /// `kubectl get ... -o json` parsed; an empty object when the command fails.
  Object GetJson(const std::string& args) {
    std::string out;
    if (RunCommand(KubectlPrefix() + "get " + args + " -o json", &out, false) != 0) return Object();
    auto parsed = ParseJson(out, "kubectl output");
    return parsed.ok() ? std::move(*parsed) : Object();
  }

  std::string Jsonpath(const std::string& args, const std::string& path) {
    std::string out;
    RunCommand(KubectlPrefix() + "get " + args + " -o jsonpath='" + path + "'", &out, false);
    return out;
  }

  static std::string AuditLog() { return mlgitops::testing::ReadFile(dir_->path() + "/audit.log"); }

  static TempDir* dir_;
  static KubesimProcess* process_;
  static std::string* start_error_;
};

TempDir* KubectlFidelityTest::dir_ = nullptr;
KubesimProcess* KubectlFidelityTest::process_ = nullptr;
std::string* KubectlFidelityTest::start_error_ = nullptr;

const std::string kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: ranker
  namespace: NS
  labels: {app: ranker}
spec:
  replicas: 2
  selector:
    matchLabels: {app: ranker}
  template:
    metadata:
      labels: {app: ranker}
    spec:
      containers:
      - name: ranker
        image: IMAGE
        ports:
        - containerPort: 8080
        env:
        - {name: MODE, value: fast}
)";

std::string Deployment(const std::string& ns, const std::string& image) {
  std::string yaml = kDeployment;
  yaml.replace(yaml.find("NS"), 2, ns);
  yaml.replace(yaml.find("IMAGE"), 5, image);
  return yaml;
}

TEST_F(KubectlFidelityTest, VersionReportsTheServedRelease) {
  std::string out;
  ASSERT_EQ(Kubectl("version -o json", &out), 0) << out;
  auto parsed = ParseJson(out.substr(out.find('{')), "kubectl version");
  ASSERT_TRUE(parsed.ok()) << out;
  EXPECT_EQ(GetString(parsed->json(), "serverVersion.gitVersion"), kServedGitVersion);
  EXPECT_EQ(GetString(parsed->json(), "serverVersion.minor"), "32");
}

TEST_F(KubectlFidelityTest, ApiResourcesListsBuiltinKindsWithShortNames) {
  std::string out;
  ASSERT_EQ(Kubectl("api-resources", &out), 0) << out;
  std::map<std::string, std::vector<std::string>> rows;
  for (const std::string& line : Lines(out)) {
    auto words = Words(line);
    if (!words.empty()) rows[words[0]] = words;
  }
  struct Expected {
    const char* name;
    std::vector<std::string> columns;
  };
  for (const Expected& e : std::vector<Expected>{
           {"deployments", {"deployments", "deploy", "apps/v1", "true", "Deployment"}},
           {"services", {"services", "svc", "v1", "true", "Service"}},
           {"namespaces", {"namespaces", "ns", "v1", "false", "Namespace"}},
           {"persistentvolumeclaims",
            {"persistentvolumeclaims", "pvc", "v1", "true", "PersistentVolumeClaim"}},
           {"horizontalpodautoscalers",
            {"horizontalpodautoscalers", "hpa", "autoscaling/v2", "true",
             "HorizontalPodAutoscaler"}},
           {"customresourcedefinitions",
            {"customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false",
             "CustomResourceDefinition"}},
           {"jobs", {"jobs", "batch/v1", "true", "Job"}},
       }) {
    ASSERT_TRUE(rows.count(e.name)) << e.name << " missing from\n" << out;
    EXPECT_EQ(rows[e.name], e.columns);
  }
  ASSERT_EQ(Kubectl("api-resources --namespaced=false -o name", &out), 0) << out;
  auto names = Lines(out);
  std::set<std::string> cluster(names.begin(), names.end());
  EXPECT_TRUE(cluster.count("namespaces"));
  EXPECT_TRUE(cluster.count("clusterroles.rbac.authorization.k8s.io"));
  EXPECT_FALSE(cluster.count("pods"));
}

TEST_F(KubectlFidelityTest, GetRawApisIsALegacyGroupList) {
  std::string out;
  ASSERT_EQ(Kubectl("get --raw /apis", &out), 0) << out;
  auto parsed = ParseJson(out, "/apis");
  ASSERT_TRUE(parsed.ok()) << out;
  EXPECT_EQ(GetString(parsed->json(), "kind"), "APIGroupList");
  std::map<std::string, std::string> preferred;
  for (const auto& g : parsed->json()["groups"].GetArray()) {
    preferred[GetString(g, "name")] = GetString(g, "preferredVersion.version");
  }
  for (const char* group :
       {"apps", "batch", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io", "policy",
        "apiextensions.k8s.io", "admissionregistration.k8s.io"}) {
    EXPECT_TRUE(preferred.count(group)) << group;
  }
  EXPECT_EQ(preferred["autoscaling"], "v2");
}

TEST_F(KubectlFidelityTest, CreateNamespaceThenGetJsonAndTable) {
  std::string out;
  ASSERT_EQ(Kubectl("create namespace fid-ns", &out), 0) << out;
  EXPECT_NE(out.find("namespace/fid-ns created"), std::string::npos) << out;
  Object ns = GetJson("namespace fid-ns");
  EXPECT_EQ(GetString(ns.json(), "kind"), "Namespace");
  EXPECT_EQ(GetString(ns.json(), "status.phase"), "Active");
  EXPECT_EQ(ns.label("kubernetes.io/metadata.name").value_or(""), "fid-ns");
  std::string uid = GetString(ns.json(), "metadata.uid");
  EXPECT_TRUE(testing::FitsShape(uid, "hhhhhhhh-hhhh-4hhh-hhhh-hhhhhhhhhhhh")) << uid;
  EXPECT_FALSE(GetString(ns.json(), "metadata.creationTimestamp").empty());

  ASSERT_EQ(Kubectl("get namespace fid-ns", &out), 0) << out;
  auto lines = Lines(out);
  ASSERT_EQ(lines.size(), 2u) << out;
  EXPECT_EQ(Words(lines[0]), (std::vector<std::string>{"NAME", "STATUS", "AGE"}));
  auto row = Words(lines[1]);
  ASSERT_EQ(row.size(), 3u) << out;
  EXPECT_EQ(row[0], "fid-ns");
  EXPECT_EQ(row[1], "Active");
  EXPECT_TRUE(testing::FitsShape(row[2], "*s")) << row[2];

  EXPECT_NE(Kubectl("create namespace fid-ns", &out), 0);
  EXPECT_NE(out.find("namespaces \"fid-ns\" already exists"), std::string::npos) << out;
}

TEST_F(KubectlFidelityTest, CreateInAMissingNamespaceIsRefusedWithTheRealMessage) {
  std::string out;
  EXPECT_NE(Kubectl("create configmap settings -n nowhere --from-literal=a=b", &out), 0);
  EXPECT_NE(out.find("namespaces \"nowhere\" not found"), std::string::npos) << out;
  std::string file = WriteManifest("missing-ns.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: nowhere}
data: {a: b}
)");
  EXPECT_NE(Kubectl("apply -f " + file, &out), 0);
  EXPECT_NE(out.find("Error from server (NotFound)"), std::string::npos) << out;
  EXPECT_NE(out.find("namespaces \"nowhere\" not found"), std::string::npos) << out;
}

TEST_F(KubectlFidelityTest, LabelThenSelectWithEqualityAndSetSelectors) {
  ASSERT_EQ(Kubectl("create namespace fid-labels"), 0);
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_EQ(Kubectl(std::string("create configmap ") + name + " -n fid-labels"), 0);
  }
  std::string out;
  ASSERT_EQ(Kubectl("label configmap a -n fid-labels tier=web", &out), 0) << out;
  EXPECT_NE(out.find("configmap/a labeled"), std::string::npos) << out;
  ASSERT_EQ(Kubectl("label configmap b -n fid-labels tier=db"), 0);
  auto names = [&](const std::string& selector) {
    std::string listed;
    Kubectl("get configmaps -n fid-labels -o name -l '" + selector + "'", &listed);
    return Lines(listed);
  };
  EXPECT_EQ(names("tier=web"), (std::vector<std::string>{"configmap/a"}));
  EXPECT_EQ(names("tier in (web,db)"), (std::vector<std::string>{"configmap/a", "configmap/b"}));
  EXPECT_EQ(names("tier notin (web)"), (std::vector<std::string>{"configmap/b", "configmap/c"}));
  EXPECT_EQ(names("!tier"), (std::vector<std::string>{"configmap/c"}));
  EXPECT_EQ(names("tier"), (std::vector<std::string>{"configmap/a", "configmap/b"}));
  ASSERT_EQ(Kubectl("label configmap a -n fid-labels tier-", &out), 0) << out;
  EXPECT_EQ(names("tier"), (std::vector<std::string>{"configmap/b"}));
}

TEST_F(KubectlFidelityTest, MergePatchBumpsGenerationOnlyForSpecChanges) {
  ASSERT_EQ(Kubectl("create namespace fid-patch"), 0);
  ASSERT_EQ(Kubectl("apply -f " + WriteManifest("patch.yaml", Deployment("fid-patch", "r:1"))), 0);
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-patch", "{.metadata.generation}"), "1");
  std::string out;
  ASSERT_EQ(
      Kubectl("patch deploy ranker -n fid-patch --type=merge -p '{\"spec\":{\"replicas\":5}}'",
              &out),
      0)
      << out;
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-patch", "{.spec.replicas} {.metadata.generation}"),
            "5 2");
  ASSERT_EQ(Kubectl("patch deploy ranker -n fid-patch --type=merge "
                    "-p '{\"metadata\":{\"annotations\":{\"note\":\"x\"}}}'",
                    &out),
            0)
      << out;
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-patch", "{.metadata.generation}"), "2");
  ASSERT_EQ(Kubectl("patch deploy ranker -n fid-patch --type=json "
                    "-p '[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":1}]'",
                    &out),
            0)
      << out;
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-patch", "{.spec.replicas}"), "1");
  // Strategic merge (kubectl's default for built-in kinds) merges containers by name.
  ASSERT_EQ(Kubectl("patch deploy ranker -n fid-patch -p '{\"spec\":{\"template\":{\"spec\":"
                    "{\"containers\":[{\"name\":\"ranker\",\"image\":\"r:2\"}]}}}}'",
                    &out),
            0)
      << out;
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-patch",
                     "{.spec.template.spec.containers[0].image} "
                     "{.spec.template.spec.containers[0].env[0].value}"),
            "r:2 fast");
}

TEST_F(KubectlFidelityTest, ServerSideApplyIsANoOpWhenRepeatedAndUpdatesChangedFields) {
  ASSERT_EQ(Kubectl("create namespace fid-ssa"), 0);
  std::string file = WriteManifest("ssa.yaml", Deployment("fid-ssa", "r:1"));
  std::string out;
  ASSERT_EQ(Kubectl("apply --server-side --validate=false -f " + file, &out), 0) << out;
  EXPECT_NE(out.find("deployment.apps/ranker serverside-applied"), std::string::npos) << out;
  std::string rv = Jsonpath("deploy ranker -n fid-ssa", "{.metadata.resourceVersion}");
  ASSERT_EQ(Kubectl("apply --server-side --validate=false -f " + file, &out), 0) << out;
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-ssa", "{.metadata.resourceVersion}"), rv)
      << "re-applying the same manifest must not write";
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-ssa",
                     "{.metadata.managedFields[0].manager} "
                     "{.metadata.managedFields[0].operation}"),
            "kubectl Apply");

  std::string changed = Deployment("fid-ssa", "r:2");
  changed.replace(changed.find("        env:\n        - {name: MODE, value: fast}\n"),
                  std::string("        env:\n        - {name: MODE, value: fast}\n").size(), "");
  ASSERT_EQ(Kubectl("apply --server-side -f " + WriteManifest("ssa2.yaml", changed), &out), 0)
      << out;
  EXPECT_NE(Jsonpath("deploy ranker -n fid-ssa", "{.metadata.resourceVersion}"), rv);
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-ssa",
                     "{.spec.template.spec.containers[0].image} {.metadata.generation}"),
            "r:2 2");
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-ssa", "{.spec.template.spec.containers[0].env}"), "")
      << "a field the manager stopped applying is removed";
}

TEST_F(KubectlFidelityTest, ServerSideApplyConflictsWithAnotherManagerUnlessForced) {
  ASSERT_EQ(Kubectl("create namespace fid-conflict"), 0);
  std::string file = WriteManifest("conflict.yaml", Deployment("fid-conflict", "r:1"));
  ASSERT_EQ(Kubectl("apply --server-side -f " + file), 0);
  ASSERT_EQ(Kubectl("scale deploy ranker -n fid-conflict --replicas=7"), 0);
  std::string out;
  EXPECT_NE(Kubectl("apply --server-side -f " + file, &out), 0);
  EXPECT_NE(out.find("Apply failed with 1 conflict"), std::string::npos) << out;
  EXPECT_NE(out.find(".spec.replicas"), std::string::npos) << out;
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-conflict", "{.spec.replicas}"), "7");
  ASSERT_EQ(Kubectl("apply --server-side --force-conflicts -f " + file, &out), 0) << out;
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-conflict", "{.spec.replicas}"), "2");
}

TEST_F(KubectlFidelityTest, DiffExitsZeroWithoutChangesAndOneWithChanges) {
  ASSERT_EQ(Kubectl("create namespace fid-diff"), 0);
  std::string file = WriteManifest("diff.yaml", Deployment("fid-diff", "r:1"));
  std::string out;
  ASSERT_EQ(Kubectl("apply -f " + file, &out), 0) << out;
  EXPECT_EQ(Kubectl("diff -f " + file, &out), 0) << out;
  std::string changed = WriteManifest("diff2.yaml", Deployment("fid-diff", "r:9"));
  EXPECT_EQ(Kubectl("diff -f " + changed, &out), 1) << out;
  EXPECT_NE(out.find("+        image: r:9"), std::string::npos) << out;
  EXPECT_NE(out.find("-        image: r:1"), std::string::npos) << out;

  ASSERT_EQ(Kubectl("create namespace fid-diff-ss"), 0);
  std::string ss = WriteManifest("diff-ss.yaml", Deployment("fid-diff-ss", "r:1"));
  ASSERT_EQ(Kubectl("apply --server-side -f " + ss, &out), 0) << out;
  EXPECT_EQ(Kubectl("diff --server-side -f " + ss, &out), 0) << out;
  std::string ss_changed = WriteManifest("diff-ss2.yaml", Deployment("fid-diff-ss", "r:3"));
  EXPECT_EQ(Kubectl("diff --server-side -f " + ss_changed, &out), 1) << out;
  EXPECT_EQ(Jsonpath("deploy ranker -n fid-diff-ss", "{.spec.template.spec.containers[0].image}"),
            "r:1")
      << "diff is a dry run";
}

TEST_F(KubectlFidelityTest, WaitForAvailableReturnsWhenTheConditionAppears) {
  ASSERT_EQ(Kubectl("create namespace fid-wait"), 0);
  ASSERT_EQ(Kubectl("apply -f " + WriteManifest("wait.yaml", Deployment("fid-wait", "r:1"))), 0);
  std::string out;
  EXPECT_NE(Kubectl("wait --for=condition=Available deploy/ranker -n fid-wait --timeout=1s", &out),
            0);
  EXPECT_NE(out.find("timed out"), std::string::npos) << out;
  int code = Shell(
      "(sleep 1; $K patch deploy ranker -n fid-wait --subresource=status --type=merge "
      "-p '{\"status\":{\"conditions\":[{\"type\":\"Available\",\"status\":\"True\"}]}}' "
      ">/dev/null) & $K wait --for=condition=Available deploy/ranker -n fid-wait --timeout=15s; "
      "rc=$?; wait; exit $rc",
      &out);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("deployment.apps/ranker condition met"), std::string::npos) << out;
}

TEST_F(KubectlFidelityTest, DeleteWaitBlocksUntilFinalizersAreRemoved) {
  ASSERT_EQ(Kubectl("create namespace fid-delete"), 0);
  std::string file = WriteManifest("finalized.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  namespace: fid-delete
  finalizers: [example.com/hold]
)");
  ASSERT_EQ(Kubectl("apply -f " + file), 0);
  std::string out;
  ASSERT_EQ(Kubectl("delete configmap held -n fid-delete --wait=false", &out), 0) << out;
  EXPECT_FALSE(Jsonpath("configmap held -n fid-delete", "{.metadata.deletionTimestamp}").empty())
      << "a finalizer keeps the object, marked for deletion";
  int code = Shell(
      "(sleep 1; $K patch configmap held -n fid-delete --type=merge "
      "-p '{\"metadata\":{\"finalizers\":null}}' >/dev/null) & "
      "$K delete configmap held -n fid-delete --wait --timeout=15s; rc=$?; wait; exit $rc",
      &out);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(Kubectl("get configmap held -n fid-delete", &out), 0);
  EXPECT_NE(out.find("configmaps \"held\" not found"), std::string::npos) << out;
}

TEST_F(KubectlFidelityTest, CustomResourcesAreServedOnlyOnceTheirCrdExists) {
  std::string out;
  EXPECT_NE(Kubectl("get models -A", &out), 0);
  EXPECT_NE(out.find("the server doesn't have a resource type \"models\""), std::string::npos)
      << out;
  std::string crd = WriteManifest("crd.yaml", R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: models.ml.example.com
spec:
  group: ml.example.com
  scope: Namespaced
  names: {plural: models, singular: model, kind: Model, shortNames: [mdl]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Framework, type: string, jsonPath: .spec.framework}
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
)");
  ASSERT_EQ(Kubectl("apply -f " + crd, &out), 0) << out;
  ASSERT_EQ(
      Kubectl("wait --for=condition=Established crd/models.ml.example.com --timeout=10s", &out), 0)
      << out;
  ASSERT_EQ(Kubectl("create namespace fid-crd"), 0);
  std::string cr = WriteManifest("model.yaml", R"(apiVersion: ml.example.com/v1
kind: Model
metadata: {name: bert, namespace: fid-crd}
spec: {framework: pytorch}
)");
  ASSERT_EQ(Kubectl("apply -f " + cr, &out), 0) << out;
  ASSERT_EQ(Kubectl("patch mdl bert -n fid-crd --subresource=status --type=merge "
                    "-p '{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}'",
                    &out),
            0)
      << out;
  ASSERT_EQ(Kubectl("get models -n fid-crd", &out), 0) << out;
  auto lines = Lines(out);
  ASSERT_EQ(lines.size(), 2u) << out;
  EXPECT_EQ(Words(lines[0]), (std::vector<std::string>{"NAME", "FRAMEWORK", "READY"}));
  EXPECT_EQ(Words(lines[1]), (std::vector<std::string>{"bert", "pytorch", "True"}));
  Object model = GetJson("model bert -n fid-crd");
  EXPECT_EQ(GetString(model.json(), "spec.framework"), "pytorch");
  EXPECT_EQ(GetInt(model.json(), "metadata.generation").value_or(0), 1);

  ASSERT_EQ(Kubectl("delete crd models.ml.example.com", &out), 0) << out;
  EXPECT_NE(Kubectl("get models -n fid-crd", &out), 0);
}

TEST_F(KubectlFidelityTest, DeletingANamespaceRemovesWhatItHolds) {
  ASSERT_EQ(Kubectl("create namespace fid-gone"), 0);
  ASSERT_EQ(Kubectl("create configmap c -n fid-gone"), 0);
  ASSERT_EQ(Kubectl("apply -f " + WriteManifest("gone.yaml", Deployment("fid-gone", "r:1"))), 0);
  std::string out;
  ASSERT_EQ(Kubectl("delete namespace fid-gone --wait --timeout=15s", &out), 0) << out;
  EXPECT_NE(Kubectl("get namespace fid-gone", &out), 0);
  EXPECT_NE(out.find("namespaces \"fid-gone\" not found"), std::string::npos) << out;
  ASSERT_EQ(Kubectl("get configmaps,deployments -n fid-gone -o name", &out), 0) << out;
  EXPECT_TRUE(Lines(out).empty()) << out;
}

TEST_F(KubectlFidelityTest, CreateSubcommandsSendingProtobufAreUnderstood) {
  ASSERT_EQ(Kubectl("create namespace fid-proto"), 0);
  std::string out;
  ASSERT_EQ(Kubectl("create deployment web -n fid-proto --image=nginx:1.27 --replicas=3 "
                    "--port=80",
                    &out),
            0)
      << out;
  EXPECT_EQ(Jsonpath("deploy web -n fid-proto",
                     "{.spec.replicas} {.spec.template.spec.containers[0].image} "
                     "{.spec.template.spec.containers[0].ports[0].containerPort} "
                     "{.spec.selector.matchLabels.app}"),
            "3 nginx:1.27 80 web");
  ASSERT_EQ(Kubectl("create secret generic creds -n fid-proto --from-literal=user=v", &out), 0)
      << out;
  EXPECT_EQ(Jsonpath("secret creds -n fid-proto", "{.data.user} {.type}"), "dg== Opaque");
  ASSERT_EQ(Kubectl("create service clusterip web -n fid-proto --tcp=80:8080", &out), 0) << out;
  EXPECT_EQ(Jsonpath("service web -n fid-proto",
                     "{.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.type}"),
            "80 8080 ClusterIP");
  ASSERT_EQ(Kubectl("create job once -n fid-proto --image=busybox -- echo hi", &out), 0) << out;
  EXPECT_EQ(Jsonpath("job once -n fid-proto", "{.spec.template.spec.containers[0].command}"),
            "[\"echo\",\"hi\"]");
  ASSERT_EQ(Kubectl("create role reader -n fid-proto --verb=get,list --resource=pods", &out), 0)
      << out;
  EXPECT_EQ(Jsonpath("role reader -n fid-proto", "{.rules[0].verbs}"), "[\"get\",\"list\"]");
  ASSERT_EQ(Kubectl("create rolebinding read -n fid-proto --role=reader --user=bob", &out), 0)
      << out;
  EXPECT_EQ(Jsonpath("rolebinding read -n fid-proto", "{.roleRef.name} {.subjects[0].name}"),
            "reader bob");
}

TEST_F(KubectlFidelityTest, GetWatchStreamsAddedAndModifiedEvents) {
  ASSERT_EQ(Kubectl("create namespace fid-watch"), 0);
  std::string out;
  Shell(
      "(timeout 4 $K get configmaps -n fid-watch --watch --output-watch-events "
      "> " +
          dir_->path() +
          "/watch.out 2>&1 &); sleep 1.5; "
          "$K create configmap w -n fid-watch >/dev/null; sleep 0.3; "
          "$K label configmap w -n fid-watch x=y >/dev/null; sleep 3",
      &out);
  std::string watched = mlgitops::testing::ReadFile(dir_->path() + "/watch.out");
  EXPECT_NE(watched.find("ADDED"), std::string::npos) << watched;
  EXPECT_NE(watched.find("MODIFIED"), std::string::npos) << watched;
}

TEST_F(KubectlFidelityTest, DescribeAndAuthCanIWork) {
  ASSERT_EQ(Kubectl("create namespace fid-describe"), 0);
  ASSERT_EQ(
      Kubectl("apply -f " + WriteManifest("describe.yaml", Deployment("fid-describe", "r:1"))), 0);
  std::string out;
  ASSERT_EQ(Kubectl("describe deployment ranker -n fid-describe", &out), 0) << out;
  EXPECT_NE(out.find("Replicas:               2 desired"), std::string::npos) << out;
  EXPECT_NE(out.find("Port:       8080/TCP"), std::string::npos) << "ports default to TCP\n" << out;
  ASSERT_EQ(Kubectl("auth can-i create deployments -n fid-describe", &out), 0) << out;
  EXPECT_EQ(Lines(out), (std::vector<std::string>{"yes"}));
}

TEST_F(KubectlFidelityTest, AuditLogRecordsKubectlWrites) {
  ASSERT_EQ(Kubectl("create namespace fid-audit"), 0);
  ASSERT_EQ(Kubectl("create configmap audited -n fid-audit"), 0);
  std::string log = AuditLog();
  EXPECT_NE(log.find("\"verb\":\"create\",\"method\":\"POST\",\"uri\":\"/api/v1/namespaces/"
                     "fid-audit/configmaps?fieldManager=kubectl-create"),
            std::string::npos);
  EXPECT_NE(log.find("\"resource\":\"configmaps\",\"subresource\":\"\",\"namespace\":\"fid-audit\""
                     ",\"name\":\"audited\",\"code\":201"),
            std::string::npos);
}

}  // namespace
}  // namespace mlgitops::kubesim
