// kubesim's validation and defaulting of built-in kinds over HTTPS, against kube-apiserver's
// rules (pkg/apis/<group>/validation, pkg/apis/<group>/v1/defaults.go) and messages, and
// fieldValidation (Strict/Warn/Ignore) for unknown and duplicate fields on every write verb.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kubesim/json_util.h"
#include "kubesim/launcher.h"
#include "kubesim/quantity.h"
#include "kubesim_test_util.h"
#include "test_util.h"

namespace mlgitops::kubesim {
namespace {

using mlgitops::testing::TempDir;

Object Json(const HttpResult& r) { return testing::ParseOrFail(r.body); }

std::string Message(const HttpResult& r) { return GetString(Json(r).json(), "message"); }

// "reason field" of each details.causes entry.
std::vector<std::string> Causes(const HttpResult& r) {
  std::vector<std::string> out;
  Object body = Json(r);
  const JsonValue* causes = Find(body.json(), "details.causes");
  if (!causes || !causes->IsArray()) return out;
  for (const auto& c : causes->GetArray()) {
    out.push_back(GetString(c, "reason") + " " + GetString(c, "field"));
  }
  return out;
}

std::vector<std::string> Warnings(const HttpResult& r) {
  std::vector<std::string> out;
  for (const auto& [key, value] : r.headers) {
    std::string lower = key;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "warning") out.push_back(value);
  }
  return out;
}

const char kSubdomainRule[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

class KubesimValidationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    LaunchOptions options;
    options.binary = mlgitops::testing::BinDir() + "/kubesim";
    options.work_dir = dir_->path();
    auto started = KubesimProcess::Start(options);
    if (started.ok()) process_ = started->release();
    if (process_) {
      process_->Request("POST", "/api/v1/namespaces",
                        R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"v"}})");
    }
  }
  static void TearDownTestSuite() {
    if (process_) {
      EXPECT_EQ(process_->Stop(), 0);
    }
    delete process_;
    process_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(process_, nullptr) << "kubesim did not start"; }

  HttpResult Post(const std::string& path, const std::string& body, const std::string& query = "") {
    return process_->Request("POST", path + query, body);
  }
  HttpResult Get(const std::string& path) { return process_->Request("GET", path); }

  static std::string Pod(const std::string& name, const std::string& spec) {
    return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name + R"("},"spec":)" +
           spec + "}";
  }
  static std::string Deployment(const std::string& name, const std::string& selector,
                                const std::string& labels, const std::string& extra = "") {
    return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + name +
           R"("},"spec":{)" + selector + R"("template":{"metadata":{"labels":)" + labels +
           R"(},"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}})" + extra + "}}";
  }

  static TempDir* dir_;
  static KubesimProcess* process_;
};

TempDir* KubesimValidationTest::dir_ = nullptr;
KubesimProcess* KubesimValidationTest::process_ = nullptr;

const char kPods[] = "/api/v1/namespaces/v/pods";
const char kDeployments[] = "/apis/apps/v1/namespaces/v/deployments";

// ---- core/v1 Pod (ValidatePodSpec, ValidateContainers) ----

TEST_F(KubesimValidationTest, PodWithoutContainersIsRequiredValue) {
  HttpResult r = Post(kPods, Pod("empty", "{}"));
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(GetString(Json(r).json(), "reason"), "Invalid");
  EXPECT_EQ(Message(r), "Pod \"empty\" is invalid: spec.containers: Required value");
  EXPECT_EQ(Causes(r), std::vector<std::string>{"FieldValueRequired spec.containers"});
  EXPECT_EQ(GetString(Json(r).json(), "details.kind"), "Pod");
  EXPECT_EQ(GetString(Json(r).json(), "details.name"), "empty");
}

TEST_F(KubesimValidationTest, ContainerNameImageAndUniquenessListEveryCauseInOrder) {
  // validateContainerCommon: name is a DNS-1123 label, image required; names unique.
  HttpResult r = Post(kPods, Pod("containers", R"({"containers":[
      {"name":"Web","image":"nginx"},{"name":"a"},{"name":"a","image":"busybox"}]})"));
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Message(r), std::string("Pod \"containers\" is invalid: [spec.containers[0].name: "
                                    "Invalid value: \"Web\": ") +
                            kSubdomainRule +
                            ", spec.containers[1].image: Required value, "
                            "spec.containers[2].name: Duplicate value: \"a\"]");
  EXPECT_EQ(Causes(r), (std::vector<std::string>{"FieldValueInvalid spec.containers[0].name",
                                                 "FieldValueRequired spec.containers[1].image",
                                                 "FieldValueDuplicate spec.containers[2].name"}));
}

TEST_F(KubesimValidationTest, PodEnumsPortsEnvAndVolumes) {
  HttpResult r = Post(kPods, Pod("enums", R"({"restartPolicy":"Sometimes","dnsPolicy":"Google",
      "volumes":[{"name":"data","emptyDir":{}},{"name":"data","emptyDir":{}}],
      "containers":[{"name":"app","image":"x:1","imagePullPolicy":"Maybe",
        "ports":[{"containerPort":70000,"protocol":"HTTP"}],
        "env":[{"name":"A=B","value":"1"}],
        "volumeMounts":[{"name":"missing","mountPath":"/m"}]}]})"));
  ASSERT_EQ(r.status, 422) << r.body;
  std::string m = Message(r);
  EXPECT_NE(m.find("spec.volumes[1].name: Duplicate value: \"data\""), std::string::npos) << m;
  EXPECT_NE(m.find("spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be "
                   "between 1 and 65535, inclusive"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": "
                   "supported values: \"SCTP\", \"TCP\", \"UDP\""),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment "
                   "variable name must consist only of printable ASCII characters other than '='"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("spec.containers[0].imagePullPolicy: Unsupported value: \"Maybe\": supported "
                   "values: \"Always\", \"IfNotPresent\", \"Never\""),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("spec.containers[0].volumeMounts[0].name: Not found: \"missing\""),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: "
                   "\"Always\", \"OnFailure\", \"Never\""),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("spec.dnsPolicy: Unsupported value: \"Google\": supported values: "
                   "\"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\""),
            std::string::npos)
      << m;
}

TEST_F(KubesimValidationTest, RequestsAboveLimitsAndNegativeQuantitiesAreInvalid) {
  // ValidateContainerResourceRequirements: request <= limit, quantities >= 0.
  HttpResult r = Post(kPods, Pod("greedy", R"({"containers":[{"name":"app","image":"x:1",
      "resources":{"limits":{"cpu":"1"},"requests":{"cpu":"2000m","memory":"-1Gi"}}}]})"));
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Message(r),
            "Pod \"greedy\" is invalid: [spec.containers[0].resources.requests: Invalid value: "
            "\"2\": must be less than or equal to cpu limit of 1, "
            "spec.containers[0].resources.requests[memory]: Invalid value: \"-1Gi\": must be "
            "greater than or equal to 0]");
}

TEST_F(KubesimValidationTest, MalformedQuantityIsADecodeErrorBadRequest) {
  // resource.Quantity's UnmarshalJSON rejects the body before validation: 400, not 422.
  HttpResult r = Post(kPods, Pod("bad-quantity", R"({"containers":[{"name":"app","image":"x:1",
      "resources":{"requests":{"memory":"lots"}}}]})"));
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(GetString(Json(r).json(), "reason"), "BadRequest");
  EXPECT_EQ(Message(r),
            "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular "
            "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  HttpResult suffix = Post(kPods, Pod("bad-suffix", R"({"containers":[{"name":"app",
      "image":"x:1","resources":{"requests":{"memory":"1Qi"}}}]})"));
  EXPECT_EQ(suffix.status, 400) << suffix.body;
}

TEST_F(KubesimValidationTest, MetadataLabelsAreQualifiedNamesAndValidValues) {
  HttpResult r = Post("/api/v1/namespaces/v/configmaps",
                      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"labels",
                        "labels":{"bad key!":"ok","app":"-bad-"}}})");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Causes(r), (std::vector<std::string>{"FieldValueInvalid metadata.labels",
                                                 "FieldValueInvalid metadata.labels"}));
  EXPECT_NE(Message(r).find("metadata.labels: Invalid value: \"-bad-\": a valid label must be an "
                            "empty string or consist of alphanumeric characters"),
            std::string::npos)
      << Message(r);
}

// ---- Service, ConfigMap, Secret, PVC ----

TEST_F(KubesimValidationTest, ServicePortsRequiredUnlessHeadlessOrExternalName) {
  const std::string svc = "/api/v1/namespaces/v/services";
  HttpResult none = Post(svc, R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},
                                  "spec":{"selector":{"app":"x"}}})");
  ASSERT_EQ(none.status, 422) << none.body;
  EXPECT_EQ(Message(none), "Service \"s\" is invalid: spec.ports: Required value");
  EXPECT_EQ(Post(svc, R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"headless"},
                          "spec":{"clusterIP":"None"}})")
                .status,
            201);
  EXPECT_EQ(Post(svc, R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"ext"},
                          "spec":{"type":"ExternalName","externalName":"db.example.com"}})")
                .status,
            201);
  HttpResult bad = Post(svc, R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"bad"},
      "spec":{"type":"Public","ports":[{"port":0,"protocol":"HTTP"},{"port":80}]}})");
  ASSERT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(Message(bad),
            "Service \"bad\" is invalid: [spec.ports[0].name: Required value, spec.ports[0].port: "
            "Invalid value: 0: must be between 1 and 65535, inclusive, spec.ports[0].protocol: "
            "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\", "
            "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive, "
            "spec.ports[1].name: Required value, spec.type: Unsupported value: \"Public\": "
            "supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", "
            "\"NodePort\"]");
}

TEST_F(KubesimValidationTest, ConfigMapAndSecretKeysAndSecretTypes) {
  HttpResult cm = Post("/api/v1/namespaces/v/configmaps",
                       R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"keys"},
                         "data":{"a/b":"x"}})");
  ASSERT_EQ(cm.status, 422) << cm.body;
  EXPECT_EQ(Message(cm),
            "ConfigMap \"keys\" is invalid: data[a/b]: Invalid value: \"a/b\": a valid config key "
            "must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
            "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
  HttpResult tls = Post("/api/v1/namespaces/v/secrets",
                        R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"tls"},
                          "type":"kubernetes.io/tls","data":{}})");
  ASSERT_EQ(tls.status, 422) << tls.body;
  EXPECT_EQ(Message(tls),
            "Secret \"tls\" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required "
            "value]");
  HttpResult b64 = Post("/api/v1/namespaces/v/secrets",
                        R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"b64"},
                          "data":{"k":"not base64!"}})");
  ASSERT_EQ(b64.status, 400) << b64.body;
  EXPECT_EQ(Message(b64).rfind("Secret in version \"v1\" cannot be handled as a Secret: illegal "
                               "base64 data at input byte ",
                               0),
            0u)
      << Message(b64);
}

TEST_F(KubesimValidationTest, ClaimNeedsAccessModesAndAStorageRequest) {
  // ValidatePersistentVolumeClaimSpec.
  HttpResult r = Post("/api/v1/namespaces/v/persistentvolumeclaims",
                      R"({"apiVersion":"v1","kind":"PersistentVolumeClaim",
                        "metadata":{"name":"c"},"spec":{}})");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Message(r),
            "PersistentVolumeClaim \"c\" is invalid: [spec.accessModes: Required value: at least "
            "1 access mode is required, spec.resources[storage]: Required value]");
}

// ---- apps/v1 (ValidateDeploymentSpec, ValidatePodTemplateSpecForReplicaSet) ----

TEST_F(KubesimValidationTest, DeploymentSelectorMustMatchTemplateLabels) {
  HttpResult r = Post(
      kDeployments,
      Deployment("mismatch", R"("selector":{"matchLabels":{"app":"web"}},)", R"({"app":"other"})"));
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Message(r),
            "Deployment.apps \"mismatch\" is invalid: spec.template.metadata.labels: Invalid "
            "value: {\"app\":\"other\"}: `selector` does not match template `labels`");
  EXPECT_EQ(GetString(Json(r).json(), "details.group"), "apps");
  HttpResult none = Post(kDeployments, Deployment("noselector", "", R"({"app":"web","tier":"x"})"));
  ASSERT_EQ(none.status, 422) << none.body;
  EXPECT_EQ(Message(none),
            "Deployment.apps \"noselector\" is invalid: [spec.selector: Required value, "
            "spec.template.metadata.labels: Invalid value: {\"app\":\"web\",\"tier\":\"x\"}: "
            "`selector` does not match template `labels`]");
}

TEST_F(KubesimValidationTest, DeploymentReplicasStrategyAndRestartPolicy) {
  HttpResult r = Post(kDeployments,
                      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
      "spec":{"replicas":-1,"selector":{"matchLabels":{"app":"d"}},
        "strategy":{"type":"Recreate","rollingUpdate":{"maxSurge":1}},
        "template":{"metadata":{"labels":{"app":"d"}},"spec":{"restartPolicy":"Never",
          "containers":[{"name":"app","image":"x:1"}]}}}})");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Message(r),
            "Deployment.apps \"d\" is invalid: [spec.replicas: Invalid value: -1: must be greater "
            "than or equal to 0, spec.template.spec.restartPolicy: Unsupported value: \"Never\": "
            "supported values: \"Always\", spec.strategy.rollingUpdate: Forbidden: may not be "
            "specified when strategy `type` is 'Recreate']");
}

TEST_F(KubesimValidationTest, StatefulSetAndDaemonSetKeepPodsRunning) {
  HttpResult sts = Post("/apis/apps/v1/namespaces/v/statefulsets",
                        R"({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},
      "spec":{"selector":{"matchLabels":{"app":"s"}},"podManagementPolicy":"Random",
        "template":{"metadata":{"labels":{"app":"s"}},"spec":{"restartPolicy":"OnFailure",
          "containers":[{"name":"app","image":"x:1"}]}}}})");
  ASSERT_EQ(sts.status, 422) << sts.body;
  EXPECT_EQ(Message(sts),
            "StatefulSet.apps \"s\" is invalid: [spec.podManagementPolicy: Invalid value: "
            "\"Random\": must be 'OrderedReady' or 'Parallel', spec.template.spec.restartPolicy: "
            "Unsupported value: \"OnFailure\": supported values: \"Always\"]");
}

// ---- batch/v1 ----

TEST_F(KubesimValidationTest, JobRestartPolicyMustBeOnFailureOrNever) {
  HttpResult r = Post("/apis/batch/v1/namespaces/v/jobs",
                      R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},
      "spec":{"template":{"spec":{"containers":[{"name":"app","image":"x:1"}]}}}})");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Message(r),
            "Job.batch \"j\" is invalid: spec.template.spec.restartPolicy: Required value: valid "
            "values: \"OnFailure\", \"Never\"");
}

TEST_F(KubesimValidationTest, JobDefaultsAndGeneratedSelector) {
  // SetDefaults_Job and the registry's generateSelector.
  HttpResult r = Post("/apis/batch/v1/namespaces/v/jobs",
                      R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"train"},
      "spec":{"template":{"metadata":{"labels":{"app":"train"}},"spec":{"restartPolicy":"Never",
        "containers":[{"name":"app","image":"trainer"}]}}}})");
  ASSERT_EQ(r.status, 201) << r.body;
  Object job = Json(r);
  const JsonValue& j = job.json();
  std::string uid = GetString(j, "metadata.uid");
  EXPECT_EQ(GetInt(j, "spec.completions"), 1);
  EXPECT_EQ(GetInt(j, "spec.parallelism"), 1);
  EXPECT_EQ(GetInt(j, "spec.backoffLimit"), 6);
  EXPECT_EQ(GetString(j, "spec.completionMode"), "NonIndexed");
  EXPECT_EQ(GetBool(j, "spec.suspend"), false);
  EXPECT_EQ(GetBool(j, "spec.manualSelector"), false);
  EXPECT_EQ(GetString(j, "spec.podReplacementPolicy"), "TerminatingOrFailed");
  auto member = [](const JsonValue* map, const char* key) {
    const JsonValue* v = map ? FindMember(*map, key) : nullptr;
    return v && v->IsString() ? std::string(v->GetString()) : std::string();
  };
  EXPECT_EQ(ToJson(*Find(j, "spec.selector")),
            R"({"matchLabels":{"batch.kubernetes.io/controller-uid":")" + uid + R"("}})");
  const JsonValue* labels = Find(j, "spec.template.metadata.labels");
  ASSERT_NE(labels, nullptr);
  EXPECT_EQ(member(labels, "controller-uid"), uid);
  EXPECT_EQ(member(labels, "batch.kubernetes.io/controller-uid"), uid);
  EXPECT_EQ(member(labels, "job-name"), "train");
  EXPECT_EQ(member(labels, "batch.kubernetes.io/job-name"), "train");
  EXPECT_EQ(GetString(*Find(j, "metadata.labels"), "app"), "train");  // copied from the template
}

TEST_F(KubesimValidationTest, CronJobScheduleSyntaxAndDefaults) {
  const std::string path = "/apis/batch/v1/namespaces/v/cronjobs";
  auto cron = [](const std::string& name, const std::string& schedule) {
    return R"({"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":")" + name +
           R"("},"spec":{"schedule":")" + schedule +
           R"(","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure",
             "containers":[{"name":"app","image":"x:1"}]}}}}}})";
  };
  HttpResult bad = Post(path, cron("bad", "every day"));
  ASSERT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(Message(bad),
            "CronJob.batch \"bad\" is invalid: spec.schedule: Invalid value: \"every day\": "
            "expected exactly 5 fields, found 2: [every day]");
  HttpResult range = Post(path, cron("range", "0 25 * * *"));
  ASSERT_EQ(range.status, 422) << range.body;
  EXPECT_NE(Message(range).find("end of range (25) above maximum (23): 25"), std::string::npos);
  HttpResult ok = Post(path, cron("nightly", "30 2 * * MON-FRI"));
  ASSERT_EQ(ok.status, 201) << ok.body;
  Object c_body = Json(ok);
  const JsonValue& c = c_body.json();
  EXPECT_EQ(GetString(c, "spec.concurrencyPolicy"), "Allow");
  EXPECT_EQ(GetBool(c, "spec.suspend"), false);
  EXPECT_EQ(GetInt(c, "spec.successfulJobsHistoryLimit"), 3);
  EXPECT_EQ(GetInt(c, "spec.failedJobsHistoryLimit"), 1);
  EXPECT_EQ(Post(path, cron("daily", "@daily")).status, 201);
}

// ---- rbac, networking, autoscaling, policy ----

TEST_F(KubesimValidationTest, RbacRulesNeedVerbsGroupsAndResources) {
  HttpResult r = Post("/apis/rbac.authorization.k8s.io/v1/namespaces/v/roles",
                      R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role",
                        "metadata":{"name":"r"},"rules":[{"resources":["pods"]},
                        {"verbs":["get"],"nonResourceURLs":["/healthz"]}]})");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Message(r),
            "Role.rbac.authorization.k8s.io \"r\" is invalid: [rules[0].verbs: Required value: "
            "verbs must contain at least one value, rules[0].apiGroups: Required value: resource "
            "rules must supply at least one api group, rules[1].nonResourceURLs: Invalid value: "
            "[\"/healthz\"]: namespaced rules cannot apply to non-resource URLs]");
  HttpResult binding = Post("/apis/rbac.authorization.k8s.io/v1/namespaces/v/rolebindings",
                            R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding",
      "metadata":{"name":"b"},"roleRef":{"kind":"User","name":"x"},
      "subjects":[{"kind":"User","name":"alice"}]})");
  ASSERT_EQ(binding.status, 422) << binding.body;
  EXPECT_EQ(Message(binding),
            "RoleBinding.rbac.authorization.k8s.io \"b\" is invalid: roleRef.kind: Unsupported "
            "value: \"User\": supported values: \"Role\", \"ClusterRole\"");
}

TEST_F(KubesimValidationTest, IngressAndNetworkPolicyShapes) {
  HttpResult ing = Post("/apis/networking.k8s.io/v1/namespaces/v/ingresses",
                        R"({"apiVersion":"networking.k8s.io/v1","kind":"Ingress",
                          "metadata":{"name":"i"},"spec":{}})");
  ASSERT_EQ(ing.status, 422) << ing.body;
  EXPECT_EQ(Message(ing),
            "Ingress.networking.k8s.io \"i\" is invalid: spec: Invalid value: null: either "
            "`defaultBackend` or `rules` must be specified");
  HttpResult np = Post("/apis/networking.k8s.io/v1/namespaces/v/networkpolicies",
                       R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
      "metadata":{"name":"n"},"spec":{"podSelector":{},"policyTypes":["Inbound"]}})");
  ASSERT_EQ(np.status, 422) << np.body;
  EXPECT_EQ(Message(np),
            "NetworkPolicy.networking.k8s.io \"n\" is invalid: spec.policyTypes[0]: Unsupported "
            "value: \"Inbound\": supported values: \"Ingress\", \"Egress\"");
  HttpResult ok = Post("/apis/networking.k8s.io/v1/namespaces/v/networkpolicies",
                       R"({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy",
      "metadata":{"name":"deny"},"spec":{"podSelector":{},"egress":[{"ports":[{"port":53}]}]}})");
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ToJson(*Find(Json(ok).json(), "spec.policyTypes")), R"(["Ingress","Egress"])");
  EXPECT_EQ(GetString((*Find(Json(ok).json(), "spec.egress"))[0]["ports"][0], "protocol"), "TCP");
}

TEST_F(KubesimValidationTest, HpaBoundsAndTargetAndPdbExclusiveFields) {
  HttpResult hpa = Post("/apis/autoscaling/v2/namespaces/v/horizontalpodautoscalers",
                        R"({"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler",
      "metadata":{"name":"h"},"spec":{"scaleTargetRef":{"kind":"Deployment"},
        "minReplicas":5,"maxReplicas":2}})");
  ASSERT_EQ(hpa.status, 422) << hpa.body;
  EXPECT_EQ(Message(hpa),
            "HorizontalPodAutoscaler.autoscaling \"h\" is invalid: [spec.maxReplicas: Invalid "
            "value: 2: must be greater than or equal to `minReplicas`, spec.scaleTargetRef.name: "
            "Required value]");
  HttpResult pdb = Post("/apis/policy/v1/namespaces/v/poddisruptionbudgets",
                        R"({"apiVersion":"policy/v1","kind":"PodDisruptionBudget",
      "metadata":{"name":"p"},"spec":{"minAvailable":1,"maxUnavailable":"120%"}})");
  ASSERT_EQ(pdb.status, 422) << pdb.body;
  EXPECT_EQ(Causes(pdb), (std::vector<std::string>{"FieldValueInvalid spec",
                                                   "FieldValueInvalid spec.maxUnavailable"}));
  EXPECT_NE(Message(pdb).find("minAvailable and maxUnavailable cannot be both set"),
            std::string::npos);
}

// ValidatePriorityClass: user-defined priorities stop at HighestUserDefinablePriority (1e9), and
// the `system-` prefix is reserved for the two built-in classes.
TEST_F(KubesimValidationTest, PriorityClassValueAndReservedNames) {
  const std::string path = "/apis/scheduling.k8s.io/v1/priorityclasses";
  HttpResult high = Post(path, R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",
      "metadata":{"name":"gpu-high"},"value":2000000000})");
  ASSERT_EQ(high.status, 422) << high.body;
  EXPECT_EQ(Message(high),
            "PriorityClass.scheduling.k8s.io \"gpu-high\" is invalid: value: Forbidden: maximum "
            "allowed value of a user defined priority is 1000000000");
  HttpResult reserved = Post(path, R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",
      "metadata":{"name":"system-gpu"},"value":10})");
  ASSERT_EQ(reserved.status, 422) << reserved.body;
  EXPECT_EQ(Causes(reserved), std::vector<std::string>{"FieldValueForbidden metadata.name"});
  HttpResult ok = Post(path, R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",
      "metadata":{"name":"gpu-training"},"value":100000,"preemptionPolicy":"Never"})");
  EXPECT_EQ(ok.status, 201) << ok.body;
}

// ---- admissionregistration/v1: validated and defaulted ----

TEST_F(KubesimValidationTest, WebhookConfigurationIsValidatedAndDefaulted) {
  const std::string path = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
  HttpResult bad = Post(path, R"({"apiVersion":"admissionregistration.k8s.io/v1",
      "kind":"ValidatingWebhookConfiguration","metadata":{"name":"bad"},
      "webhooks":[{"name":"check","timeoutSeconds":31,
        "clientConfig":{"url":"http://example.com/x"}}]})");
  ASSERT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(Message(bad),
            "ValidatingWebhookConfiguration.admissionregistration.k8s.io \"bad\" is invalid: "
            "[webhooks[0].name: Invalid value: \"check\": should be a domain with at least three "
            "segments separated by dots, webhooks[0].sideEffects: Required value: must specify "
            "one of None, NoneOnDryRun, webhooks[0].timeoutSeconds: Invalid value: 31: the "
            "timeout value must be between 1 and 30 seconds, webhooks[0].clientConfig.url: "
            "Invalid value: \"http\": 'https' is the only allowed URL scheme, "
            "webhooks[0].admissionReviewVersions: Required value: must specify one of v1, "
            "v1beta1]");
  HttpResult ok =
      Post("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
           R"({"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration",
      "metadata":{"name":"ok"},"webhooks":[{"name":"inject.ml.example.com","sideEffects":"None",
        "admissionReviewVersions":["v1"],
        "clientConfig":{"service":{"namespace":"v","name":"hook"}},
        "rules":[{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],
                  "resources":["pods"]}]}]})");
  ASSERT_EQ(ok.status, 201) << ok.body;
  Object config = Json(ok);
  const JsonValue* hook = Find(config.json(), "webhooks");
  ASSERT_TRUE(hook && hook->IsArray() && hook->Size() == 1);
  const JsonValue& h = (*hook)[0];
  EXPECT_EQ(GetString(h, "failurePolicy"), "Fail");
  EXPECT_EQ(GetString(h, "matchPolicy"), "Equivalent");
  EXPECT_EQ(GetInt(h, "timeoutSeconds"), 10);
  EXPECT_EQ(GetString(h, "reinvocationPolicy"), "Never");
  EXPECT_EQ(ToJson(*Find(h, "namespaceSelector")), "{}");
  EXPECT_EQ(ToJson(*Find(h, "objectSelector")), "{}");
  EXPECT_EQ(GetInt(h, "clientConfig.service.port"), 443);
  EXPECT_EQ(GetString(h["rules"][0], "scope"), "*");
  // The webhook has no endpoint: remove it before it refuses the other tests' Pods.
  EXPECT_EQ(process_
                ->Request("DELETE",
                          "/apis/admissionregistration.k8s.io/v1/"
                          "mutatingwebhookconfigurations/ok")
                .status,
            200);
}

// ---- Defaults (pkg/apis/*/v1/defaults.go) ----

TEST_F(KubesimValidationTest, DeploymentAndPodTemplateDefaults) {
  HttpResult r = Post(kDeployments, R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"defaults"},"spec":{"selector":{"matchLabels":{"app":"d"}},
      "template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[
        {"name":"latest","image":"nginx:latest","ports":[{"containerPort":80}],
         "readinessProbe":{"httpGet":{"port":80}}},
        {"name":"untagged","image":"registry:5000/team/model"},
        {"name":"tagged","image":"nginx:1.27"},
        {"name":"digest","image":"nginx@sha256:abc"}]}}}})");
  ASSERT_EQ(r.status, 201) << r.body;
  Object d = Json(r);
  const JsonValue& j = d.json();
  EXPECT_EQ(GetInt(j, "spec.replicas"), 1);
  EXPECT_EQ(GetString(j, "spec.strategy.type"), "RollingUpdate");
  EXPECT_EQ(GetString(j, "spec.strategy.rollingUpdate.maxSurge"), "25%");
  EXPECT_EQ(GetString(j, "spec.strategy.rollingUpdate.maxUnavailable"), "25%");
  EXPECT_EQ(GetInt(j, "spec.revisionHistoryLimit"), 10);
  EXPECT_EQ(GetInt(j, "spec.progressDeadlineSeconds"), 600);
  const JsonValue& pod = *Find(j, "spec.template.spec");
  EXPECT_EQ(GetString(pod, "restartPolicy"), "Always");
  EXPECT_EQ(GetString(pod, "dnsPolicy"), "ClusterFirst");
  EXPECT_EQ(GetString(pod, "schedulerName"), "default-scheduler");
  EXPECT_EQ(GetInt(pod, "terminationGracePeriodSeconds"), 30);
  EXPECT_EQ(ToJson(*Find(pod, "securityContext")), "{}");
  const JsonValue& c = pod["containers"];
  EXPECT_EQ(GetString(c[0], "imagePullPolicy"), "Always");
  EXPECT_EQ(GetString(c[1], "imagePullPolicy"), "Always");
  EXPECT_EQ(GetString(c[2], "imagePullPolicy"), "IfNotPresent");
  EXPECT_EQ(GetString(c[3], "imagePullPolicy"), "IfNotPresent");
  EXPECT_EQ(GetString(c[0], "terminationMessagePath"), "/dev/termination-log");
  EXPECT_EQ(GetString(c[0], "terminationMessagePolicy"), "File");
  EXPECT_EQ(GetString(c[0]["ports"][0], "protocol"), "TCP");
  const JsonValue& probe = c[0]["readinessProbe"];
  EXPECT_EQ(GetInt(probe, "timeoutSeconds"), 1);
  EXPECT_EQ(GetInt(probe, "periodSeconds"), 10);
  EXPECT_EQ(GetInt(probe, "successThreshold"), 1);
  EXPECT_EQ(GetInt(probe, "failureThreshold"), 3);
  EXPECT_EQ(GetString(probe, "httpGet.path"), "/");
  EXPECT_EQ(GetString(probe, "httpGet.scheme"), "HTTP");
}

TEST_F(KubesimValidationTest, StatefulSetServiceAndClaimDefaults) {
  HttpResult sts = Post("/apis/apps/v1/namespaces/v/statefulsets",
                        R"({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db"},
      "spec":{"selector":{"matchLabels":{"app":"db"}},"serviceName":"db",
        "template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[
          {"name":"db","image":"postgres:16"}]}},
        "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{
          "accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"2048Mi"}}}}]}})");
  ASSERT_EQ(sts.status, 201) << sts.body;
  Object s_body = Json(sts);
  const JsonValue& s = s_body.json();
  EXPECT_EQ(GetString(s, "spec.podManagementPolicy"), "OrderedReady");
  EXPECT_EQ(GetString(s, "spec.updateStrategy.type"), "RollingUpdate");
  EXPECT_EQ(GetInt(s, "spec.updateStrategy.rollingUpdate.partition"), 0);
  EXPECT_EQ(GetInt(s, "spec.revisionHistoryLimit"), 10);
  EXPECT_EQ(GetString(s, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted"), "Retain");
  EXPECT_EQ(GetString(s, "spec.persistentVolumeClaimRetentionPolicy.whenScaled"), "Retain");
  const JsonValue& claim = (*Find(s, "spec.volumeClaimTemplates"))[0];
  EXPECT_EQ(GetString(claim, "spec.volumeMode"), "Filesystem");
  EXPECT_EQ(GetString(claim, "spec.resources.requests.storage"), "2Gi");

  HttpResult svc = Post("/api/v1/namespaces/v/services",
                        R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
      "spec":{"selector":{"app":"web"},"ports":[{"port":80}]}})");
  ASSERT_EQ(svc.status, 201) << svc.body;
  Object v_body = Json(svc);
  const JsonValue& v = v_body.json();
  EXPECT_EQ(GetString(v, "spec.type"), "ClusterIP");
  EXPECT_EQ(GetString(v, "spec.sessionAffinity"), "None");
  EXPECT_EQ(GetString(v, "spec.internalTrafficPolicy"), "Cluster");
  EXPECT_EQ(GetString(v, "spec.ipFamilyPolicy"), "SingleStack");
  EXPECT_EQ(ToJson(*Find(v, "spec.ipFamilies")), R"(["IPv4"])");
  EXPECT_EQ(GetString((*Find(v, "spec.ports"))[0], "protocol"), "TCP");
  EXPECT_EQ(GetInt((*Find(v, "spec.ports"))[0], "targetPort"), 80);
}

TEST_F(KubesimValidationTest, QuantitiesAreStoredInCanonicalForm) {
  // resource.Quantity's canonical String(): largest exact suffix, binary kept binary.
  HttpResult r = Post(kPods, Pod("quantities", R"({"containers":[{"name":"app","image":"x:1",
      "resources":{"limits":{"cpu":"1000m","memory":"1024Mi","ephemeral-storage":"1.5Gi"},
                   "requests":{"cpu":0.5,"memory":"1e3"}}}]})"));
  ASSERT_EQ(r.status, 201) << r.body;
  Object pod = Json(r);
  const JsonValue& res = (*Find(pod.json(), "spec.containers"))[0]["resources"];
  EXPECT_EQ(GetString(res, "limits.cpu"), "1");
  EXPECT_EQ(GetString(res, "limits.memory"), "1Gi");
  EXPECT_EQ(GetString(res, "limits.ephemeral-storage"), "1536Mi");
  EXPECT_EQ(GetString(res, "requests.cpu"), "500m");
  EXPECT_EQ(GetString(res, "requests.memory"), "1e3");
  // SetDefaults_Pod: a limit without a request becomes the request.
  EXPECT_EQ(GetString(res, "requests.ephemeral-storage"), "1536Mi");
}

TEST(KubesimQuantity, CanonicalFormsAndErrors) {
  auto canonical = [](const std::string& text) {
    std::string error;
    auto q = ParseQuantity(text, &error);
    return q ? q->Canonical() : "error: " + error;
  };
  EXPECT_EQ(canonical("1000m"), "1");
  EXPECT_EQ(canonical("1500m"), "1500m");
  EXPECT_EQ(canonical("0.5"), "500m");
  EXPECT_EQ(canonical("1024Mi"), "1Gi");
  EXPECT_EQ(canonical("0.5Gi"), "512Mi");
  EXPECT_EQ(canonical("100m"), "100m");
  EXPECT_EQ(canonical("1200M"), "1200M");
  EXPECT_EQ(canonical("12e6"), "12e6");
  EXPECT_EQ(canonical("1.5e3"), "1500");  // no exact e3 mantissa: the exponent form stays
  EXPECT_EQ(canonical("0"), "0");
  EXPECT_EQ(canonical("-2Ki"), "-2Ki");
  EXPECT_EQ(canonical("512Ki"), "512Ki");
  EXPECT_EQ(canonical("0.1m"), "100u");
  EXPECT_EQ(canonical("+3"), "3");
  EXPECT_EQ(canonical("1Ki1"), std::string("error: ") + kQuantitySuffixError);
  EXPECT_EQ(canonical("1Qi"), std::string("error: ") + kQuantityFormatError);
  EXPECT_EQ(canonical("abc"), std::string("error: ") + kQuantityFormatError);
  EXPECT_EQ(canonical("1.2.3"), std::string("error: ") + kQuantityFormatError);
  EXPECT_EQ(canonical(""), std::string("error: ") + kQuantityFormatError);
}

TEST_F(KubesimValidationTest, SecretStringDataIsFoldedIntoData) {
  HttpResult r = Post("/api/v1/namespaces/v/secrets",
                      R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"creds"},
                        "data":{"user":"YWxpY2U="},"stringData":{"password":"s3cret","user":"bob"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  Object s_body = Json(r);
  const JsonValue& s = s_body.json();
  EXPECT_EQ(Find(s, "stringData"), nullptr);
  EXPECT_EQ(GetString(s, "data.password"), "czNjcmV0");
  EXPECT_EQ(GetString(s, "data.user"), "Ym9i");  // stringData wins over data
  EXPECT_EQ(GetString(s, "type"), "Opaque");
}

// ---- fieldValidation ----

const char kUnknownFieldDeployment[] = R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"NAME","labels":{"a":"1"},"labels":{"b":"2"}},
    "spec":{"selector":{"matchLabels":{"app":"u"}},"foo":true,
      "template":{"metadata":{"labels":{"app":"u"}},"spec":{"containers":[
        {"name":"app","image":"x:1","imagePullPolicy":"IfNotPresent","bar":1}]}}}})";

std::string Named(const std::string& name) {
  std::string body = kUnknownFieldDeployment;
  body.replace(body.find("NAME"), 4, name);
  return body;
}

TEST_F(KubesimValidationTest, StrictRefusesUnknownAndDuplicateFieldsOnCreate) {
  HttpResult r = Post(kDeployments, Named("strict"), "?fieldValidation=Strict");
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(GetString(Json(r).json(), "reason"), "BadRequest");
  EXPECT_EQ(Message(r),
            "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding "
            "error: duplicate field \"metadata.labels\", unknown field \"spec.foo\", unknown field "
            "\"spec.template.spec.containers[0].bar\"");
  EXPECT_EQ(Get(kDeployments + std::string("/strict")).status, 404);
}

TEST_F(KubesimValidationTest, WarnIsTheDefaultAndDropsTheFields) {
  for (const char* query : {"?fieldValidation=Warn", ""}) {
    std::string name = *query ? "warn" : "default";
    HttpResult r = Post(kDeployments, Named(name), query);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(Warnings(r),
              (std::vector<std::string>{
                  R"(299 - "duplicate field \"metadata.labels\"")",
                  R"(299 - "unknown field \"spec.foo\"")",
                  R"(299 - "unknown field \"spec.template.spec.containers[0].bar\"")"}))
        << name;
    Object d_body = Json(r);
    const JsonValue& d = d_body.json();
    EXPECT_EQ(Find(d, "spec.foo"), nullptr);
    EXPECT_EQ(ToJson(*Find(d, "metadata.labels")), R"({"b":"2"})");  // the last one wins
    EXPECT_EQ(Find((*Find(d, "spec.template.spec.containers"))[0], "bar"), nullptr);
  }
}

TEST_F(KubesimValidationTest, IgnoreDropsSilentlyAndOtherValuesAreInvalid) {
  HttpResult r = Post(kDeployments, Named("ignore"), "?fieldValidation=Ignore");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(Warnings(r).empty());
  EXPECT_EQ(Find(Json(r).json(), "spec.foo"), nullptr);
  HttpResult bad = Post(kDeployments, Named("loud"), "?fieldValidation=Loud");
  ASSERT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(Message(bad),
            "CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: "
            "\"Loud\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"");
}

TEST_F(KubesimValidationTest, StrictOnUpdateAndPatch) {
  HttpResult created = Post("/api/v1/namespaces/v/configmaps",
                            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},
                              "data":{"k":"v"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string cm = "/api/v1/namespaces/v/configmaps/cm";
  HttpResult put = process_->Request("PUT", cm + "?fieldValidation=Strict",
                                     R"({"apiVersion":"v1","kind":"ConfigMap",
                                       "metadata":{"name":"cm"},"data":{"k":"v"},"extra":1})");
  ASSERT_EQ(put.status, 400) << put.body;
  EXPECT_EQ(Message(put),
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: "
            "unknown field \"extra\"");
  // Merge and strategic patches: the patched object is decoded strictly (422 on "patch").
  HttpResult smp =
      process_->Request("PATCH", cm + "?fieldValidation=Strict", R"({"extra":{"x":1}})",
                        "application/strategic-merge-patch+json");
  ASSERT_EQ(smp.status, 422) << smp.body;
  EXPECT_EQ(Message(smp),
            " \"\" is invalid: patch: Invalid value: \"map[extra:map[x:1]]\": strict decoding "
            "error: unknown field \"extra\"");
  EXPECT_EQ(Causes(smp), std::vector<std::string>{"FieldValueInvalid patch"});
  HttpResult merge = process_->Request("PATCH", cm + "?fieldValidation=Warn", R"({"extra":1})",
                                       "application/merge-patch+json");
  ASSERT_EQ(merge.status, 200) << merge.body;
  EXPECT_EQ(Warnings(merge), std::vector<std::string>{R"(299 - "unknown field \"extra\"")"});
  EXPECT_EQ(Find(Json(merge).json(), "extra"), nullptr);
}

TEST_F(KubesimValidationTest, ServerSideApplyRefusesUndeclaredFieldsInEveryMode) {
  // Server-side apply converts the configuration to the typed schema: undeclared fields fail
  // whatever fieldValidation says.
  std::string config = R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"applied"},"spec":{"selector":{"matchLabels":{"app":"a"}},"foo":1,
        "template":{"metadata":{"labels":{"app":"a"}},"spec":{"containers":[
          {"name":"app","image":"x:1","bar":2}]}}}})";
  for (const char* mode : {"Ignore", "Strict"}) {
    HttpResult r = process_->Request(
        "PATCH", std::string(kDeployments) + "/applied?fieldManager=test&fieldValidation=" + mode,
        config, "application/apply-patch+yaml");
    ASSERT_EQ(r.status, 500) << r.body;
    EXPECT_EQ(Message(r),
              "failed to create typed patch object (v/applied; apps/v1, Kind=Deployment): "
              "errors:\n  .spec.foo: field not declared in schema\n  "
              ".spec.template.spec.containers[name=\"app\"].bar: field not declared in schema")
        << mode;
  }
}

}  // namespace
}  // namespace mlgitops::kubesim
