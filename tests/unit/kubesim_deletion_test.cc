// Deletion as kube-apiserver and kube-controller-manager do it: graceful Pod deletion,
// propagation policies and the garbage collector, the CRD cleanup finalizer; plus Lease
// optimistic concurrency, watch bookmarks, events.k8s.io, client-written managedFields.
// In process with a fixed clock (each garbage-collector pass is one Tick), and through the real
// kubectl against a kubesim process whose simulated kubelet stops Pods.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "kubesim/api_server.h"
#include "kubesim/json_util.h"
#include "kubesim/launcher.h"
#include "kubesim/request_info.h"
#include "kubesim_test_util.h"
#include "object/clock.h"
#include "test_util.h"

namespace mlgitops::kubesim {
namespace {

using mlgitops::testing::RunCommand;
using mlgitops::testing::TempDir;
using testing::JsonLines;
using testing::ParseOrFail;

// ---- in process: the rules, one garbage-collector pass at a time ----

class DeletionRulesTest : public ::testing::Test {
 protected:
  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& body = "") {
    return testing::CallInProcess(server_, method, path, body);
  }
  Object Get(const std::string& path) { return ParseOrFail(Call("GET", path).body); }
  int Status(const std::string& path) { return Call("GET", path).status; }
  std::string Create(const std::string& collection, const std::string& body) {
    HttpResponse r = Call("POST", collection, body);
    EXPECT_EQ(r.status, 201) << r.body;
    return GetString(ParseOrFail(r.body).json(), "metadata.uid");
  }
  static std::string OwnerRef(const std::string& api_version, const std::string& kind,
                              const std::string& name, const std::string& uid, bool block) {
    return R"({"apiVersion":")" + api_version + R"(","kind":")" + kind + R"(","name":")" + name +
           R"(","uid":")" + uid + R"(","controller":true,"blockOwnerDeletion":)" +
           (block ? "true" : "false") + "}";
  }
  std::string Pod(const std::string& name, const std::string& extra_meta, const std::string& node) {
    return R"({"metadata":{"name":")" + name + "\"" + extra_meta + R"(},"spec":{)" +
           (node.empty() ? "" : R"("nodeName":")" + node + "\",") +
           R"("containers":[{"name":"c","image":"i"}]}})";
  }

  FixedClock clock_{1700000000};
  ApiServer server_{&clock_};
};

const char* const kPods = "/api/v1/namespaces/default/pods";
const char* const kReplicaSets = "/apis/apps/v1/namespaces/default/replicasets";
const char* const kConfigMaps = "/api/v1/namespaces/default/configmaps";

TEST_F(DeletionRulesTest, CheckGracefulDeleteBoundPodTerminatesForItsGracePeriod) {
  // podStrategy.CheckGracefulDelete: spec.terminationGracePeriodSeconds (30 when unset), the
  // deletionTimestamp is now + grace; an unscheduled Pod goes at once.
  Create(kPods, Pod("bound", "", "kubesim"));
  Create(kPods, Pod("unbound", "", ""));
  HttpResponse deleted = Call("DELETE", std::string(kPods) + "/bound");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  Object pod = ParseOrFail(deleted.body);
  EXPECT_EQ(GetString(pod.json(), "metadata.deletionTimestamp"), "2023-11-14T22:13:50Z");
  EXPECT_EQ(GetInt(pod.json(), "metadata.deletionGracePeriodSeconds").value_or(-1), 30);
  EXPECT_EQ(Status(std::string(kPods) + "/bound"), 200) << "Terminating until the kubelet ends it";

  HttpResponse unbound = Call("DELETE", std::string(kPods) + "/unbound");
  ASSERT_EQ(unbound.status, 200);
  // The Pod registry returns the deleted object (ReturnDeletedObject), not a Status.
  EXPECT_EQ(GetString(ParseOrFail(unbound.body).json(), "kind"), "Pod");
  EXPECT_EQ(Status(std::string(kPods) + "/unbound"), 404);

  // BeforeDelete: a longer or equal grace period changes nothing, a shorter one moves the
  // deadline closer, and 0 (kubectl --grace-period=0 --force) deletes at once.
  Object again = ParseOrFail(
      Call("DELETE", std::string(kPods) + "/bound", R"({"gracePeriodSeconds":60})").body);
  EXPECT_EQ(GetInt(again.json(), "metadata.deletionGracePeriodSeconds").value_or(-1), 30);
  Object shorter = ParseOrFail(
      Call("DELETE", std::string(kPods) + "/bound", R"({"gracePeriodSeconds":10})").body);
  EXPECT_EQ(GetString(shorter.json(), "metadata.deletionTimestamp"), "2023-11-14T22:13:30Z");
  EXPECT_EQ(GetInt(shorter.json(), "metadata.deletionGracePeriodSeconds").value_or(-1), 10);
  EXPECT_EQ(Call("DELETE", std::string(kPods) + "/bound?gracePeriodSeconds=0").status, 200);
  EXPECT_EQ(Status(std::string(kPods) + "/bound"), 404);
}

TEST_F(DeletionRulesTest, CheckGracefulDeleteUsesTheSpecGraceAndSkipsFinishedPods) {
  Create(kPods, R"({"metadata":{"name":"quick"},"spec":{"nodeName":"kubesim",
      "terminationGracePeriodSeconds":5,"containers":[{"name":"c","image":"i"}]}})");
  Object quick = ParseOrFail(Call("DELETE", std::string(kPods) + "/quick").body);
  EXPECT_EQ(GetInt(quick.json(), "metadata.deletionGracePeriodSeconds").value_or(-1), 5);
  Create(kPods, Pod("done", "", "kubesim"));
  Object done = Get(std::string(kPods) + "/done");
  SetPath(done.mutable_json(), "status.phase", Str("Succeeded", done.allocator()),
          done.allocator());
  ASSERT_EQ(Call("PUT", std::string(kPods) + "/done/status", ToJson(done.json())).status, 200);
  Call("DELETE", std::string(kPods) + "/done");
  EXPECT_EQ(Status(std::string(kPods) + "/done"), 404) << "a finished Pod has nothing to stop";
}

TEST_F(DeletionRulesTest, ForegroundOwnerWaitsForBlockingDependentsThenGoes) {
  // Foreground: deletionTimestamp + the foregroundDeletion finalizer; the garbage collector
  // deletes the dependents, then removes the finalizer (processDeletingDependentsItem).
  std::string owner = Create(kReplicaSets, R"({"metadata":{"name":"rs"},"spec":{"replicas":0,
      "selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},
      "spec":{"containers":[{"name":"c","image":"i"}]}}}})");
  std::string ref = OwnerRef("apps/v1", "ReplicaSet", "rs", owner, true);
  Create(kPods, Pod("p", R"(,"ownerReferences":[)" + ref + "]", "kubesim"));
  HttpResponse deleted =
      Call("DELETE", std::string(kReplicaSets) + "/rs", R"({"propagationPolicy":"Foreground"})");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  Object rs = ParseOrFail(deleted.body);
  EXPECT_FALSE(GetString(rs.json(), "metadata.deletionTimestamp").empty());
  EXPECT_EQ(ToJson(*Find(rs.json(), "metadata.finalizers")), R"(["foregroundDeletion"])");
  EXPECT_EQ(GetInt(rs.json(), "metadata.generation").value_or(0), 2) << "markAsDeleting";
  server_.Tick();
  // The bound Pod is Terminating (graceful), so the owner still waits.
  EXPECT_FALSE(
      GetString(Get(std::string(kPods) + "/p").json(), "metadata.deletionTimestamp").empty());
  EXPECT_EQ(Status(std::string(kReplicaSets) + "/rs"), 200);
  server_.Tick();
  EXPECT_EQ(Status(std::string(kReplicaSets) + "/rs"), 200);
  // The kubelet's final delete (grace 0); the next pass releases the owner.
  ASSERT_EQ(Call("DELETE", std::string(kPods) + "/p", R"({"gracePeriodSeconds":0})").status, 200);
  server_.Tick();
  EXPECT_EQ(Status(std::string(kReplicaSets) + "/rs"), 404);
}

TEST_F(DeletionRulesTest, ForegroundDoesNotWaitForNonBlockingDependents) {
  std::string owner = Create(kConfigMaps, R"({"metadata":{"name":"owner"}})");
  Create(kConfigMaps, R"({"metadata":{"name":"loose","ownerReferences":[)" +
                          OwnerRef("v1", "ConfigMap", "owner", owner, false) + "]}}");
  Call("DELETE", std::string(kConfigMaps) + "/owner?propagationPolicy=Foreground");
  EXPECT_EQ(Status(std::string(kConfigMaps) + "/owner"), 200);
  server_.Tick();
  EXPECT_EQ(Status(std::string(kConfigMaps) + "/owner"), 404);
  server_.Tick();
  EXPECT_EQ(Status(std::string(kConfigMaps) + "/loose"), 404) << "dangling afterwards: deleted";
}

TEST_F(DeletionRulesTest, BackgroundOwnerGoesAtOnceDependentsOnTheNextPass) {
  std::string owner = Create(kConfigMaps, R"({"metadata":{"name":"owner"}})");
  std::string other = Create(kConfigMaps, R"({"metadata":{"name":"other"}})");
  Create(kConfigMaps, R"({"metadata":{"name":"child","ownerReferences":[)" +
                          OwnerRef("v1", "ConfigMap", "owner", owner, true) + "]}}");
  Create(kConfigMaps, R"({"metadata":{"name":"shared","ownerReferences":[)" +
                          OwnerRef("v1", "ConfigMap", "owner", owner, true) + "," +
                          OwnerRef("v1", "ConfigMap", "other", other, false) + "]}}");
  HttpResponse deleted = Call("DELETE", std::string(kConfigMaps) + "/owner");
  ASSERT_EQ(deleted.status, 200);
  EXPECT_EQ(GetString(ParseOrFail(deleted.body).json(), "status"), "Success");
  EXPECT_EQ(Status(std::string(kConfigMaps) + "/owner"), 404);
  EXPECT_EQ(Status(std::string(kConfigMaps) + "/child"), 200) << "asynchronous, by uid";
  server_.Tick();
  EXPECT_EQ(Status(std::string(kConfigMaps) + "/child"), 404);
  // attemptToDeleteItem: a dependent with a remaining owner only loses the dangling reference.
  Object shared = Get(std::string(kConfigMaps) + "/shared");
  const JsonValue* refs = Find(shared.json(), "metadata.ownerReferences");
  ASSERT_NE(refs, nullptr);
  ASSERT_EQ(refs->Size(), 1u);
  EXPECT_EQ(GetString((*refs)[0], "name"), "other");
}

TEST_F(DeletionRulesTest, ReplacedOwnerOfTheSameNameDoesNotKeepDependents) {
  // The garbage collector compares uids: a new owner with the old name is not the owner.
  Create(kConfigMaps, R"({"metadata":{"name":"owner"}})");
  Create(kConfigMaps, R"({"metadata":{"name":"child","ownerReferences":[)" +
                          OwnerRef("v1", "ConfigMap", "owner", "old-uid", true) + "]}}");
  server_.Tick();
  EXPECT_EQ(Status(std::string(kConfigMaps) + "/child"), 404);
}

TEST_F(DeletionRulesTest, OrphanStripsReferencesThenRemovesTheOwner) {
  std::string owner = Create(kConfigMaps, R"({"metadata":{"name":"owner"}})");
  Create(kConfigMaps, R"({"metadata":{"name":"kept","ownerReferences":[)" +
                          OwnerRef("v1", "ConfigMap", "owner", owner, true) + "]}}");
  Object marked = ParseOrFail(
      Call("DELETE", std::string(kConfigMaps) + "/owner", R"({"propagationPolicy":"Orphan"})")
          .body);
  EXPECT_EQ(ToJson(*Find(marked.json(), "metadata.finalizers")), R"(["orphan"])");
  server_.Tick();
  EXPECT_EQ(Status(std::string(kConfigMaps) + "/owner"), 404);
  Object kept = Get(std::string(kConfigMaps) + "/kept");
  EXPECT_EQ(Find(kept.json(), "metadata.ownerReferences"), nullptr);
}

TEST_F(DeletionRulesTest, DefaultGarbageCollectionPolicyOrphansForBatchV1Jobs) {
  // jobStrategy.DefaultGarbageCollectionPolicy: OrphanDependents for batch/v1 (kept for
  // backwards compatibility) when the request names no policy; kubectl always sends one.
  std::string job = Create("/apis/batch/v1/namespaces/default/jobs", R"({"metadata":{"name":"j"},
      "spec":{"template":{"spec":{"restartPolicy":"Never",
      "containers":[{"name":"c","image":"i"}]}}}})");
  Create(kPods,
         Pod("worker",
             R"(,"ownerReferences":[)" + OwnerRef("batch/v1", "Job", "j", job, true) + "]", ""));
  Object marked = ParseOrFail(Call("DELETE", "/apis/batch/v1/namespaces/default/jobs/j").body);
  EXPECT_EQ(ToJson(*Find(marked.json(), "metadata.finalizers")), R"(["orphan"])");
  server_.Tick();
  EXPECT_EQ(Status("/apis/batch/v1/namespaces/default/jobs/j"), 404);
  EXPECT_EQ(Status(std::string(kPods) + "/worker"), 200) << "orphaned";
  // With an explicit policy the Job's Pods go with it.
  job = Create("/apis/batch/v1/namespaces/default/jobs", R"({"metadata":{"name":"k"},
      "spec":{"template":{"spec":{"restartPolicy":"Never",
      "containers":[{"name":"c","image":"i"}]}}}})");
  Create(
      kPods,
      Pod("w2", R"(,"ownerReferences":[)" + OwnerRef("batch/v1", "Job", "k", job, true) + "]", ""));
  Call("DELETE", "/apis/batch/v1/namespaces/default/jobs/k?propagationPolicy=Background");
  server_.Tick();
  EXPECT_EQ(Status(std::string(kPods) + "/w2"), 404);
}

TEST_F(DeletionRulesTest, OrphanDependentsFalseAnswers202WhileFinalizersRemain) {
  // The delete handler: 202 Accepted when the object stays and orphanDependents was false.
  Create(kConfigMaps, R"({"metadata":{"name":"held","finalizers":["example.com/x"]}})");
  HttpResponse r =
      Call("DELETE", std::string(kConfigMaps) + "/held", R"({"orphanDependents":false})");
  EXPECT_EQ(r.status, 202) << r.body;
}

const char* const kCrd = R"({"apiVersion":"apiextensions.k8s.io/v1",
  "kind":"CustomResourceDefinition","metadata":{"name":"models.ml.example.com"},
  "spec":{"group":"ml.example.com","scope":"Namespaced",
  "names":{"plural":"models","singular":"model","kind":"Model"},
  "versions":[{"name":"v1","served":true,"storage":true,
  "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})";
const char* const kModels = "/apis/ml.example.com/v1/namespaces/default/models";
const char* const kCrds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

TEST_F(DeletionRulesTest, CrdDeletionRunsTheCustomResourceCleanupFinalizer) {
  Create(kCrds, kCrd);
  Create(kModels, R"({"metadata":{"name":"free"}})");
  Create(kModels, R"({"metadata":{"name":"held","finalizers":["example.com/hold"]}})");
  HttpResponse deleted = Call("DELETE", std::string(kCrds) + "/models.ml.example.com");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  Object crd = ParseOrFail(deleted.body);
  EXPECT_EQ(ToJson(*Find(crd.json(), "metadata.finalizers")),
            R"(["customresourcecleanup.apiextensions.k8s.io"])");
  const JsonValue* terminating = FindCondition(crd.json(), "Terminating");
  ASSERT_NE(terminating, nullptr);
  EXPECT_EQ(MemberString(*terminating, "reason"), "InstanceDeletionPending");
  // The custom resource handler refuses creates while its CRD terminates.
  HttpResponse refused = Call("POST", kModels, R"({"metadata":{"name":"late"}})");
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(GetString(ParseOrFail(refused.body).json(), "message"),
            "create not allowed while custom resource definition is terminating");

  server_.Tick();
  EXPECT_EQ(Status(std::string(kModels) + "/free"), 404);
  EXPECT_FALSE(
      GetString(Get(std::string(kModels) + "/held").json(), "metadata.deletionTimestamp").empty());
  crd = Get(std::string(kCrds) + "/models.ml.example.com");
  EXPECT_EQ(MemberString(*FindCondition(crd.json(), "Terminating"), "reason"),
            "InstanceDeletionInProgress");
  server_.Tick();
  EXPECT_EQ(Status(std::string(kCrds) + "/models.ml.example.com"), 200) << "an instance remains";

  Object held = Get(std::string(kModels) + "/held");
  RemovePath(held.mutable_json(), "metadata.finalizers");
  ASSERT_EQ(Call("PUT", std::string(kModels) + "/held", ToJson(held.json())).status, 200);
  EXPECT_EQ(Status(std::string(kModels) + "/held"), 404);
  server_.Tick();
  EXPECT_EQ(Status(std::string(kCrds) + "/models.ml.example.com"), 404);
  EXPECT_EQ(Status(kModels), 404) << "no longer served";
}

TEST_F(DeletionRulesTest, LeaseUpdateWithAStaleResourceVersionIsAConflict) {
  // Leader election: optimistic concurrency on coordination.k8s.io/v1 Leases.
  const std::string leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
  HttpResponse created = Call("POST", leases, R"({"metadata":{"name":"leader"},
      "spec":{"holderIdentity":"a","leaseDurationSeconds":15,
      "acquireTime":"2023-11-14T22:13:20.000000Z","renewTime":"2023-11-14T22:13:20.000000Z",
      "leaseTransitions":0}})");
  ASSERT_EQ(created.status, 201) << created.body;
  Object first = ParseOrFail(created.body);
  EXPECT_EQ(GetString(first.json(), "spec.renewTime"), "2023-11-14T22:13:20.000000Z");
  Object renewed = first.Clone();
  SetPath(renewed.mutable_json(), "spec.renewTime",
          Str("2023-11-14T22:13:25.000000Z", renewed.allocator()), renewed.allocator());
  ASSERT_EQ(Call("PUT", leases + "/leader", ToJson(renewed.json())).status, 200);
  // Candidate b still holds the first version: its takeover must fail.
  Object takeover = first.Clone();
  SetPath(takeover.mutable_json(), "spec.holderIdentity", Str("b", takeover.allocator()),
          takeover.allocator());
  HttpResponse stale = Call("PUT", leases + "/leader", ToJson(takeover.json()));
  EXPECT_EQ(stale.status, 409);
  Object status = ParseOrFail(stale.body);
  EXPECT_EQ(GetString(status.json(), "reason"), "Conflict");
  EXPECT_EQ(GetString(status.json(), "message"),
            "Operation cannot be fulfilled on leases.coordination.k8s.io \"leader\": the object "
            "has been modified; please apply your changes to the latest version and try again");
  EXPECT_EQ(GetString(Get(leases + "/leader").json(), "spec.holderIdentity"), "a");
}

TEST_F(DeletionRulesTest, ClientWrittenManagedFieldsReplaceTheStoredOnes) {
  // fieldmanager.Update: managedFields sent on an update replace the stored ones (what kubectl's
  // client-side to server-side apply upgrade relies on); an absent list keeps them.
  Create(kConfigMaps + std::string("?fieldManager=writer"),
         R"({"metadata":{"name":"cm"},"data":{"a":"1"}})");
  auto managers = [](const Object& o) {
    std::string out;
    const JsonValue* list = Find(o.json(), "metadata.managedFields");
    if (!list || !list->IsArray()) return out;
    for (const auto& e : list->GetArray()) out += GetString(e, "manager") + " ";
    return out;
  };
  Object cm = Get(std::string(kConfigMaps) + "/cm");
  ASSERT_EQ(managers(cm), "writer ");
  JsonValue& entry = (*FindMutable(cm.mutable_json(), "metadata.managedFields"))[0];
  SetString(entry, "manager", "renamed", cm.allocator());
  ASSERT_EQ(Call("PUT", std::string(kConfigMaps) + "/cm", ToJson(cm.json())).status, 200);
  EXPECT_EQ(managers(Get(std::string(kConfigMaps) + "/cm")), "renamed ");
  // Without managedFields in the body the stored ones stay.
  RemovePath(cm.mutable_json(), "metadata.managedFields");
  RemovePath(cm.mutable_json(), "metadata.resourceVersion");
  ASSERT_EQ(Call("PUT", std::string(kConfigMaps) + "/cm", ToJson(cm.json())).status, 200);
  EXPECT_EQ(managers(Get(std::string(kConfigMaps) + "/cm")), "renamed ");
}

TEST_F(DeletionRulesTest, EventsAndEndpointSlicesAreServed) {
  HttpResponse ev = Call("POST", "/apis/events.k8s.io/v1/namespaces/default/events",
                         R"({"metadata":{"name":"e1"},"eventTime":"2023-11-14T22:13:20.000000Z",
                             "reportingController":"mlgitops","reportingInstance":"x",
                             "action":"Sync","reason":"Synced","type":"Normal","note":"ok",
                             "regarding":{"kind":"Deployment","name":"web"}})");
  EXPECT_EQ(ev.status, 201) << ev.body;
  HttpResponse slice = Call("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
                            R"({"metadata":{"name":"web-abc"},"addressType":"IPv4",
                                "endpoints":[{"addresses":["10.0.0.1"]}]})");
  EXPECT_EQ(slice.status, 201) << slice.body;
}

TEST_F(DeletionRulesTest, AggregatedDiscoveryListsVersionsInPreferredOrder) {
  Create(kCrds, R"({"metadata":{"name":"things.ex.io"},"spec":{"group":"ex.io",
      "scope":"Namespaced","names":{"plural":"things","singular":"thing","kind":"Thing"},
      "versions":[{"name":"v1beta1","served":true,"storage":false,
      "schema":{"openAPIV3Schema":{"type":"object"}}},{"name":"v1","served":true,"storage":true,
      "schema":{"openAPIV3Schema":{"type":"object"}}},{"name":"v2alpha1","served":true,
      "storage":false,"schema":{"openAPIV3Schema":{"type":"object"}}}]}})");
  HttpRequest request;
  request.method = "GET";
  request.path = "/apis";
  request.accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
  HttpResponse r = server_.Handle(request, ParseRequestInfo("GET", "/apis", false));
  ASSERT_EQ(r.status, 200);
  Object list = ParseOrFail(r.body);
  std::string order;
  for (const auto& group : Find(list.json(), "items")->GetArray()) {
    if (GetString(group, "metadata.name") != "ex.io") continue;
    for (const auto& v : Find(group, "versions")->GetArray())
      order += GetString(v, "version") + " ";
  }
  EXPECT_EQ(order, "v1 v1beta1 v2alpha1 ");
}

// ---- through kubectl, with the simulated kubelet stopping Pods ----

class KubectlDeletionTest : public testing::KubectlSuite<KubectlDeletionTest> {
 public:
  static LaunchOptions SuiteOptions() {
    LaunchOptions options;
    options.controllers = true;
    options.step_delay = "100ms";
    return options;
  }

 protected:
  std::string Jsonpath(const std::string& args, const std::string& path) {
    std::string out;
    RunCommand(KubectlPrefix() + "get " + args + " -o jsonpath='" + path + "'", &out, false);
    return out;
  }
  int Status(const std::string& path) { return process_->Request("GET", path).status; }
  Object Get(const std::string& path) { return ParseOrFail(process_->Request("GET", path).body); }
  static bool Eventually(const std::function<bool()>& done, int seconds = 15) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }
  // A Deployment whose Pods take ten steps (one second) to stop: Terminating is observable.
  void DeploySlow(const std::string& ns) {
    ASSERT_EQ(Kubectl("create namespace " + ns), 0);
    std::string file = dir_->Write(ns + ".yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: )" + ns + R"(}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {kubesim.mlgitops.io/outcome: slow}
    spec:
      containers: [{name: web, image: nginx}]
)");
    ASSERT_EQ(Kubectl("apply -f " + file), 0);
    ASSERT_TRUE(Eventually([&] {
      return Jsonpath("pods -n " + ns, "{range .items[*]}{.spec.nodeName} {end}") ==
             "kubesim kubesim ";
    })) << "two bound Pods";
  }
  std::string ReplicaSetName(const std::string& ns) {
    return Jsonpath("rs -n " + ns, "{.items[0].metadata.name}");
  }
};

const char* const kPodYaml = R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: NS
  annotations: {kubesim.mlgitops.io/outcome: slow}
spec:
  containers: [{name: c, image: nginx}]
)";

std::string PodIn(const std::string& ns) {
  std::string yaml = kPodYaml;
  yaml.replace(yaml.find("NS"), 2, ns);
  return yaml;
}

TEST_F(KubectlDeletionTest, DeletePodIsTerminatingUntilTheKubeletStopsIt) {
  ASSERT_EQ(Kubectl("create namespace kd-pod"), 0);
  ASSERT_EQ(Kubectl("apply -f " + dir_->Write("pod.yaml", PodIn("kd-pod"))), 0);
  ASSERT_TRUE(Eventually([&] { return !Jsonpath("pod p -n kd-pod", "{.spec.nodeName}").empty(); }));
  std::string out;
  ASSERT_EQ(Kubectl("delete pod p -n kd-pod --wait=false", &out), 0) << out;
  EXPECT_EQ(out, "pod \"p\" deleted\n");
  // CheckGracefulDelete: the default 30s grace period; the Pod is shown Terminating.
  EXPECT_EQ(Jsonpath("pod p -n kd-pod", "{.metadata.deletionGracePeriodSeconds}"), "30");
  ASSERT_EQ(Kubectl("get pod p -n kd-pod --no-headers", &out), 0);
  EXPECT_NE(out.find("Terminating"), std::string::npos) << out;
  // kubectl delete waits (--wait defaults to true) until the kubelet has removed it. On a slow
  // machine the kubelet may finish before this second kubectl starts: not-found is then fine.
  ASSERT_EQ(Kubectl("delete pod p -n kd-pod --timeout=20s --ignore-not-found", &out), 0) << out;
  EXPECT_EQ(Status("/api/v1/namespaces/kd-pod/pods/p"), 404);
}

TEST_F(KubectlDeletionTest, ForceDeleteWithZeroGraceRemovesAtOnce) {
  ASSERT_EQ(Kubectl("create namespace kd-force"), 0);
  ASSERT_EQ(Kubectl("apply -f " + dir_->Write("force.yaml", PodIn("kd-force"))), 0);
  ASSERT_TRUE(
      Eventually([&] { return !Jsonpath("pod p -n kd-force", "{.spec.nodeName}").empty(); }));
  std::string out;
  ASSERT_EQ(Kubectl("delete pod p -n kd-force --grace-period=0 --force --wait=false", &out), 0)
      << out;
  EXPECT_NE(out.find("Warning: Immediate deletion does not wait for confirmation that the "
                     "running resource has been terminated."),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("pod \"p\" force deleted"), std::string::npos) << out;
  EXPECT_EQ(Status("/api/v1/namespaces/kd-force/pods/p"), 404);
}

TEST_F(KubectlDeletionTest, CascadeForegroundKeepsTheOwnerUntilItsDependentsAreGone) {
  DeploySlow("kd-fg");
  std::string rs = ReplicaSetName("kd-fg");
  std::string out;
  ASSERT_EQ(Kubectl("delete deploy web -n kd-fg --cascade=foreground --wait=false", &out), 0)
      << out;
  EXPECT_EQ(out, "deployment.apps \"web\" deleted\n");
  EXPECT_EQ(Jsonpath("deploy web -n kd-fg", "{.metadata.finalizers}"), R"(["foregroundDeletion"])");
  EXPECT_FALSE(Jsonpath("deploy web -n kd-fg", "{.metadata.deletionTimestamp}").empty());
  // The ReplicaSet has Pods of its own: it is deleted in the foreground too.
  EXPECT_TRUE(Eventually([&] {
    return Jsonpath("rs " + rs + " -n kd-fg", "{.metadata.finalizers}") ==
           R"(["foregroundDeletion"])";
  }));
  // Owners go last: whenever the Deployment is gone, so are the ReplicaSet and the Pods.
  bool ordered = true;
  bool done = Eventually([&] {
    bool deploy = Status("/apis/apps/v1/namespaces/kd-fg/deployments/web") == 200;
    bool replicaset = Status("/apis/apps/v1/namespaces/kd-fg/replicasets/" + rs) == 200;
    Object pods = Get("/api/v1/namespaces/kd-fg/pods");
    bool any_pod = Find(pods.json(), "items") && Find(pods.json(), "items")->Size() > 0;
    if (!deploy && (replicaset || any_pod)) ordered = false;
    if (!replicaset && any_pod) ordered = false;
    return !deploy && !replicaset && !any_pod;
  });
  EXPECT_TRUE(done);
  EXPECT_TRUE(ordered) << "an owner went before its dependents";
}

TEST_F(KubectlDeletionTest, CascadeForegroundWithWaitReturnsWhenEverythingIsGone) {
  DeploySlow("kd-fgw");
  std::string out;
  ASSERT_EQ(Kubectl("delete deploy web -n kd-fgw --cascade=foreground --timeout=30s", &out), 0)
      << out;
  EXPECT_EQ(Jsonpath("rs,pods -n kd-fgw", "{.items}"), "[]");
}

TEST_F(KubectlDeletionTest, CascadeBackgroundRemovesTheOwnerFirst) {
  DeploySlow("kd-bg");
  std::string out;
  ASSERT_EQ(Kubectl("delete deploy web -n kd-bg --cascade=background --wait=false", &out), 0);
  EXPECT_EQ(Status("/apis/apps/v1/namespaces/kd-bg/deployments/web"), 404);
  // The Pods need a second to stop, so they are still there: the collector works afterwards.
  Object pods = Get("/api/v1/namespaces/kd-bg/pods");
  EXPECT_EQ(Find(pods.json(), "items")->Size(), 2u);
  EXPECT_TRUE(Eventually([&] { return Jsonpath("rs,pods -n kd-bg", "{.items}") == "[]"; }));
}

TEST_F(KubectlDeletionTest, CascadeOrphanLeavesTheReplicaSetAndPods) {
  DeploySlow("kd-orphan");
  std::string rs = ReplicaSetName("kd-orphan");
  std::string out;
  ASSERT_EQ(Kubectl("delete deploy web -n kd-orphan --cascade=orphan", &out), 0) << out;
  EXPECT_EQ(Status("/apis/apps/v1/namespaces/kd-orphan/deployments/web"), 404);
  Object replicaset = Get("/apis/apps/v1/namespaces/kd-orphan/replicasets/" + rs);
  EXPECT_EQ(Find(replicaset.json(), "metadata.ownerReferences"), nullptr);
  EXPECT_TRUE(Find(replicaset.json(), "metadata.deletionTimestamp") == nullptr);
  EXPECT_EQ(Jsonpath("pods -n kd-orphan", "{.items[*].metadata.ownerReferences[0].name}"),
            rs + " " + rs);
}

TEST_F(KubectlDeletionTest, DeletingACrdDeletesItsInstancesFirst) {
  std::string crd = dir_->Write("kd-crd.yaml", R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.kd.example.com}
spec:
  group: kd.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
)");
  ASSERT_EQ(Kubectl("apply -f " + crd), 0);
  ASSERT_EQ(Kubectl("create namespace kd-crd"), 0);
  std::string gadgets = dir_->Write("kd-gadgets.yaml", R"(apiVersion: kd.example.com/v1
kind: Gadget
metadata: {name: a, namespace: kd-crd}
---
apiVersion: kd.example.com/v1
kind: Gadget
metadata: {name: b, namespace: kd-crd, finalizers: [example.com/hold]}
)");
  std::string out;
  ASSERT_TRUE(Eventually([&] { return Kubectl("apply -f " + gadgets, &out) == 0; })) << out;
  ASSERT_EQ(Kubectl("delete crd gadgets.kd.example.com --wait=false", &out), 0) << out;
  EXPECT_EQ(Jsonpath("crd gadgets.kd.example.com", "{.metadata.finalizers}"),
            R"(["customresourcecleanup.apiextensions.k8s.io"])");
  std::string late = dir_->Write("kd-late.yaml", R"(apiVersion: kd.example.com/v1
kind: Gadget
metadata: {name: late, namespace: kd-crd}
)");
  EXPECT_EQ(Kubectl("create -f " + late, &out), 1);
  EXPECT_NE(out.find("Error from server (MethodNotAllowed): error when creating \"" + late +
                     "\": create not allowed while custom resource definition is terminating"),
            std::string::npos)
      << out;
  EXPECT_TRUE(Eventually(
      [&] { return Status("/apis/kd.example.com/v1/namespaces/kd-crd/gadgets/a") == 404; }));
  EXPECT_EQ(Jsonpath("crd gadgets.kd.example.com",
                     "{.status.conditions[?(@.type==\"Terminating\")].reason}"),
            "InstanceDeletionInProgress");
  ASSERT_EQ(
      Kubectl("patch gadget b -n kd-crd --type=merge -p '{\"metadata\":{\"finalizers\":null}}'",
              &out),
      0)
      << out;
  EXPECT_TRUE(Eventually([&] {
    return Status(
               "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.kd.example.com") ==
           404;
  }));
  EXPECT_EQ(Status("/apis/kd.example.com/v1/namespaces/kd-crd/gadgets"), 404);
}

TEST_F(KubectlDeletionTest, WatchSendsBookmarksWhenAsked) {
  ASSERT_EQ(Kubectl("create namespace kd-watch"), 0);
  ASSERT_EQ(Kubectl("create configmap one -n kd-watch"), 0);
  // sendInitialEvents: the initial ADDED events end with a bookmark annotated
  // k8s.io/initial-events-end; a bookmark also comes two seconds before the timeout.
  HttpResult r = process_->Request(
      "GET",
      "/api/v1/namespaces/kd-watch/configmaps?watch=1&allowWatchBookmarks=true"
      "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=3");
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<Object> events = JsonLines(r.body);
  ASSERT_GE(events.size(), 3u) << r.body;
  EXPECT_EQ(GetString(events[0].json(), "type"), "ADDED");
  EXPECT_EQ(GetString(events[1].json(), "type"), "BOOKMARK");
  const JsonValue* annotations = Find(events[1].json(), "object.metadata.annotations");
  ASSERT_NE(annotations, nullptr);
  EXPECT_EQ(MemberString(*annotations, "k8s.io/initial-events-end"), "true");
  EXPECT_EQ(GetString(events.back().json(), "type"), "BOOKMARK");
  EXPECT_EQ(Find(events.back().json(), "object.metadata.annotations"), nullptr);
  // Without allowWatchBookmarks there are none.
  r = process_->Request("GET", "/api/v1/namespaces/kd-watch/configmaps?watch=1&timeoutSeconds=3");
  EXPECT_EQ(r.body.find("BOOKMARK"), std::string::npos) << r.body;
}

TEST_F(KubectlDeletionTest, GetEventsV1EventsK8sIo) {
  ASSERT_EQ(Kubectl("create namespace kd-events"), 0);
  std::string out;
  EXPECT_EQ(Kubectl("get events.v1.events.k8s.io -n kd-events", &out), 0) << out;
  EXPECT_EQ(out, "No resources found in kd-events namespace.\n");
  std::string event = dir_->Write("kd-event.yaml", R"(apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: synced, namespace: kd-events}
eventTime: "2025-01-01T00:00:00.000000Z"
reportingController: mlgitops.io/controller
reportingInstance: mlgitops-0
action: Sync
reason: Synced
type: Normal
note: synced to abc123
regarding: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: kd-events}
)");
  ASSERT_EQ(Kubectl("apply -f " + event, &out), 0) << out;
  EXPECT_EQ(Jsonpath("events.v1.events.k8s.io synced -n kd-events", "{.note}"), "synced to abc123");
}

TEST_F(KubectlDeletionTest, ServerSideApplyAfterClientSideApplyUpgradesTheManagers) {
  ASSERT_EQ(Kubectl("create namespace kd-csa"), 0);
  std::string cm = dir_->Write("kd-csa.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: kd-csa}
data: {a: "1"}
)");
  std::string out;
  ASSERT_EQ(Kubectl("apply -f " + cm, &out), 0) << out;
  EXPECT_EQ(Jsonpath("cm settings -n kd-csa", "{.metadata.managedFields[*].manager}"),
            "kubectl-client-side-apply");
  // csaupgrade: kubectl moves the kubectl-client-side-apply manager's fields to its Apply
  // manager with a managedFields patch, then applies; kubectl 1.32 keeps the last-applied
  // annotation current through its own kubectl-last-applied Apply manager.
  ASSERT_EQ(Kubectl("apply --server-side -f " + cm, &out), 0) << out;
  EXPECT_EQ(Jsonpath("cm settings -n kd-csa",
                     "{range .metadata.managedFields[*]}{.manager}/{.operation} {end}"),
            "kubectl/Apply kubectl-last-applied/Apply ");
  EXPECT_EQ(Jsonpath("cm settings -n kd-csa", "{.data.a}"), "1");
}

}  // namespace
}  // namespace mlgitops::kubesim
