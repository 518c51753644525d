// kubesim's simulated controllers, end to end: objects applied with the real kubectl become
// Available, Bound, Complete, Succeeded or Ready with the Pods, labels and owner references the
// real controllers create, or fail as the kubesim.mlgitops.io/outcome annotation asks; the
// project's own live health (AssessLive) then judges what kubesim produced. Plus the pure
// parts (flag parsing, step pacing) in-process, where time is given rather than waited for.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "health/assessor.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kube/live_health.h"
#include "kubesim/controllers.h"
#include "kubesim/json_util.h"
#include "kubesim/launcher.h"
#include "kubesim/request_info.h"
#include "kubesim_test_util.h"
#include "policy/conventions.h"
#include "test_util.h"

namespace mlgitops::kubesim {
namespace {

using mlgitops::testing::RunCommand;
using mlgitops::testing::TempDir;
using std::chrono::milliseconds;

constexpr const char* kStepDelay = "100ms";
constexpr milliseconds kWait{10000};

const GroupVersionKind kDeployment{"apps", "v1", "Deployment"};
const GroupVersionKind kReplicaSet{"apps", "v1", "ReplicaSet"};
const GroupVersionKind kStatefulSet{"apps", "v1", "StatefulSet"};
const GroupVersionKind kControllerRevision{"apps", "v1", "ControllerRevision"};
const GroupVersionKind kPod{"", "v1", "Pod"};
const GroupVersionKind kClaim{"", "v1", "PersistentVolumeClaim"};
const GroupVersionKind kVolume{"", "v1", "PersistentVolume"};
const GroupVersionKind kConfigMap{"", "v1", "ConfigMap"};
const GroupVersionKind kJob{"batch", "v1", "Job"};
const GroupVersionKind kPyTorchJob{"kubeflow.org", "v1", "PyTorchJob"};
const GroupVersionKind kTFJob{"kubeflow.org", "v1", "TFJob"};
const GroupVersionKind kInferenceService{"serving.kserve.io", "v1beta1", "InferenceService"};

// ---- manifests (NS is replaced by the test's namespace) ----

std::string WebDeployment(const std::string& image, const std::string& extra_metadata = "",
                          const std::string& extra_spec = "") {
  return R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: NS
)" + extra_metadata +
         R"(spec:
  replicas: 2
)" + extra_spec +
         R"(  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: main, image: )" +
         image + "}]\n";
}

std::string JobManifest(const std::string& name, const std::string& annotations,
                        const std::string& restart_policy, int backoff_limit) {
  return "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: " + name + "\n  namespace: NS\n" +
         annotations + "spec:\n  backoffLimit: " + std::to_string(backoff_limit) +
         "\n  template:\n    spec:\n      restartPolicy: " + restart_policy +
         "\n      containers: [{name: main, image: busybox:1.36}]\n";
}

std::string PyTorchJobManifest(const std::string& name, const std::string& annotations,
                               int workers) {
  return "apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata:\n  name: " + name +
         "\n  namespace: NS\n" + annotations + R"(spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: OnFailure
      template:
        spec:
          containers: [{name: pytorch, image: "pytorch/pytorch:2.4.0"}]
    Worker:
      replicas: )" +
         std::to_string(workers) +
         R"(
      restartPolicy: OnFailure
      template:
        spec:
          containers: [{name: pytorch, image: "pytorch/pytorch:2.4.0"}]
)";
}

std::string InferenceServiceManifest(const std::string& name, const std::string& annotations) {
  return "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: " +
         name + "\n  namespace: NS\n" + annotations + R"(spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: gs://kfserving-examples/models/sklearn/1.0/model
)";
}

std::string OutcomeAnnotation(const std::string& value) {
  return "  annotations: {kubesim.mlgitops.io/outcome: " + value + "}\n";
}

// ---- reading objects ----

// Find() with numeric steps for list entries: "status.containerStatuses.0.restartCount".
const JsonValue* Walk(const JsonValue& root, const std::string& path) {
  const JsonValue* at = &root;
  size_t start = 0;
  while (at && start <= path.size()) {
    size_t dot = std::min(path.find('.', start), path.size());
    std::string step = path.substr(start, dot - start);
    bool index = !step.empty() && step.find_first_not_of("0123456789") == std::string::npos;
    if (index && at->IsArray()) {
      size_t i = std::strtoul(step.c_str(), nullptr, 10);
      at = i < at->Size() ? &(*at)[static_cast<rapidjson::SizeType>(i)] : nullptr;
    } else {
      at = at->IsObject() ? Find(*at, step) : nullptr;
    }
    start = dot + 1;
  }
  return at;
}

std::string Text(const Object& o, const std::string& path) {
  const JsonValue* v = Walk(o.json(), path);
  return v && v->IsString() ? v->GetString() : "";
}

int64_t Int(const Object& o, const std::string& path) {
  const JsonValue* v = Walk(o.json(), path);
  return v && v->IsInt64() ? v->GetInt64() : -1;
}

std::string ConditionField(const Object& o, const std::string& type, const char* field) {
  const JsonValue* c = FindCondition(o.json(), type);
  return c ? MemberString(*c, field) : "";
}

// The controller ownerReference, as "Kind/name/uid" ("" when there is none).
std::string ControllerOf(const Object& o) {
  const JsonValue* refs = Find(o.json(), "metadata.ownerReferences");
  if (!refs || !refs->IsArray()) return "";
  for (const auto& ref : refs->GetArray()) {
    if (GetBool(ref, "controller").value_or(false) &&
        GetBool(ref, "blockOwnerDeletion").value_or(false)) {
      return MemberString(ref, "kind") + "/" + MemberString(ref, "name") + "/" +
             MemberString(ref, "uid");
    }
  }
  return "";
}

std::string OwnerId(const Object& owner) {
  return owner.kind() + "/" + owner.name() + "/" + Text(owner, "metadata.uid");
}

std::string Label(const Object& o, const char* key) { return o.label(key).value_or("<none>"); }

// ---- the suite: one kubesim with controllers, one namespace per test ----

class KubesimControllersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string error = testing::StartSuiteKubesim(dir_->path(), kStepDelay, &process_, &client_);
    if (!error.empty()) {
      start_error_ = new std::string(error);
      return;
    }
    std::string crds = mlgitops::testing::SourceDir() + "/tests/fixtures/kubesim/ml-crds.yaml";
    std::string out;
    if (RunCommand(KubectlPrefix() + "apply --server-side -f " + crds, &out, true) != 0) {
      start_error_ = new std::string("applying the CRDs failed: " + out);
    }
  }

  static void TearDownTestSuite() {
    if (process_) {
      EXPECT_EQ(testing::StopSuiteKubesim(&process_, &client_), 0)
          << "kubesim did not exit cleanly on SIGTERM";
    }
    delete start_error_;
    start_error_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(start_error_, nullptr) << *start_error_;
    ASSERT_NE(process_, nullptr);
    ASSERT_EQ(RunCommand("command -v kubectl", nullptr), 0) << "kubectl is not on PATH";
  }

  static std::string KubectlPrefix() {
    return "kubectl --kubeconfig " + process_->kubeconfig_path() + " --cache-dir " + dir_->path() +
           "/cache ";
  }

  int Kubectl(const std::string& args, std::string* out = nullptr) {
    std::string sink;
    return RunCommand(KubectlPrefix() + args, out ? out : &sink, true);
  }

  /// Creates namespace `ns` (once) and applies `yaml` there with server-side apply.
  void Apply(const std::string& ns, std::string yaml) {
    std::string out;
    if (Kubectl("get namespace " + ns) != 0) {
      ASSERT_EQ(Kubectl("create namespace " + ns, &out), 0) << out;
    }
    for (size_t at = yaml.find("NS"); at != std::string::npos;
         at = yaml.find("NS", at + ns.size())) {
      yaml.replace(at, 2, ns);
    }
    std::string file = dir_->Write(ns + "-" + std::to_string(++applied_) + ".yaml", yaml);
    ASSERT_EQ(Kubectl("apply --server-side -f " + file, &out), 0) << out;
  }

  static ObjectKey Key(const GroupVersionKind& gvk, const std::string& ns,
                       const std::string& name) {
    return ObjectKey{gvk, ns, name};
  }

  Object Get(const GroupVersionKind& gvk, const std::string& ns, const std::string& name) {
    auto got = client_->Get(Key(gvk, ns, name));
    EXPECT_TRUE(got.ok()) << gvk.kind << " " << ns << "/" << name << ": " << got.status().message();
    return got.ok() ? std::move(*got) : Object();
  }

  std::vector<Object> List(const GroupVersionKind& gvk, const std::string& ns,
                           const std::string& selector = "") {
    ListOptions options;
    options.label_selector = selector;
    auto list = client_->List(gvk, ns, options);
    EXPECT_TRUE(list.ok()) << gvk.kind << ": " << list.status().message();
    return list.ok() ? std::move(list->items) : std::vector<Object>();
  }

  /// Waits (watching) until `done` holds for the object; the last state seen.
  Object WaitFor(const GroupVersionKind& gvk, const std::string& ns, const std::string& name,
                 const std::function<bool(const Object&)>& done) {
    WaitOptions options;
    options.timeout = kWait;
    auto outcome = ::mlgitops::WaitFor(
        *client_, Key(gvk, ns, name), [&](const Object* o) { return o != nullptr && done(*o); },
        options);
    EXPECT_TRUE(outcome.ok()) << outcome.status().message();
    if (!outcome.ok() || !outcome->object) return Object();
    EXPECT_TRUE(outcome->satisfied)
        << gvk.kind << " " << ns << "/" << name << " never got there; last seen:\n"
        << ToJson(outcome->object->json(), true);
    return std::move(*outcome->object);
  }

  /// Polls `list` until `done` holds for what it returns; false on timeout.
  bool Eventually(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return done();
  }

  /// The store's current resourceVersion: watches from here see everything applied later.
  std::string CurrentVersion() {
    ListOptions options;
    options.limit = 1;
    auto list = client_->List(kConfigMap, "default", options);
    EXPECT_TRUE(list.ok()) << list.status().message();
    return list.ok() ? list->resource_version : "";
  }

  /// Every state the objects matching `selector` passed through since `from`, until `until`
  /// holds for one of them (the replayed watch history, so nothing is missed however fast).
  std::vector<Object> History(const GroupVersionKind& gvk, const std::string& ns,
                              const std::string& from, const std::string& selector,
                              const std::function<bool(const Object&)>& until) {
    std::vector<Object> seen;
    WatchOptions options;
    options.resource_version = from;
    options.label_selector = selector;
    options.timeout = kWait;
    auto watched = client_->Watch(gvk, ns, options, [&](const ::mlgitops::WatchEvent& event) {
      if (event.type == ::mlgitops::WatchEvent::Type::kBookmark) return true;
      seen.push_back(event.object.Clone());
      return !until(event.object);
    });
    EXPECT_TRUE(watched.ok()) << watched.status().message();
    if (watched.ok()) {
      EXPECT_EQ(watched->end, WatchEnd::kStopped) << "timed out watching";
    }
    return seen;
  }

  /// Our own verdict on a live object, with its children fetched from kubesim.
  HealthStatus Health(const GroupVersionKind& gvk, const std::string& ns, const std::string& name) {
    HealthAssessor assessor;
    auto assessed = AssessLive(*client_, {Key(gvk, ns, name)}, assessor, DefaultConventions(),
                               static_cast<int64_t>(std::time(nullptr)));
    EXPECT_TRUE(assessed.ok()) << assessed.status().message();
    if (!assessed.ok() || assessed->size() != 1) return {HealthCode::kUnknown, "not assessed"};
    return (*assessed)[0].health.status;
  }

  static TempDir* dir_;
  static KubesimProcess* process_;
  static HttpKubeClient* client_;
  static std::string* start_error_;
  int applied_ = 0;
};

TempDir* KubesimControllersTest::dir_ = nullptr;
KubesimProcess* KubesimControllersTest::process_ = nullptr;
HttpKubeClient* KubesimControllersTest::client_ = nullptr;
std::string* KubesimControllersTest::start_error_ = nullptr;

bool IsHealthy(const HealthStatus& h) { return h.code == HealthCode::kHealthy; }
bool IsDegraded(const HealthStatus& h) { return h.code == HealthCode::kDegraded; }

std::string Describe(const HealthStatus& h) {
  return std::string(HealthCodeName(h.code)) + ": " + h.message;
}

bool PodCrashLooping(const Object& pod, int64_t min_restarts) {
  return Text(pod, "status.containerStatuses.0.state.waiting.reason") == "CrashLoopBackOff" &&
         Int(pod, "status.containerStatuses.0.restartCount") >= min_restarts;
}

// ---- healthy workloads ----

TEST_F(KubesimControllersTest, DeploymentBecomesAvailableWithPodsOwnedThroughItsReplicaSet) {
  const std::string ns = "ctl-deploy";
  Apply(ns, WebDeployment("nginx:1.27"));
  std::string out;
  ASSERT_EQ(Kubectl("wait --for=condition=Available deploy/web -n " + ns + " --timeout=10s", &out),
            0)
      << out;

  Object d = WaitFor(kDeployment, ns, "web",
                     [](const Object& o) { return Int(o, "status.availableReplicas") == 2; });
  EXPECT_EQ(Int(d, "status.observedGeneration"), Int(d, "metadata.generation"));
  for (const char* field : {"status.replicas", "status.updatedReplicas", "status.readyReplicas",
                            "status.availableReplicas"}) {
    EXPECT_EQ(Int(d, field), 2) << field;
  }
  EXPECT_EQ(ConditionField(d, "Available", "reason"), "MinimumReplicasAvailable");
  EXPECT_EQ(ConditionField(d, "Progressing", "status"), "True");
  EXPECT_EQ(ConditionField(d, "Progressing", "reason"), "NewReplicaSetAvailable");

  std::vector<Object> sets = List(kReplicaSet, ns);
  ASSERT_EQ(sets.size(), 1u);
  const Object& rs = sets[0];
  std::string hash = Label(rs, "pod-template-hash");
  EXPECT_EQ(rs.name(), "web-" + hash);
  EXPECT_EQ(ControllerOf(rs), OwnerId(d));
  EXPECT_EQ(Text(rs, "spec.selector.matchLabels.pod-template-hash"), hash);
  EXPECT_EQ(rs.annotation("deployment.kubernetes.io/revision").value_or(""), std::string("1"));
  EXPECT_EQ(d.annotation("deployment.kubernetes.io/revision").value_or(""), std::string("1"));

  std::vector<Object> pods = List(kPod, ns, "app=web");
  ASSERT_EQ(pods.size(), 2u);
  for (const Object& pod : pods) {
    EXPECT_EQ(pod.name().rfind("web-" + hash + "-", 0), 0u) << pod.name();
    EXPECT_EQ(ControllerOf(pod), OwnerId(rs));
    EXPECT_EQ(Label(pod, "pod-template-hash"), hash);
    EXPECT_EQ(Text(pod, "status.phase"), "Running");
    EXPECT_EQ(ConditionField(pod, "Ready", "status"), "True");
    const JsonValue* ready = Walk(pod.json(), "status.containerStatuses.0.ready");
    EXPECT_TRUE(ready && ready->IsBool() && ready->GetBool());
    EXPECT_NE(Text(pod, "status.containerStatuses.0.state.running.startedAt"), "");
    EXPECT_EQ(Text(pod, "spec.nodeName"), "kubesim");
  }
  HealthStatus health = Health(kDeployment, ns, "web");
  EXPECT_TRUE(IsHealthy(health)) << Describe(health);
}

TEST_F(KubesimControllersTest, TemplateChangeRollsOutANewReplicaSetAndScaleKeepsIt) {
  const std::string ns = "ctl-rollout";
  Apply(ns, WebDeployment("nginx:1.27"));
  WaitFor(kDeployment, ns, "web",
          [](const Object& o) { return ConditionField(o, "Available", "status") == "True"; });
  std::string old_hash = Label(List(kReplicaSet, ns)[0], "pod-template-hash");

  Apply(ns, WebDeployment("nginx:1.28"));
  std::string out;
  ASSERT_EQ(Kubectl("rollout status deploy/web -n " + ns + " --timeout=10s", &out), 0) << out;
  Object d = Get(kDeployment, ns, "web");
  EXPECT_EQ(Int(d, "metadata.generation"), 2);
  EXPECT_EQ(Int(d, "status.observedGeneration"), 2);
  EXPECT_EQ(d.annotation("deployment.kubernetes.io/revision").value_or(""), std::string("2"));
  std::vector<Object> sets = List(kReplicaSet, ns);
  ASSERT_EQ(sets.size(), 2u);
  std::string new_hash;
  for (const Object& rs : sets) {
    bool is_old = Label(rs, "pod-template-hash") == old_hash;
    EXPECT_EQ(Int(rs, "spec.replicas"), is_old ? 0 : 2) << rs.name();
    EXPECT_EQ(rs.annotation("deployment.kubernetes.io/revision").value_or(""),
              std::string(is_old ? "1" : "2"));
    if (!is_old) new_hash = Label(rs, "pod-template-hash");
  }
  EXPECT_TRUE(Eventually([&] {
    std::vector<Object> pods = List(kPod, ns, "app=web");
    for (const Object& p : pods) {
      if (Label(p, "pod-template-hash") != new_hash) return false;
    }
    return pods.size() == 2;
  })) << "old Pods were not replaced";

  ASSERT_EQ(Kubectl("scale deploy/web --replicas=3 -n " + ns, &out), 0) << out;
  d = WaitFor(kDeployment, ns, "web", [](const Object& o) {
    return Int(o, "status.availableReplicas") == 3 && Int(o, "status.observedGeneration") == 3;
  });
  EXPECT_EQ(List(kReplicaSet, ns).size(), 2u) << "scaling is not a new rollout";
  EXPECT_EQ(List(kPod, ns, "pod-template-hash=" + new_hash).size(), 3u);
}

TEST_F(KubesimControllersTest, StatefulSetStartsOrdinalsWithTheirClaimsAndRollsOnChange) {
  const std::string ns = "ctl-sts";
  std::string sts = R"(apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: NS}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: main, image: IMAGE}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
)";
  auto with_image = [&](const std::string& image) {
    std::string yaml = sts;
    return yaml.replace(yaml.find("IMAGE"), 5, image);
  };
  Apply(ns, with_image("postgres:16"));
  auto settled = [](const Object& o) {
    return Int(o, "status.readyReplicas") == 2 &&
           Text(o, "status.currentRevision") == Text(o, "status.updateRevision") &&
           Int(o, "status.observedGeneration") == Int(o, "metadata.generation");
  };
  Object s = WaitFor(kStatefulSet, ns, "db", settled);
  std::string revision = Text(s, "status.updateRevision");
  EXPECT_EQ(revision.rfind("db-", 0), 0u) << revision;
  EXPECT_EQ(Int(s, "status.currentReplicas"), 2);
  EXPECT_EQ(Int(s, "status.updatedReplicas"), 2);
  for (int i = 0; i < 2; ++i) {
    std::string name = "db-" + std::to_string(i);
    Object pod = Get(kPod, ns, name);
    EXPECT_EQ(ControllerOf(pod), OwnerId(s));
    EXPECT_EQ(Label(pod, "controller-revision-hash"), revision);
    EXPECT_EQ(Label(pod, "statefulset.kubernetes.io/pod-name"), name);
    EXPECT_EQ(Label(pod, "apps.kubernetes.io/pod-index"), std::to_string(i));
    EXPECT_EQ(Text(pod, "spec.hostname"), name);
    EXPECT_EQ(Text(pod, "spec.volumes.0.persistentVolumeClaim.claimName"), "data-" + name);
    Object claim = WaitFor(kClaim, ns, "data-" + name,
                           [](const Object& c) { return Text(c, "status.phase") == "Bound"; });
    EXPECT_EQ(Text(claim, "status.capacity.storage"), "1Gi");
  }
  EXPECT_EQ(ControllerOf(Get(kControllerRevision, ns, revision)), OwnerId(s));
  HealthStatus health = Health(kStatefulSet, ns, "db");
  EXPECT_TRUE(IsHealthy(health)) << Describe(health);

  Apply(ns, with_image("postgres:17"));
  s = WaitFor(kStatefulSet, ns, "db", [&](const Object& o) {
    return settled(o) && Text(o, "status.updateRevision") != revision;
  });
  for (const char* name : {"db-0", "db-1"}) {
    EXPECT_EQ(Label(Get(kPod, ns, name), "controller-revision-hash"),
              Text(s, "status.updateRevision"));
  }
}

TEST_F(KubesimControllersTest, ClaimIsBoundToANewVolume) {
  const std::string ns = "ctl-pvc";
  Apply(ns, R"(apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: features, namespace: NS}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 5Gi}}
)");
  Object claim = WaitFor(kClaim, ns, "features",
                         [](const Object& c) { return Text(c, "status.phase") == "Bound"; });
  EXPECT_EQ(Text(claim, "status.capacity.storage"), "5Gi");
  EXPECT_EQ(Text(claim, "status.accessModes.0"), "ReadWriteOnce");
  std::string volume = Text(claim, "spec.volumeName");
  ASSERT_FALSE(volume.empty());
  Object pv = WaitFor(kVolume, "", volume,
                      [](const Object& v) { return Text(v, "status.phase") == "Bound"; });
  EXPECT_EQ(Text(pv, "spec.claimRef.uid"), Text(claim, "metadata.uid"));
  EXPECT_EQ(Text(pv, "spec.capacity.storage"), "5Gi");
  HealthStatus health = Health(kClaim, ns, "features");
  EXPECT_TRUE(IsHealthy(health)) << Describe(health);
}

TEST_F(KubesimControllersTest, JobRunsItsPodThenCompletes) {
  const std::string ns = "ctl-job";
  std::string from = CurrentVersion();
  Apply(ns, JobManifest("train", "", "Never", 6));
  std::string out;
  ASSERT_EQ(Kubectl("wait --for=condition=Complete job/train -n " + ns + " --timeout=10s", &out), 0)
      << out;

  std::vector<Object> states = History(kJob, ns, from, "", [](const Object& o) {
    return ConditionField(o, "Complete", "status") == "True";
  });
  bool was_active = false;
  for (const Object& s : states) was_active |= Int(s, "status.active") == 1;
  EXPECT_TRUE(was_active) << "the Job never reported an active Pod";
  ASSERT_FALSE(states.empty());
  const Object& job = states.back();
  EXPECT_EQ(Int(job, "status.succeeded"), 1);
  EXPECT_EQ(Int(job, "status.active"), -1) << "active is dropped once the Job finishes";
  EXPECT_EQ(Text(job, "status.conditions.0.type"), "SuccessCriteriaMet");
  EXPECT_EQ(Text(job, "status.conditions.1.type"), "Complete");
  EXPECT_EQ(ConditionField(job, "Complete", "reason"), "CompletionsReached");
  EXPECT_NE(Text(job, "status.startTime"), "");
  EXPECT_NE(Text(job, "status.completionTime"), "");

  std::vector<Object> pod_states =
      History(kPod, ns, from, "batch.kubernetes.io/job-name=train",
              [](const Object& p) { return Text(p, "status.phase") == "Succeeded"; });
  std::vector<std::string> phases;
  for (const Object& p : pod_states) {
    std::string phase = Text(p, "status.phase");
    if (phases.empty() || phases.back() != phase) phases.push_back(phase);
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"Pending", "Running", "Succeeded"}));
  std::vector<Object> pods = List(kPod, ns, "job-name=train");
  ASSERT_EQ(pods.size(), 1u);
  const Object& pod = pods[0];
  std::string uid = Text(job, "metadata.uid");
  EXPECT_EQ(ControllerOf(pod), OwnerId(job));
  EXPECT_EQ(Label(pod, "batch.kubernetes.io/controller-uid"), uid);
  EXPECT_EQ(Label(pod, "controller-uid"), uid);
  EXPECT_EQ(Label(pod, "batch.kubernetes.io/job-name"), "train");
  EXPECT_EQ(Text(pod, "status.containerStatuses.0.state.terminated.reason"), "Completed");
  EXPECT_EQ(Int(pod, "status.containerStatuses.0.state.terminated.exitCode"), 0);
  HealthStatus health = Health(kJob, ns, "train");
  EXPECT_TRUE(IsHealthy(health)) << Describe(health);
}

TEST_F(KubesimControllersTest, PyTorchJobGoesCreatedRunningSucceededWithPodsPerReplica) {
  const std::string ns = "ctl-pytorch";
  std::string from = CurrentVersion();
  Apply(ns, PyTorchJobManifest("bert", "", 2));
  std::string out;
  ASSERT_EQ(
      Kubectl("wait --for=condition=Succeeded pytorchjob/bert -n " + ns + " --timeout=10s", &out),
      0)
      << out;

  std::vector<Object> states = History(kPyTorchJob, ns, from, "", [](const Object& o) {
    return ConditionField(o, "Succeeded", "status") == "True";
  });
  std::vector<std::string> phases;  // the newest True condition of each state
  for (const Object& s : states) {
    std::string phase;
    for (const char* type : {"Created", "Running", "Succeeded"}) {
      if (ConditionField(s, type, "status") == "True") phase = type;
    }
    if (!phase.empty() && (phases.empty() || phases.back() != phase)) phases.push_back(phase);
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"Created", "Running", "Succeeded"}));
  ASSERT_FALSE(states.empty());
  const Object& job = states.back();
  EXPECT_EQ(ConditionField(job, "Succeeded", "reason"), "PyTorchJobSucceeded");
  EXPECT_EQ(ConditionField(job, "Running", "status"), "False");
  EXPECT_EQ(Int(job, "status.replicaStatuses.Master.succeeded"), 1);
  EXPECT_EQ(Int(job, "status.replicaStatuses.Worker.succeeded"), 2);
  EXPECT_NE(Text(job, "status.completionTime"), "");

  std::vector<Object> pods = List(kPod, ns, "training.kubeflow.org/job-name=bert");
  std::vector<std::string> names;
  for (const Object& pod : pods) {
    names.push_back(pod.name());
    std::string type = pod.name().find("master") != std::string::npos ? "master" : "worker";
    EXPECT_EQ(Label(pod, "training.kubeflow.org/replica-type"), type);
    EXPECT_EQ(ControllerOf(pod), OwnerId(job));
    EXPECT_EQ(Text(pod, "spec.restartPolicy"), "OnFailure");
    EXPECT_EQ(Text(pod, "status.phase"), "Succeeded");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"bert-master-0", "bert-worker-0", "bert-worker-1"}));
  EXPECT_EQ(Label(Get(kPod, ns, "bert-worker-1"), "training.kubeflow.org/replica-index"), "1");
  HealthStatus health = Health(kPyTorchJob, ns, "bert");
  EXPECT_TRUE(IsHealthy(health)) << Describe(health);
}

TEST_F(KubesimControllersTest, TFJobWithOnlyWorkersSucceedsWhenTheyAllDo) {
  const std::string ns = "ctl-tf";
  Apply(ns, R"(apiVersion: kubeflow.org/v1
kind: TFJob
metadata: {name: mnist, namespace: NS}
spec:
  tfReplicaSpecs:
    Worker:
      replicas: 2
      restartPolicy: Never
      template:
        spec:
          containers: [{name: tensorflow, image: "tensorflow/tensorflow:2.16.1"}]
)");
  Object job = WaitFor(kTFJob, ns, "mnist", [](const Object& o) {
    return ConditionField(o, "Succeeded", "status") == "True";
  });
  EXPECT_EQ(ConditionField(job, "Succeeded", "reason"), "TFJobSucceeded");
  EXPECT_EQ(Int(job, "status.replicaStatuses.Worker.succeeded"), 2);
  EXPECT_EQ(List(kPod, ns, "training.kubeflow.org/replica-type=worker").size(), 2u);
}

TEST_F(KubesimControllersTest, InferenceServiceLoadsItsModelAndBecomesReady) {
  const std::string ns = "ctl-isvc";
  std::string from = CurrentVersion();
  Apply(ns, InferenceServiceManifest("sklearn-iris", ""));
  std::string out;
  ASSERT_EQ(
      Kubectl("wait --for=condition=Ready isvc/sklearn-iris -n " + ns + " --timeout=10s", &out), 0)
      << out;
  std::vector<Object> states = History(kInferenceService, ns, from, "", [](const Object& o) {
    return ConditionField(o, "Ready", "status") == "True";
  });
  std::vector<std::string> targets;
  for (const Object& s : states) {
    std::string target = Text(s, "status.modelStatus.states.targetModelState");
    if (!target.empty() && (targets.empty() || targets.back() != target)) targets.push_back(target);
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"Pending", "Loading", "Loaded"}));
  ASSERT_FALSE(states.empty());
  const Object& isvc = states.back();
  for (const char* type : {"IngressReady", "PredictorReady", "Ready"}) {
    EXPECT_EQ(ConditionField(isvc, type, "status"), "True") << type;
  }
  EXPECT_EQ(Text(isvc, "status.modelStatus.transitionStatus"), "UpToDate");
  EXPECT_EQ(Text(isvc, "status.modelStatus.states.activeModelState"), "Loaded");
  EXPECT_EQ(Text(isvc, "status.url"), "http://sklearn-iris-" + ns + ".example.com");
  EXPECT_EQ(Int(isvc, "status.observedGeneration"), 1);
  HealthStatus health = Health(kInferenceService, ns, "sklearn-iris");
  EXPECT_TRUE(IsHealthy(health)) << Describe(health);
}

TEST_F(KubesimControllersTest, SettledObjectsAreNotWrittenAgain) {
  const std::string ns = "ctl-quiet";
  Apply(ns, WebDeployment("nginx:1.27") + "---\n" + JobManifest("once", "", "Never", 6));
  WaitFor(kDeployment, ns, "web", [](const Object& o) {
    return ConditionField(o, "Progressing", "reason") == "NewReplicaSetAvailable";
  });
  WaitFor(kJob, ns, "once",
          [](const Object& o) { return ConditionField(o, "Complete", "status") == "True"; });
  auto versions = [&] {
    std::vector<std::string> out;
    for (const auto& gvk : {kDeployment, kReplicaSet, kPod, kJob}) {
      for (const Object& o : List(gvk, ns)) {
        out.push_back(o.kind() + "/" + o.name() + "@" + Text(o, "metadata.resourceVersion"));
      }
    }
    return out;
  };
  std::vector<std::string> before = versions();
  std::this_thread::sleep_for(milliseconds(600));  // six steps
  EXPECT_EQ(versions(), before);
  EXPECT_EQ(before.size(), 6u) << "Deployment, ReplicaSet, two Pods, Job, its Pod";
}

// ---- failures asked for by the outcome annotation ----

TEST_F(KubesimControllersTest, CrashloopDeploymentNeverBecomesAvailable) {
  const std::string ns = "ctl-crash";
  Apply(ns, WebDeployment("nginx:1.27", OutcomeAnnotation("crashloop"),
                          "  progressDeadlineSeconds: 1\n"));
  std::string out;
  EXPECT_NE(Kubectl("wait --for=condition=Available deploy/web -n " + ns + " --timeout=1s", &out),
            0)
      << out;
  std::string pod_name;
  int64_t restarts = 0;
  ASSERT_TRUE(Eventually([&] {
    for (const Object& pod : List(kPod, ns, "app=web")) {
      if (!PodCrashLooping(pod, 2)) continue;
      pod_name = pod.name();
      restarts = Int(pod, "status.containerStatuses.0.restartCount");
      return true;
    }
    return false;
  })) << "no Pod went into CrashLoopBackOff";
  Object pod = WaitFor(kPod, ns, pod_name, [&](const Object& p) {
    return Int(p, "status.containerStatuses.0.restartCount") > restarts;
  });
  EXPECT_EQ(Text(pod, "status.phase"), "Running");
  EXPECT_EQ(ConditionField(pod, "Ready", "status"), "False");
  EXPECT_EQ(Text(pod, "status.containerStatuses.0.lastState.terminated.reason"), "Error");
  EXPECT_EQ(Int(pod, "status.containerStatuses.0.lastState.terminated.exitCode"), 1);
  EXPECT_NE(Text(pod, "status.containerStatuses.0.state.waiting.message").find(pod_name),
            std::string::npos);

  Object d = WaitFor(kDeployment, ns, "web", [](const Object& o) {
    return ConditionField(o, "Progressing", "reason") == "ProgressDeadlineExceeded";
  });
  EXPECT_EQ(ConditionField(d, "Available", "status"), "False");
  EXPECT_EQ(ConditionField(d, "Progressing", "status"), "False");
  EXPECT_EQ(Int(d, "status.availableReplicas"), -1);
  HealthStatus deployment = Health(kDeployment, ns, "web");
  EXPECT_TRUE(IsDegraded(deployment)) << Describe(deployment);
  EXPECT_NE(deployment.message.find("progress deadline"), std::string::npos);
  HealthStatus crashing = Health(kPod, ns, pod_name);
  EXPECT_TRUE(IsDegraded(crashing)) << Describe(crashing);
  EXPECT_NE(crashing.message.find(pod_name), std::string::npos) << crashing.message;
}

TEST_F(KubesimControllersTest, CrashloopJobIsDegradedThenFailsAtItsBackoffLimit) {
  const std::string ns = "ctl-crash-job";
  Apply(ns, JobManifest("loop", OutcomeAnnotation("crashloop"), "OnFailure", 5));
  std::string pod_name;
  ASSERT_TRUE(Eventually([&] {
    for (const Object& pod : List(kPod, ns, "job-name=loop")) {
      if (PodCrashLooping(pod, 1)) pod_name = pod.name();
    }
    return !pod_name.empty();
  }));
  HealthStatus running = Health(kJob, ns, "loop");
  EXPECT_TRUE(IsDegraded(running)) << Describe(running);
  EXPECT_NE(running.message.find("pod " + pod_name), std::string::npos) << running.message;
  EXPECT_NE(running.message.find("CrashLoopBackOff"), std::string::npos) << running.message;

  std::string out;
  ASSERT_EQ(Kubectl("wait --for=condition=Failed job/loop -n " + ns + " --timeout=10s", &out), 0)
      << out;
  Object job = Get(kJob, ns, "loop");
  EXPECT_EQ(ConditionField(job, "Failed", "reason"), "BackoffLimitExceeded");
  EXPECT_EQ(ConditionField(job, "Complete", "status"), "");
  EXPECT_EQ(Int(job, "status.failed"), 1);
  EXPECT_TRUE(Eventually([&] { return List(kPod, ns, "job-name=loop").empty(); }))
      << "a failed Job's running Pods are stopped";
  HealthStatus failed = Health(kJob, ns, "loop");
  EXPECT_TRUE(IsDegraded(failed)) << Describe(failed);
}

TEST_F(KubesimControllersTest, CrashloopPyTorchJobNeverCompletesAndNamesThePod) {
  const std::string ns = "ctl-crash-pt";
  Apply(ns, PyTorchJobManifest("llama", OutcomeAnnotation("crashloop"), 1));
  Object master =
      WaitFor(kPod, ns, "llama-master-0", [](const Object& p) { return PodCrashLooping(p, 3); });
  Object job = Get(kPyTorchJob, ns, "llama");
  EXPECT_EQ(ConditionField(job, "Running", "status"), "True");
  EXPECT_EQ(ConditionField(job, "Succeeded", "status"), "");
  EXPECT_EQ(ConditionField(job, "Failed", "status"), "");
  HealthStatus health = Health(kPyTorchJob, ns, "llama");
  EXPECT_TRUE(IsDegraded(health)) << Describe(health);
  EXPECT_NE(health.message.find("pod llama-"), std::string::npos) << health.message;
  EXPECT_NE(health.message.find("CrashLoopBackOff"), std::string::npos) << health.message;
}

TEST_F(KubesimControllersTest, FailJobFailsWithBackoffLimitExceeded) {
  const std::string ns = "ctl-fail-job";
  Apply(ns, JobManifest("etl", OutcomeAnnotation("fail"), "Never", 1));
  std::string out;
  ASSERT_EQ(Kubectl("wait --for=condition=Failed job/etl -n " + ns + " --timeout=10s", &out), 0)
      << out;
  Object job = Get(kJob, ns, "etl");
  EXPECT_EQ(ConditionField(job, "Failed", "reason"), "BackoffLimitExceeded");
  EXPECT_EQ(ConditionField(job, "FailureTarget", "status"), "True");
  EXPECT_EQ(Int(job, "status.failed"), 2) << "backoffLimit 1: the first Pod and one retry";
  std::vector<Object> pods = List(kPod, ns, "job-name=etl");
  ASSERT_EQ(pods.size(), 2u);
  for (const Object& pod : pods) {
    EXPECT_EQ(Text(pod, "status.phase"), "Failed");
    EXPECT_EQ(Text(pod, "status.containerStatuses.0.state.terminated.reason"), "Error");
    EXPECT_EQ(Int(pod, "status.containerStatuses.0.state.terminated.exitCode"), 1);
  }
  HealthStatus health = Health(kJob, ns, "etl");
  EXPECT_TRUE(IsDegraded(health)) << Describe(health);
  EXPECT_NE(health.message.find("backoff limit"), std::string::npos) << health.message;
}

TEST_F(KubesimControllersTest, FailPyTorchJobFails) {
  const std::string ns = "ctl-fail-pt";
  Apply(ns, PyTorchJobManifest("gpt", OutcomeAnnotation("fail"), 1));
  Object job = WaitFor(kPyTorchJob, ns, "gpt", [](const Object& o) {
    return ConditionField(o, "Failed", "status") == "True";
  });
  EXPECT_EQ(ConditionField(job, "Failed", "reason"), "PyTorchJobFailed");
  EXPECT_EQ(ConditionField(job, "Running", "status"), "False");
  EXPECT_EQ(ConditionField(job, "Succeeded", "status"), "");
  EXPECT_EQ(Text(job, "status.completionTime"), "");
  HealthStatus health = Health(kPyTorchJob, ns, "gpt");
  EXPECT_TRUE(IsDegraded(health)) << Describe(health);
}

TEST_F(KubesimControllersTest, FailedToLoadInferenceServiceReportsKServesFailure) {
  const std::string ns = "ctl-isvc-fail";
  Apply(ns, InferenceServiceManifest("broken", OutcomeAnnotation("failed-to-load")));
  Object isvc = WaitFor(kInferenceService, ns, "broken", [](const Object& o) {
    return Text(o, "status.modelStatus.transitionStatus") == "BlockedByFailedLoad";
  });
  EXPECT_EQ(Text(isvc, "status.modelStatus.states.targetModelState"), "FailedToLoad");
  EXPECT_EQ(Text(isvc, "status.modelStatus.lastFailureInfo.reason"), "ModelLoadFailed");
  EXPECT_EQ(Int(isvc, "status.modelStatus.lastFailureInfo.exitCode"), 1);
  EXPECT_EQ(ConditionField(isvc, "Ready", "status"), "False");
  EXPECT_EQ(ConditionField(isvc, "PredictorReady", "status"), "False");
  HealthStatus health = Health(kInferenceService, ns, "broken");
  EXPECT_TRUE(IsDegraded(health)) << Describe(health);
  EXPECT_NE(health.message.find("ModelLoadFailed"), std::string::npos) << health.message;
}

TEST_F(KubesimControllersTest, SlowOutcomeTakesTenTimesLonger) {
  const std::string ns = "ctl-slow";
  Apply(ns, JobManifest("quick", "", "Never", 6) + "---\n" +
                JobManifest("slow", OutcomeAnnotation("slow"), "Never", 6));
  auto start = std::chrono::steady_clock::now();
  auto complete = [](const Object& o) { return ConditionField(o, "Complete", "status") == "True"; };
  WaitFor(kJob, ns, "quick", complete);
  EXPECT_EQ(ConditionField(Get(kJob, ns, "slow"), "Complete", "status"), "");
  std::vector<Object> slow_pods = List(kPod, ns, "job-name=slow");
  ASSERT_EQ(slow_pods.size(), 1u);
  EXPECT_EQ(Text(slow_pods[0], "status.phase"), "Pending") << "a slow Pod starts after 10 steps";
  WaitFor(kJob, ns, "slow", complete);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(1500))
      << "two slow steps of 10 x " << kStepDelay;
}

// ---- switched off ----

TEST(KubesimControllersOffTest, TheLauncherStartsKubesimWithoutControllersByDefault) {
  TempDir dir;
  LaunchOptions options;
  options.binary = mlgitops::testing::BinDir() + "/kubesim";
  options.work_dir = dir.path();
  auto started = KubesimProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status().message();
  KubesimProcess& kubesim = **started;
  HttpResult created = kubesim.Request("POST", "/apis/apps/v1/namespaces/default/deployments",
                                       R"({"metadata":{"name":"still"},"spec":{"replicas":1,
                          "selector":{"matchLabels":{"app":"still"}},
                          "template":{"metadata":{"labels":{"app":"still"}},
                          "spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::this_thread::sleep_for(milliseconds(500));  // more than two default steps
  HttpResult sets = kubesim.Request("GET", "/apis/apps/v1/namespaces/default/replicasets");
  ASSERT_EQ(sets.status, 200);
  EXPECT_EQ(testing::ParseOrFail(sets.body).json()["items"].Size(), 0u);
  Object deployment = testing::ParseOrFail(
      kubesim.Request("GET", "/apis/apps/v1/namespaces/default/deployments/still").body);
  EXPECT_EQ(Find(deployment.json(), "status.conditions"), nullptr);
  EXPECT_EQ(GetString(deployment.json(), "metadata.name"), "still");
  EXPECT_EQ(kubesim.Stop(), 0);
}

// ---- in-process: pacing with given times, flags ----

class ControllerPassTest : public ::testing::Test {
 protected:
  HttpResponse Post(const std::string& path, const std::string& body) {
    HttpRequest request;
    request.method = "POST";
    request.path = path;
    request.body = body;
    request.content_type = "application/json";
    request.user_agent = "unit-test/1.0";
    return api_.Handle(request, ParseRequestInfo("POST", path, false));
  }

  Object Pod(const std::string& name) {
    ObjectPtr pod = api_.store().Get("/pods", "default", name);
    return pod ? pod->Clone() : Object();
  }

  std::string Phase(const std::string& name) { return Text(Pod(name), "status.phase"); }

  FixedClock clock_{1700000000};
  ApiServer api_{&clock_};
  ControllerOptions options_{true, milliseconds(100)};
  Controllers controllers_{&api_, &clock_, options_};
};

TEST_F(ControllerPassTest, PodsMoveOneStepAtATimeAndSlowOnesTenTimesSlower) {
  for (const char* name : {"quick", "slow"}) {
    std::string annotations = std::string(name) == "slow"
                                  ? R"(,"annotations":{"kubesim.mlgitops.io/outcome":"slow"})"
                                  : "";
    ASSERT_EQ(Post("/api/v1/namespaces/default/pods", R"({"metadata":{"name":")" +
                                                          std::string(name) + "\"" + annotations +
                                                          R"(},"spec":{"restartPolicy":"Never",
                          "containers":[{"name":"c","image":"busybox"}]}})")
                  .status,
              201);
  }
  SteadyTime t0 = std::chrono::steady_clock::now();
  controllers_.RunPass(t0);  // the scheduler binds both
  EXPECT_EQ(Text(Pod("quick"), "spec.nodeName"), "kubesim");
  EXPECT_EQ(controllers_.RunPass(t0), t0 + milliseconds(100)) << "the next step is due";
  controllers_.RunPass(t0 + milliseconds(99));
  EXPECT_EQ(Phase("quick"), "Pending");
  controllers_.RunPass(t0 + milliseconds(100));
  EXPECT_EQ(Phase("quick"), "Running");
  EXPECT_EQ(Phase("slow"), "Pending");
  controllers_.RunPass(t0 + milliseconds(200));
  EXPECT_EQ(Phase("quick"), "Succeeded");
  controllers_.RunPass(t0 + milliseconds(999));
  EXPECT_EQ(Phase("slow"), "Pending");
  controllers_.RunPass(t0 + milliseconds(1000));
  EXPECT_EQ(Phase("slow"), "Running");
  EXPECT_EQ(controllers_.RunPass(t0 + milliseconds(1000)), t0 + milliseconds(2000));
}

TEST_F(ControllerPassTest, CrashLoopRestartsBackOffDoublingUpToEightSteps) {
  ASSERT_EQ(Post("/api/v1/namespaces/default/pods",
                 R"({"metadata":{"name":"crash","annotations":{
                       "kubesim.mlgitops.io/outcome":"crashloop"}},
                     "spec":{"containers":[{"name":"c","image":"busybox"}]}})")
                .status,
            201);
  SteadyTime t = std::chrono::steady_clock::now();
  controllers_.RunPass(t);
  std::vector<int64_t> gaps;  // steps between restarts
  SteadyTime last = t;
  for (int i = 0; i < 6; ++i) {
    SteadyTime due = controllers_.RunPass(t);
    gaps.push_back((due - last) / milliseconds(100));
    t = last = due;
    controllers_.RunPass(t);
    EXPECT_EQ(Int(Pod("crash"), "status.containerStatuses.0.restartCount"), i + 1);
  }
  EXPECT_EQ(gaps, (std::vector<int64_t>{1, 1, 2, 4, 8, 8}));
  EXPECT_EQ(Text(Pod("crash"), "status.containerStatuses.0.state.waiting.reason"),
            "CrashLoopBackOff");
}

TEST(ControllerFlagsTest, StepDelayAcceptsMillisecondsAndSeconds) {
  struct Case {
    const char* text;
    int64_t ms;  // -1: refused
  } cases[] = {{"200ms", 200}, {"1s", 1000}, {"1.5s", 1500}, {"0.25s", 250}, {"5", -1},
               {"0ms", -1},    {"2h", -1},   {"", -1},       {"ms", -1},     {"-3s", -1}};
  for (const Case& c : cases) {
    auto parsed = ParseStepDelay(c.text);
    EXPECT_EQ(parsed.ok() ? parsed->count() : -1, c.ms) << c.text;
  }
}

TEST(ControllerFlagsTest, OutcomeAnnotationNamesFailuresCommaSeparated) {
  kubesim::Outcome slow_crash = kubesim::Outcome::Parse("slow, crashloop");
  EXPECT_TRUE(slow_crash.slow);
  EXPECT_TRUE(slow_crash.crashloop);
  EXPECT_FALSE(slow_crash.fail);
  EXPECT_TRUE(kubesim::Outcome::Parse("failed-to-load").failed_to_load);
  EXPECT_TRUE(kubesim::Outcome::Parse("fail").any_failure());
  EXPECT_FALSE(kubesim::Outcome::Parse("slow").any_failure());
  EXPECT_FALSE(kubesim::Outcome::Parse("crash").any_failure()) << "unknown words do nothing";
}

}  // namespace
}  // namespace mlgitops::kubesim
