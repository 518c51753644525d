// Tests of the core built-in health checks (gitops-engine semantics) and the model-serving
// readiness rule on Deployments and StatefulSets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "health/health.h"
#include "health_test_util.h"

namespace mlgitops {
namespace {

using testing::HealthCase;
using H = HealthCode;

std::string Deployment(const std::string& spec, const std::string& status,
                       const std::string& generation = "1") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, generation: " + generation +
         "}\nspec: " + spec + "\nstatus: " + status + "\n";
}

std::string StatefulSet(const std::string& spec, const std::string& status) {
  return "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, generation: 1}\nspec: " +
         spec + "\nstatus: " + status + "\n";
}

const char* kRolledOut =
    "{observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3, "
    "readyReplicas: 2}";

class WorkloadHealth : public ::testing::TestWithParam<HealthCase> {};
TEST_P(WorkloadHealth, Verdict) { testing::ExpectVerdict(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Deployment, WorkloadHealth,
    ::testing::Values(
        HealthCase{"Paused", Deployment("{replicas: 1, paused: true}", "{}"), H::kSuspended,
                   "Deployment is paused"},
        HealthCase{"GenerationNotObserved",
                   Deployment("{replicas: 1}", "{observedGeneration: 1}", "2"), H::kProgressing,
                   "Waiting for rollout to finish: observed deployment generation less than "
                   "desired generation"},
        HealthCase{"ProgressDeadlineExceeded",
                   Deployment("{replicas: 1}",
                              "{observedGeneration: 1, conditions: [{type: Progressing, status: "
                              "'False', reason: ProgressDeadlineExceeded}]}"),
                   H::kDegraded, "Deployment \"web\" exceeded its progress deadline"},
        HealthCase{"ReplicasNotUpdated",
                   Deployment("{replicas: 3}", "{observedGeneration: 1, updatedReplicas: 1}"),
                   H::kProgressing,
                   "Waiting for rollout to finish: 1 out of 3 new replicas have been updated..."},
        HealthCase{
            "OldReplicasTerminating",
            Deployment("{replicas: 2}", "{observedGeneration: 1, replicas: 3, updatedReplicas: 2}"),
            H::kProgressing,
            "Waiting for rollout to finish: 1 old replicas are pending termination..."},
        HealthCase{"UpdatedNotAvailable",
                   Deployment("{replicas: 2}",
                              "{observedGeneration: 1, replicas: 2, updatedReplicas: 2, "
                              "availableReplicas: 1}"),
                   H::kProgressing,
                   "Waiting for rollout to finish: 1 of 2 updated replicas are available..."},
        HealthCase{"RolledOut", Deployment("{replicas: 3}", kRolledOut), H::kHealthy, ""},
        HealthCase{"ModelServingWaitsForReadiness", Deployment("{replicas: 3}", kRolledOut),
                   H::kProgressing, "2/3 replicas pass readiness", "model-serving"},
        HealthCase{"ModelServingAllReady",
                   Deployment("{replicas: 3}",
                              "{observedGeneration: 1, replicas: 3, updatedReplicas: 3, "
                              "availableReplicas: 3, readyReplicas: 3}"),
                   H::kHealthy, "", "model-serving"},
        HealthCase{"ModelServingDefaultsToOneReplica",
                   Deployment("{template: {}}", "{observedGeneration: 1}"), H::kProgressing,
                   "0/1 replicas pass readiness", "model-serving"},
        HealthCase{"ModelServingKeepsRolloutMessage",
                   Deployment("{replicas: 3}", "{observedGeneration: 1, updatedReplicas: 1}"),
                   H::kProgressing,
                   "Waiting for rollout to finish: 1 out of 3 new replicas have been updated...",
                   "model-serving"},
        HealthCase{"OtherRoleIgnoresReadiness", Deployment("{replicas: 3}", kRolledOut),
                   H::kHealthy, "", "training"}),
    testing::CaseName);

INSTANTIATE_TEST_SUITE_P(
    StatefulSet, WorkloadHealth,
    ::testing::Values(
        HealthCase{"NotObserved", StatefulSet("{replicas: 1}", "{}"), H::kProgressing,
                   "Waiting for statefulset spec update to be observed..."},
        HealthCase{"PodsNotReady",
                   StatefulSet("{replicas: 3}", "{observedGeneration: 1, readyReplicas: 1}"),
                   H::kProgressing, "Waiting for 2 pods to be ready..."},
        HealthCase{"PartitionPending",
                   StatefulSet("{replicas: 3, updateStrategy: {type: RollingUpdate, "
                               "rollingUpdate: {partition: 1}}}",
                               "{observedGeneration: 1, readyReplicas: 3, updatedReplicas: 1}"),
                   H::kProgressing,
                   "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been "
                   "updated..."},
        HealthCase{"PartitionDone",
                   StatefulSet("{replicas: 3, updateStrategy: {type: RollingUpdate, "
                               "rollingUpdate: {partition: 1}}}",
                               "{observedGeneration: 1, readyReplicas: 3, updatedReplicas: 2}"),
                   H::kHealthy, "partitioned roll out complete: 2 new pods have been updated..."},
        HealthCase{"OnDelete",
                   StatefulSet("{replicas: 1, updateStrategy: {type: OnDelete}}",
                               "{observedGeneration: 1, readyReplicas: 1}"),
                   H::kHealthy, "statefulset has 1 ready pods"},
        HealthCase{"RevisionRolling",
                   StatefulSet("{replicas: 2}",
                               "{observedGeneration: 1, readyReplicas: 2, updatedReplicas: 1, "
                               "currentRevision: db-1, updateRevision: db-2}"),
                   H::kProgressing,
                   "waiting for statefulset rolling update to complete 1 pods at revision db-2..."},
        HealthCase{"RevisionComplete",
                   StatefulSet("{replicas: 2}",
                               "{observedGeneration: 1, readyReplicas: 2, currentReplicas: 2, "
                               "currentRevision: db-2, updateRevision: db-2}"),
                   H::kHealthy, "statefulset rolling update complete 2 pods at revision db-2..."},
        HealthCase{"ModelServingWithoutReplicasField",
                   StatefulSet("{updateStrategy: {type: OnDelete}}",
                               "{observedGeneration: 1, readyReplicas: 0}"),
                   H::kProgressing, "0/1 replicas pass readiness", "model-serving"}),
    testing::CaseName);

std::string DaemonSet(const std::string& spec, const std::string& status,
                      const std::string& generation = "1") {
  return "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, generation: " + generation +
         "}\nspec: " + spec + "\nstatus: " + status + "\n";
}

INSTANTIATE_TEST_SUITE_P(
    DaemonSet, WorkloadHealth,
    ::testing::Values(
        HealthCase{"NotObserved", DaemonSet("{}", "{observedGeneration: 1}", "2"), H::kProgressing,
                   "Waiting for rollout to finish: observed daemon set generation less than "
                   "desired generation"},
        HealthCase{"OnDelete",
                   DaemonSet("{updateStrategy: {type: OnDelete}}",
                             "{observedGeneration: 1, updatedNumberScheduled: 1, "
                             "desiredNumberScheduled: 3}"),
                   H::kHealthy, "daemon set 1 out of 3 new pods have been updated"},
        HealthCase{"Updating",
                   DaemonSet("{}",
                             "{observedGeneration: 1, updatedNumberScheduled: 1, "
                             "desiredNumberScheduled: 3}"),
                   H::kProgressing,
                   "Waiting for daemon set \"agent\" rollout to finish: 1 out of 3 new pods have "
                   "been updated..."},
        HealthCase{"NotAvailable",
                   DaemonSet("{}",
                             "{observedGeneration: 1, updatedNumberScheduled: 3, "
                             "desiredNumberScheduled: 3, numberAvailable: 2}"),
                   H::kProgressing,
                   "Waiting for daemon set \"agent\" rollout to finish: 2 of 3 updated pods are "
                   "available..."},
        HealthCase{"RolledOut",
                   DaemonSet("{}",
                             "{observedGeneration: 1, updatedNumberScheduled: 3, "
                             "desiredNumberScheduled: 3, numberAvailable: 3}"),
                   H::kHealthy, ""}),
    testing::CaseName);

std::string ReplicaSet(const std::string& status) {
  return "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web-1, generation: 1}\n"
         "spec: {replicas: 2}\nstatus: " +
         status + "\n";
}

INSTANTIATE_TEST_SUITE_P(
    ReplicaSet, WorkloadHealth,
    ::testing::Values(
        HealthCase{"NotObserved", ReplicaSet("{}"), H::kProgressing,
                   "Waiting for rollout to finish: observed replica set generation less than "
                   "desired generation"},
        HealthCase{"ReplicaFailure",
                   ReplicaSet("{observedGeneration: 1, conditions: [{type: ReplicaFailure, status: "
                              "'True', message: quota exceeded}]}"),
                   H::kDegraded, "quota exceeded"},
        HealthCase{"NotAvailable", ReplicaSet("{observedGeneration: 1, availableReplicas: 1}"),
                   H::kProgressing,
                   "Waiting for rollout to finish: 1 out of 2 new replicas are available..."},
        HealthCase{"Available", ReplicaSet("{observedGeneration: 1, availableReplicas: 2}"),
                   H::kHealthy, ""}),
    testing::CaseName);

std::string Pod(const std::string& spec, const std::string& status,
                const std::string& annotations = "{}") {
  return "apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: " + annotations +
         "}\nspec: " + spec + "\nstatus: " + status + "\n";
}

const char* kCrashLooping =
    "{phase: Running, containerStatuses: [{name: a, state: {waiting: {reason: CrashLoopBackOff, "
    "message: back-off a}}}, {name: b, state: {waiting: {reason: ErrImagePull, message: pull "
    "b}}}]}";

class PodHealth : public ::testing::TestWithParam<HealthCase> {};
TEST_P(PodHealth, Verdict) { testing::ExpectVerdict(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Core, PodHealth,
    ::testing::Values(
        HealthCase{"Pending", Pod("{restartPolicy: Always}", "{phase: Pending, message: wait}"),
                   H::kProgressing, "wait"},
        HealthCase{"RunningReady",
                   Pod("{restartPolicy: Always}",
                       "{phase: Running, conditions: [{type: Ready, status: 'True'}]}"),
                   H::kHealthy, ""},
        HealthCase{"RestartPolicyDefaultsToAlways",
                   Pod("{}", "{phase: Running, conditions: [{type: Ready, status: 'True'}]}"),
                   H::kHealthy, ""},
        HealthCase{"RunningNotReadyAfterCrash",
                   Pod("{restartPolicy: Always}",
                       "{phase: Running, message: m, containerStatuses: [{name: a, lastState: "
                       "{terminated: {exitCode: 1}}}]}"),
                   H::kDegraded, "m"},
        HealthCase{
            "RunningNotReadyYet",
            Pod("{restartPolicy: Always}", "{phase: Running, containerStatuses: [{name: a}]}"),
            H::kProgressing, ""},
        HealthCase{"WaitingErrorsJoined", Pod("{restartPolicy: Always}", kCrashLooping),
                   H::kDegraded, "back-off a, pull b"},
        HealthCase{"HookPodIgnoresWaitingErrors", Pod("{restartPolicy: Never}", kCrashLooping),
                   H::kProgressing, ""},
        HealthCase{"IgnoreRestartPolicyAnnotationJudgesLikeService",
                   Pod("{restartPolicy: Never}",
                       "{phase: Running, conditions: [{type: Ready, status: 'True'}]}",
                       "{argocd.argoproj.io/ignore-restart-policy: 'true'}"),
                   H::kHealthy, ""},
        HealthCase{"IgnoreRestartPolicyAnnotationSeesBackOff",
                   Pod("{restartPolicy: Never}", kCrashLooping,
                       "{argocd.argoproj.io/ignore-restart-policy: 'true'}"),
                   H::kDegraded, "back-off a, pull b"},
        HealthCase{"FailedWithPodMessage",
                   Pod("{restartPolicy: Never}", "{phase: Failed, message: evicted}"), H::kDegraded,
                   "evicted"},
        HealthCase{"FailedWithExitCode",
                   Pod("{restartPolicy: Never}",
                       "{phase: Failed, containerStatuses: [{name: main, state: {terminated: "
                       "{exitCode: 2}}}]}"),
                   H::kDegraded, "container \"main\" failed with exit code 2"},
        HealthCase{"FailedOomInInitContainer",
                   Pod("{restartPolicy: Never}",
                       "{phase: Failed, initContainerStatuses: [{name: init, state: {terminated: "
                       "{exitCode: 137, reason: OOMKilled}}}]}"),
                   H::kDegraded, "OOMKilled"},
        HealthCase{"Succeeded", Pod("{restartPolicy: Never}", "{phase: Succeeded}"), H::kHealthy,
                   ""},
        HealthCase{"UnknownPhase",
                   Pod("{restartPolicy: Always}", "{phase: Unknown, message: lost}"), H::kUnknown,
                   "lost"}),
    testing::CaseName);

class NetworkAndStorageHealth : public ::testing::TestWithParam<HealthCase> {};
TEST_P(NetworkAndStorageHealth, Verdict) { testing::ExpectVerdict(GetParam()); }

std::string Pvc(const std::string& phase, const std::string& annotations = "{}") {
  return "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, annotations: " +
         annotations + "}\nstatus: {phase: " + phase + "}\n";
}

INSTANTIATE_TEST_SUITE_P(
    Core, NetworkAndStorageHealth,
    ::testing::Values(
        HealthCase{"ClusterIpService",
                   "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ClusterIP}\n",
                   H::kHealthy, ""},
        HealthCase{"LoadBalancerWithoutAddress",
                   "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: "
                   "LoadBalancer}\nstatus: {loadBalancer: {}}\n",
                   H::kProgressing, ""},
        HealthCase{"LoadBalancerWithAddress",
                   "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: "
                   "LoadBalancer}\nstatus: {loadBalancer: {ingress: [{ip: 10.0.0.1}]}}\n",
                   H::kHealthy, ""},
        HealthCase{"IngressWithAddress",
                   "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nstatus: "
                   "{loadBalancer: {ingress: [{hostname: lb.example}]}}\n",
                   H::kHealthy, ""},
        HealthCase{"ExtensionsIngressWithoutAddress",
                   "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\nstatus: "
                   "{loadBalancer: {ingress: []}}\n",
                   H::kProgressing, ""},
        HealthCase{"PvcBound", Pvc("Bound"), H::kHealthy, ""},
        HealthCase{"PvcLost", Pvc("Lost"), H::kDegraded, ""},
        HealthCase{"PvcProvisioning",
                   Pvc("Pending", "{volume.kubernetes.io/storage-provisioner: ebs.csi.aws.com}"),
                   H::kProgressing, "Provisioning volume"},
        HealthCase{"PvcWaitingForFirstConsumer", Pvc("Pending"), H::kHealthy,
                   "Waiting for consumer"},
        HealthCase{"PvcWithoutPhase", Pvc("''"), H::kUnknown, ""}),
    testing::CaseName);

std::string Job(const std::string& conditions) {
  return "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nstatus: {conditions: " +
         conditions + "}\n";
}

class JobHealth : public ::testing::TestWithParam<HealthCase> {};
TEST_P(JobHealth, Verdict) { testing::ExpectVerdict(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Core, JobHealth,
    ::testing::Values(
        HealthCase{"Running", Job("[]"), H::kProgressing, ""},
        HealthCase{"Complete", Job("[{type: Complete, status: 'True', message: done}]"),
                   H::kHealthy, "done"},
        HealthCase{"Failed",
                   Job("[{type: Failed, status: 'True', reason: BackoffLimitExceeded, message: "
                       "Job has reached the specified backoff limit}]"),
                   H::kDegraded, "Job has reached the specified backoff limit"},
        HealthCase{"FailureTargetIsAlreadyLost",
                   Job("[{type: FailureTarget, status: 'True', reason: DeadlineExceeded}]"),
                   H::kDegraded, "DeadlineExceeded"},
        HealthCase{"Suspended", Job("[{type: Suspended, status: 'True', message: Job suspended}]"),
                   H::kSuspended, "Job suspended"},
        HealthCase{"ResumedIsRunning",
                   Job("[{type: Suspended, status: 'False', message: Job resumed}]"),
                   H::kProgressing, ""}),
    testing::CaseName);

std::string HpaV2(const std::string& conditions) {
  return "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\n"
         "status: {conditions: " +
         conditions + "}\n";
}

std::string HpaV1(const std::string& annotation) {
  return "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h\n"
         "  annotations:\n    autoscaling.alpha.kubernetes.io/conditions: '" +
         annotation + "'\n";
}

class ControlPlaneHealth : public ::testing::TestWithParam<HealthCase> {};
TEST_P(ControlPlaneHealth, Verdict) { testing::ExpectVerdict(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    Core, ControlPlaneHealth,
    ::testing::Values(
        HealthCase{"HpaFirstDecisiveConditionHealthy",
                   HpaV2("[{type: AbleToScale, status: 'True', message: ok}, {type: "
                         "ScalingActive, status: 'False', reason: FailedGetResourceMetric}]"),
                   H::kHealthy, "ok"},
        HealthCase{"HpaFailedObjectMetric",
                   HpaV2("[{type: ScalingActive, status: 'False', reason: FailedGetObjectMetric, "
                         "message: no metric}]"),
                   H::kDegraded, "no metric"},
        HealthCase{"HpaNoDecisiveCondition",
                   HpaV2("[{type: ScalingActive, status: 'True', reason: ValidMetricFound}]"),
                   H::kProgressing, "Waiting to Autoscale"},
        HealthCase{"HpaV1FromAnnotation",
                   HpaV1("[{\"type\":\"AbleToScale\",\"status\":\"False\",\"reason\":"
                         "\"FailedGetScale\",\"message\":\"no scale\"}]"),
                   H::kDegraded, "no scale"},
        HealthCase{"HpaV1BadAnnotation", HpaV1("not json"), H::kUnknown,
                   "failed to convert conditions annotation to typed: not a JSON list"},
        HealthCase{"ApiServiceAvailable",
                   "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: "
                   "v1.x}\nstatus: {conditions: [{type: Available, status: 'True', reason: "
                   "Passed, message: all checks passed}]}\n",
                   H::kHealthy, "Passed: all checks passed"},
        HealthCase{"ApiServiceUnavailable",
                   "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: "
                   "v1.x}\nstatus: {conditions: [{type: Available, status: 'False', reason: "
                   "MissingEndpoints, message: no endpoints}]}\n",
                   H::kProgressing, "MissingEndpoints: no endpoints"},
        HealthCase{"ApiServiceUnprocessed",
                   "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: "
                   "v1.x}\n",
                   H::kProgressing, "Waiting to be processed"},
        HealthCase{"WorkflowRunning",
                   "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\n"
                   "status: {phase: Running, message: This node is running}\n",
                   H::kProgressing, "This node is running"},
        HealthCase{"WorkflowWithoutStatus",
                   "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\n",
                   H::kProgressing, ""},
        HealthCase{"WorkflowSucceeded",
                   "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\n"
                   "status: {phase: Succeeded, message: done}\n",
                   H::kHealthy, "done"},
        HealthCase{"WorkflowError",
                   "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\n"
                   "status: {phase: Error, message: boom}\n",
                   H::kDegraded, "boom"},
        HealthCase{"WorkflowOddPhase",
                   "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\n"
                   "status: {phase: Skipped}\n",
                   H::kUnknown, ""}),
    testing::CaseName);

TEST(CoreHealth, DeletionIsPendingUnlessHookFinalizerHoldsIt) {
  Object deleting = testing::ParseOne(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, deletionTimestamp: "
      "'2024-01-01T00:00:00Z'}\nstatus: {phase: Succeeded}\n");
  auto got = AssessBuiltin(deleting, HealthContext());
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, (HealthStatus{HealthCode::kProgressing, "Pending deletion"}));

  Object hook = testing::ParseOne(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, deletionTimestamp: "
      "'2024-01-01T00:00:00Z', finalizers: [argocd.argoproj.io/hook-finalizer]}\n"
      "status: {phase: Succeeded}\n");
  got = AssessBuiltin(hook, HealthContext());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->code, HealthCode::kHealthy);
}

TEST(CoreHealth, KindsWithoutBuiltinCheckReturnNothing) {
  for (const char* yaml :
       {"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        "apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: d}\n"}) {
    EXPECT_FALSE(AssessBuiltin(testing::ParseOne(yaml), HealthContext()).has_value()) << yaml;
  }
}

TEST(CoreHealth, MistypedFieldsDoNotCrash) {
  for (const char* kind :
       {"apps/v1 Deployment", "apps/v1 StatefulSet", "apps/v1 DaemonSet", "apps/v1 ReplicaSet",
        "v1 Pod", "v1 Service", "batch/v1 Job", "autoscaling/v2 HorizontalPodAutoscaler"}) {
    std::string api(kind, std::string(kind).find(' '));
    std::string k = std::string(kind).substr(api.size() + 1);
    Object obj = testing::ParseOne("apiVersion: " + api + "\nkind: " + k +
                                   "\nmetadata: {name: 7, generation: x}\nspec: [1, 2]\n"
                                   "status: {conditions: 3, containerStatuses: x, replicas: "
                                   "many}\n");
    EXPECT_TRUE(AssessBuiltin(obj, HealthContext()).has_value()) << kind;
  }
}

}  // namespace
}  // namespace mlgitops
