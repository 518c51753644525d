// Tests of the ML health checks: training jobs (with child Pod failures), model serving and
// scheduled pipelines with the mlgitops.io/sla freshness rule.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "health/health.h"
#include "health_test_util.h"
#include "object/timeutil.h"

namespace mlgitops {
namespace {

using testing::HealthCase;
using H = HealthCode;

// ---- child Pods ----

std::string CrashLoopingPod(const std::string& name) {
  return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
         "}\nstatus:\n  phase: Running\n  containerStatuses:\n  - name: trainer\n"
         "    restartCount: 4\n    state: {waiting: {reason: CrashLoopBackOff}}\n"
         "    lastState: {terminated: {reason: OOMKilled, exitCode: 137}}\n";
}

const char* kImagePullPod =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: train-pull}\nstatus:\n  phase: Pending\n"
    "  containerStatuses:\n  - name: trainer\n    state: {waiting: {reason: ImagePullBackOff}}\n";

const char* kRepeatedOomPod =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: train-oom}\nstatus:\n  phase: Running\n"
    "  containerStatuses:\n  - name: trainer\n    restartCount: 2\n    state: {running: {}}\n"
    "    lastState: {terminated: {reason: OOMKilled, exitCode: 137}}\n";

const char* kSingleOomPod =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: train-oom}\nstatus:\n  phase: Running\n"
    "  containerStatuses:\n  - name: trainer\n    restartCount: 1\n    state: {running: {}}\n"
    "    lastState: {terminated: {reason: OOMKilled, exitCode: 137}}\n";

const char* kHealthyPod =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: train-ok}\nstatus:\n  phase: Running\n"
    "  containerStatuses:\n  - name: trainer\n    restartCount: 0\n    state: {running: {}}\n";

const std::string kCrashMessage =
    "pod train-abc container trainer: CrashLoopBackOff (last exit: OOMKilled)";

// ---- training ----

std::string BatchJob(const std::string& conditions) {
  return "apiVersion: batch/v1\nkind: Job\nmetadata: {name: train}\nstatus: {conditions: " +
         conditions + "}\n";
}

std::string Kubeflow(const std::string& kind, const std::string& conditions,
                     const std::string& spec = "{}") {
  return "apiVersion: kubeflow.org/v1\nkind: " + kind + "\nmetadata: {name: mnist}\nspec: " + spec +
         "\nstatus: {conditions: " + conditions + "}\n";
}

std::string TrainJob(const std::string& conditions, const std::string& spec = "{}") {
  return "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata: {name: t}\n"
         "spec: " +
         spec + "\nstatus: {conditions: " + conditions + "}\n";
}

std::string RayJob(const std::string& status, const std::string& spec = "{}") {
  return "apiVersion: ray.io/v1\nkind: RayJob\nmetadata: {name: rj}\nspec: " + spec +
         "\nstatus: " + status + "\n";
}

std::string RayCluster(const std::string& status) {
  return "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: rc}\nstatus: " + status + "\n";
}

std::string Volcano(const std::string& state) {
  return "apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nmetadata: {name: vj}\nstatus: "
         "{state: " +
         state + "}\n";
}

class TrainingHealth : public ::testing::TestWithParam<HealthCase> {};
TEST_P(TrainingHealth, Verdict) { testing::ExpectVerdict(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    BatchJob, TrainingHealth,
    ::testing::Values(
        HealthCase{"CrashLoopingPodDegradesRunningJob",
                   BatchJob("[]"),
                   H::kDegraded,
                   kCrashMessage,
                   "",
                   {CrashLoopingPod("train-abc")}},
        HealthCase{"ImagePullDegrades",
                   BatchJob("[]"),
                   H::kDegraded,
                   "pod train-pull container trainer: ImagePullBackOff",
                   "",
                   {kImagePullPod}},
        HealthCase{"RepeatedOomDegrades",
                   BatchJob("[]"),
                   H::kDegraded,
                   "pod train-oom container trainer: OOMKilled (restarted 2 times)",
                   "",
                   {kRepeatedOomPod}},
        HealthCase{
            "SingleOomStillProgressing", BatchJob("[]"), H::kProgressing, "", "", {kSingleOomPod}},
        HealthCase{
            "HealthyPodsStayProgressing", BatchJob("[]"), H::kProgressing, "", "", {kHealthyPod}},
        HealthCase{"SeveralFailingPodsCounted",
                   BatchJob("[]"),
                   H::kDegraded,
                   kCrashMessage + " (and 1 more failing pods)",
                   "",
                   {kHealthyPod, CrashLoopingPod("train-abc"), kImagePullPod}},
        HealthCase{"FinishedJobIgnoresOldPods",
                   BatchJob("[{type: Complete, status: 'True'}]"),
                   H::kHealthy,
                   "",
                   "",
                   {CrashLoopingPod("train-abc")}},
        HealthCase{"SuspendedJobIgnoresPods",
                   BatchJob("[{type: Suspended, status: 'True', message: Job suspended}]"),
                   H::kSuspended,
                   "Job suspended",
                   "",
                   {CrashLoopingPod("train-abc")}}),
    testing::CaseName);

INSTANTIATE_TEST_SUITE_P(
    Kubeflow, TrainingHealth,
    ::testing::Values(
        HealthCase{"NoConditions", Kubeflow("PyTorchJob", "[]"), H::kProgressing,
                   "Waiting for the training operator to report status"},
        HealthCase{"Created",
                   Kubeflow("TFJob", "[{type: Created, status: 'True', message: TFJob created}]"),
                   H::kProgressing, "TFJob created"},
        HealthCase{"Running",
                   Kubeflow("MPIJob",
                            "[{type: Created, status: 'True'}, {type: Running, status: 'True', "
                            "message: running}]"),
                   H::kProgressing, "running"},
        HealthCase{"Restarting",
                   Kubeflow("XGBoostJob",
                            "[{type: Running, status: 'False'}, {type: Restarting, status: "
                            "'True', message: worker-0 exited 137}]"),
                   H::kProgressing, "restarting: worker-0 exited 137"},
        HealthCase{"Succeeded",
                   Kubeflow("PaddleJob",
                            "[{type: Running, status: 'False'}, {type: Succeeded, status: "
                            "'True', message: PaddleJob mnist successfully completed.}]"),
                   H::kHealthy, "PaddleJob mnist successfully completed."},
        HealthCase{"Failed",
                   Kubeflow("JAXJob",
                            "[{type: Running, status: 'False'}, {type: Failed, status: 'True', "
                            "reason: JAXJobFailed}]"),
                   H::kDegraded, "JAXJobFailed"},
        HealthCase{"SuspendedCondition",
                   Kubeflow("PyTorchJob", "[{type: Suspended, status: 'True'}]"), H::kSuspended,
                   "PyTorchJob is suspended"},
        HealthCase{"SuspendedBySpec", Kubeflow("PyTorchJob", "[]", "{runPolicy: {suspend: true}}"),
                   H::kSuspended, "PyTorchJob is suspended"},
        HealthCase{"CrashLoopingWorker",
                   Kubeflow("PyTorchJob", "[{type: Running, status: 'True'}]"),
                   H::kDegraded,
                   kCrashMessage,
                   "",
                   {CrashLoopingPod("train-abc")}}),
    testing::CaseName);

INSTANTIATE_TEST_SUITE_P(
    TrainerAndRayAndVolcano, TrainingHealth,
    ::testing::Values(
        HealthCase{"TrainJobRunning", TrainJob("[]"), H::kProgressing, "TrainJob is running"},
        HealthCase{"TrainJobComplete",
                   TrainJob("[{type: Complete, status: 'True', message: done}]"), H::kHealthy,
                   "done"},
        HealthCase{"TrainJobFailed",
                   TrainJob("[{type: Failed, status: 'True', reason: DeadlineExceeded}]"),
                   H::kDegraded, "DeadlineExceeded"},
        HealthCase{"TrainJobSuspended", TrainJob("[]", "{suspend: true}"), H::kSuspended,
                   "TrainJob is suspended"},
        HealthCase{"TrainJobPodCannotPull",
                   TrainJob("[]"),
                   H::kDegraded,
                   "pod train-pull container trainer: ImagePullBackOff",
                   "",
                   {kImagePullPod}},
        HealthCase{"RayJobSucceeded",
                   RayJob("{jobDeploymentStatus: Complete, jobStatus: SUCCEEDED}"), H::kHealthy,
                   "RayJob succeeded"},
        HealthCase{"RayJobCompleteButFailed",
                   RayJob("{jobDeploymentStatus: Complete, jobStatus: FAILED, message: "
                          "exit code 1}"),
                   H::kDegraded, "RayJob completed but its job status is FAILED: exit code 1"},
        HealthCase{"RayJobDeploymentFailed",
                   RayJob("{jobDeploymentStatus: Failed, reason: DeadlineExceeded}"), H::kDegraded,
                   "RayJob failed: DeadlineExceeded"},
        HealthCase{"RayJobRunning", RayJob("{jobDeploymentStatus: Running, jobStatus: RUNNING}"),
                   H::kProgressing, "RayJob is Running, job status RUNNING"},
        HealthCase{"RayJobSuspended", RayJob("{jobDeploymentStatus: Suspended}"), H::kSuspended,
                   "RayJob is suspended"},
        HealthCase{"RayJobSuspendedBeforeStart", RayJob("{}", "{suspend: true}"), H::kSuspended,
                   "RayJob is suspended"},
        HealthCase{"RayJobCrashingHead",
                   RayJob("{jobDeploymentStatus: Initializing}"),
                   H::kDegraded,
                   kCrashMessage,
                   "",
                   {CrashLoopingPod("train-abc")}},
        HealthCase{"RayClusterReady", RayCluster("{state: ready}"), H::kHealthy,
                   "RayCluster is ready"},
        HealthCase{"RayClusterReadyWithCrashingWorker",
                   RayCluster("{state: ready}"),
                   H::kDegraded,
                   kCrashMessage,
                   "",
                   {CrashLoopingPod("train-abc")}},
        HealthCase{"RayClusterFailed", RayCluster("{state: failed, reason: quota}"), H::kDegraded,
                   "RayCluster failed: quota"},
        HealthCase{"RayClusterReplicaFailure",
                   RayCluster("{conditions: [{type: RayClusterReplicaFailure, status: 'True', "
                              "message: pods forbidden}]}"),
                   H::kDegraded, "pods forbidden"},
        HealthCase{"RayClusterSuspended", RayCluster("{state: suspended}"), H::kSuspended,
                   "RayCluster is suspended"},
        HealthCase{"RayClusterHeadNotReady",
                   RayCluster("{conditions: [{type: HeadPodReady, status: 'False', reason: "
                              "HeadPodNotFound}]}"),
                   H::kProgressing, "HeadPodNotFound"},
        HealthCase{"VolcanoCompleted", Volcano("{phase: Completed}"), H::kHealthy,
                   "Volcano job completed"},
        HealthCase{"VolcanoFailed", Volcano("{phase: Failed, reason: PodFailed}"), H::kDegraded,
                   "Volcano job Failed: PodFailed"},
        HealthCase{"VolcanoAbortedIsSuspended", Volcano("{phase: Aborted}"), H::kSuspended,
                   "Volcano job aborted"},
        HealthCase{"VolcanoPending", Volcano("{phase: Pending}"), H::kProgressing,
                   "Volcano job Pending"},
        HealthCase{"VolcanoRunningWithCrashLoop",
                   Volcano("{phase: Running}"),
                   H::kDegraded,
                   kCrashMessage,
                   "",
                   {CrashLoopingPod("train-abc")}}),
    testing::CaseName);

// ---- serving ----

std::string Isvc(const std::string& status) {
  return "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: m}\n"
         "status: " +
         status + "\n";
}

const char* kIsvcReady =
    "[{type: IngressReady, status: 'True'}, {type: PredictorReady, status: 'True'}, "
    "{type: Ready, status: 'True'}]";

std::string Seldon(const std::string& status) {
  return "apiVersion: machinelearning.seldon.io/v1\nkind: SeldonDeployment\nmetadata: {name: "
         "s}\nstatus: " +
         status + "\n";
}

std::string RayService(const std::string& status) {
  return "apiVersion: ray.io/v1\nkind: RayService\nmetadata: {name: rs}\nstatus: " + status + "\n";
}

class ServingHealth : public ::testing::TestWithParam<HealthCase> {};
TEST_P(ServingHealth, Verdict) { testing::ExpectVerdict(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    InferenceService, ServingHealth,
    ::testing::Values(
        HealthCase{"NoStatus",
                   "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: "
                   "{name: m}\n",
                   H::kProgressing, "Waiting for InferenceService to report status..."},
        HealthCase{"Ready", Isvc(std::string("{conditions: ") + kIsvcReady + "}"), H::kHealthy,
                   "InferenceService is healthy."},
        HealthCase{"FalseConditionAloneIsProgressing",
                   Isvc("{conditions: [{type: PredictorReady, status: 'False', reason: X}]}"),
                   H::kProgressing, " | 1: PredictorReady | False | X"},
        HealthCase{"StoppedIsSuspended",
                   Isvc("{conditions: [{type: Ready, status: 'False'}, {type: Stopped, status: "
                        "'True'}]}"),
                   H::kSuspended, "InferenceService is Stopped"},
        HealthCase{"ModelFailedToLoadNamesKServeReason",
                   Isvc(std::string("{conditions: ") + kIsvcReady +
                        ", modelStatus: {transitionStatus: BlockedByFailedLoad, states: "
                        "{activeModelState: '', targetModelState: FailedToLoad}, "
                        "lastFailureInfo: {reason: ModelLoadFailed, message: 'no such file: "
                        "model.pt'}}}"),
                   H::kDegraded, "model failed to load (ModelLoadFailed): no such file: model.pt"},
        HealthCase{"ActiveModelFailedToLoadWithUpToDateTransition",
                   Isvc(std::string("{conditions: ") + kIsvcReady +
                        ", modelStatus: {transitionStatus: UpToDate, states: {activeModelState: "
                        "FailedToLoad}, lastFailureInfo: {reason: RuntimeUnhealthy}}}"),
                   H::kDegraded, "model failed to load (RuntimeUnhealthy)"},
        HealthCase{"InvalidSpecWithFailureInfo",
                   Isvc("{conditions: [], modelStatus: {transitionStatus: InvalidSpec, "
                        "lastFailureInfo: {reason: NoSupportingRuntime, message: no runtime for "
                        "onnx}}}"),
                   H::kDegraded, "model failed to load (NoSupportingRuntime): no runtime for onnx"},
        HealthCase{"TargetModelLoadingIsProgressing",
                   Isvc(std::string("{conditions: ") + kIsvcReady +
                        ", modelStatus: {transitionStatus: UpToDate, states: {activeModelState: "
                        "Loaded, targetModelState: Loading}}}"),
                   H::kProgressing, "target model is Loading"},
        HealthCase{"ActiveModelPendingIsProgressing",
                   Isvc(std::string("{conditions: ") + kIsvcReady +
                        ", modelStatus: {states: {activeModelState: Pending}}}"),
                   H::kProgressing, "active model is Pending"},
        HealthCase{"FailedLoadBeforeConditions",
                   Isvc("{modelStatus: {states: {targetModelState: FailedToLoad}, "
                        "lastFailureInfo: {reason: ModelLoadFailed, message: OOM}}}"),
                   H::kDegraded, "model failed to load (ModelLoadFailed): OOM"},
        HealthCase{"LoadedModelIsHealthy",
                   Isvc(std::string("{conditions: ") + kIsvcReady +
                        ", modelStatus: {transitionStatus: UpToDate, states: {activeModelState: "
                        "Loaded, targetModelState: Loaded}}}"),
                   H::kHealthy, "InferenceService is healthy."}),
    testing::CaseName);

INSTANTIATE_TEST_SUITE_P(
    SeldonRayKnative, ServingHealth,
    ::testing::Values(
        HealthCase{"SeldonAvailable", Seldon("{state: Available}"), H::kHealthy,
                   "SeldonDeployment is available"},
        HealthCase{"SeldonCreating", Seldon("{state: Creating, description: waiting}"),
                   H::kProgressing, "SeldonDeployment is Creating: waiting"},
        HealthCase{"SeldonFailed", Seldon("{state: Failed, description: bad graph}"), H::kDegraded,
                   "SeldonDeployment failed: bad graph"},
        HealthCase{"SeldonNoStatus", Seldon("{}"), H::kProgressing,
                   "Waiting for Seldon to report status"},
        HealthCase{"RayServiceReady",
                   RayService("{conditions: [{type: Ready, status: 'True', reason: "
                              "NonZeroServeEndpoints}]}"),
                   H::kHealthy, "NonZeroServeEndpoints"},
        HealthCase{"RayServiceUpgrading",
                   RayService("{conditions: [{type: Ready, status: 'True'}, {type: "
                              "UpgradeInProgress, status: 'True', message: pending cluster "
                              "warming}]}"),
                   H::kProgressing, "pending cluster warming"},
        HealthCase{"RayServiceInitTimeout",
                   RayService("{conditions: [{type: Ready, status: 'False', reason: "
                              "InitializingTimeout, message: not ready after 30m}]}"),
                   H::kDegraded, "not ready after 30m"},
        HealthCase{"RayServiceApplicationFailed",
                   RayService("{conditions: [{type: Ready, status: 'True'}], "
                              "activeServiceStatus: {applicationStatuses: {llm: {status: "
                              "DEPLOY_FAILED, message: import error}}}}"),
                   H::kDegraded, "serve application llm: DEPLOY_FAILED: import error"},
        HealthCase{"RayServiceLegacyRunning", RayService("{serviceStatus: Running}"), H::kHealthy,
                   "RayService is running"},
        HealthCase{"RayServiceLegacyFailure",
                   RayService("{serviceStatus: FailedToGetOrCreateRayCluster}"), H::kDegraded,
                   "RayService: FailedToGetOrCreateRayCluster"},
        HealthCase{"KnativeHealthy",
                   "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: k}\n"
                   "status: {conditions: [{type: ConfigurationsReady, status: 'True'}, {type: "
                   "RoutesReady, status: 'True'}, {type: Ready, status: 'True'}]}\n",
                   H::kHealthy, "Knative Service is healthy."},
        HealthCase{"KnativeNoStatus",
                   "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: k}\n",
                   H::kProgressing, "Waiting for status update."}),
    testing::CaseName);

TEST(ServingHealth, ModelServingDeploymentUsesTheRole) {
  Object deployment = testing::ParseOne(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: llm, generation: 1}\n"
      "spec: {replicas: 2}\nstatus: {observedGeneration: 1, replicas: 2, updatedReplicas: 2, "
      "availableReplicas: 2, readyReplicas: 1}\n");
  HealthContext ctx;
  EXPECT_EQ(AssessBuiltin(deployment, ctx)->code, HealthCode::kHealthy);
  ctx.role = "model-serving";
  EXPECT_EQ(*AssessBuiltin(deployment, ctx),
            (HealthStatus{HealthCode::kProgressing, "1/2 replicas pass readiness"}));
}

// ---- pipelines and the SLA rule ----

const int64_t kNow = *ParseRfc3339("2025-07-30T20:00:00Z");

std::string CronJob(const std::string& annotations, const std::string& status,
                    const std::string& created = "2025-07-01T00:00:00Z") {
  return "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: features, creationTimestamp: '" +
         created + "', annotations: " + annotations +
         "}\nspec: {schedule: '0 * * * *'}\nstatus: " + status + "\n";
}

std::string CronWorkflow(const std::string& annotations,
                         const std::string& created = "2025-07-01T00:00:00Z") {
  return "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: etl, "
         "creationTimestamp: '" +
         created + "', annotations: " + annotations + "}\nstatus: {}\n";
}

std::string Workflow(const std::string& name, const std::string& phase,
                     const std::string& finished) {
  return "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: " + name +
         "}\nstatus: {phase: " + phase + ", finishedAt: '" + finished + "'}\n";
}

std::string Spark(const std::string& annotations, const std::string& state,
                  const std::string& terminated) {
  return "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {name: "
         "agg, creationTimestamp: '2025-07-01T00:00:00Z', annotations: " +
         annotations + "}\nspec: {}\nstatus: {applicationState: {state: " + state +
         "}, terminationTime: '" + terminated + "'}\n";
}

std::string ScheduledSpark(const std::string& annotations, const std::string& status,
                           const std::string& spec = "{}") {
  return "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: ScheduledSparkApplication\nmetadata: "
         "{name: nightly, creationTimestamp: '2025-07-01T00:00:00Z', annotations: " +
         annotations + "}\nspec: " + spec + "\nstatus: " + status + "\n";
}

const char* kSla6h = "{mlgitops.io/sla: 6h}";
const char* kRecentSuccess =
    "{lastScheduleTime: '2025-07-30T19:00:00Z', lastSuccessfulTime: '2025-07-30T19:00:30Z'}";
const char* kStaleSuccess =
    "{lastScheduleTime: '2025-07-30T12:48:00Z', lastSuccessfulTime: '2025-07-30T12:48:00Z'}";
const std::string kArgoCompleted = "CronJob has completed its last execution successfully";

class PipelineHealth : public ::testing::TestWithParam<HealthCase> {};
TEST_P(PipelineHealth, Verdict) { testing::ExpectVerdict(GetParam()); }

INSTANTIATE_TEST_SUITE_P(
    CronJob, PipelineHealth,
    ::testing::Values(
        HealthCase{"FreshWithinSla",
                   CronJob(kSla6h, kRecentSuccess),
                   H::kHealthy,
                   kArgoCompleted,
                   "",
                   {},
                   kNow},
        HealthCase{"StaleBeyondSla",
                   CronJob(kSla6h, kStaleSuccess),
                   H::kDegraded,
                   "last successful run 7h12m ago exceeds SLA 6h",
                   "",
                   {},
                   kNow},
        HealthCase{"NoClockSkipsFreshness",
                   CronJob(kSla6h, kStaleSuccess),
                   H::kHealthy,
                   kArgoCompleted,
                   "",
                   {},
                   0},
        HealthCase{"NoAnnotationNoFreshness",
                   CronJob("{}", kStaleSuccess),
                   H::kHealthy,
                   kArgoCompleted,
                   "",
                   {},
                   kNow},
        HealthCase{
            "NeverSucceededWithinGracePeriod",
            CronJob(kSla6h, "{lastScheduleTime: '2025-07-30T19:00:00Z'}", "2025-07-30T16:00:00Z"),
            H::kHealthy,
            "The CronJob never completed successfully. It may not be healthy",
            "",
            {},
            kNow},
        HealthCase{
            "NeverSucceededPastSla",
            CronJob(kSla6h, "{lastScheduleTime: '2025-07-30T19:00:00Z'}", "2025-07-30T13:00:00Z"),
            H::kDegraded,
            "no successful run within SLA 6h since creation 7h ago",
            "",
            {},
            kNow},
        HealthCase{"InvalidSlaIsUnknown",
                   CronJob("{mlgitops.io/sla: soon}", kRecentSuccess),
                   H::kUnknown,
                   "invalid mlgitops.io/sla annotation \"soon\": expected a positive duration "
                   "such as 6h or 30m",
                   "",
                   {},
                   kNow},
        HealthCase{"InvalidSlaNeedsNoClock", CronJob("{mlgitops.io/sla: 6 hours}", kRecentSuccess),
                   H::kUnknown,
                   "invalid mlgitops.io/sla annotation \"6 hours\": expected a positive duration "
                   "such as 6h or 30m"},
        HealthCase{"ZeroSlaIsInvalid",
                   CronJob("{mlgitops.io/sla: 0s}", kRecentSuccess),
                   H::kUnknown,
                   "invalid mlgitops.io/sla annotation \"0s\": expected a positive duration "
                   "such as 6h or 30m",
                   "",
                   {},
                   kNow},
        HealthCase{"ArgoDegradedKeptWhenFresh",
                   CronJob("{mlgitops.io/sla: 1d}",
                           "{lastScheduleTime: '2025-07-30T19:00:00Z', lastSuccessfulTime: "
                           "'2025-07-30T18:00:00Z'}"),
                   H::kDegraded,
                   "CronJob has not completed its last execution successfully",
                   "",
                   {},
                   kNow},
        HealthCase{"ArgoDegradedAndStaleSaysBoth",
                   CronJob(kSla6h,
                           "{lastScheduleTime: '2025-07-30T19:00:00Z', lastSuccessfulTime: "
                           "'2025-07-30T12:48:00Z'}"),
                   H::kDegraded,
                   "CronJob has not completed its last execution successfully; last successful "
                   "run 7h12m ago exceeds SLA 6h",
                   "",
                   {},
                   kNow},
        HealthCase{"NoStatusWaits", CronJob("{}", "null"), H::kProgressing, "Waiting for CronJob"}),
    testing::CaseName);

INSTANTIATE_TEST_SUITE_P(
    CronWorkflowAndSpark, PipelineHealth,
    ::testing::Values(
        HealthCase{"CronWorkflowNewestSuccessIsFresh",
                   CronWorkflow(kSla6h),
                   H::kHealthy,
                   "CronWorkflow is healthy.",
                   "",
                   {Workflow("etl-1", "Succeeded", "2025-07-30T10:00:00Z"),
                    Workflow("etl-2", "Succeeded", "2025-07-30T18:00:00Z"),
                    Workflow("etl-3", "Failed", "2025-07-30T19:00:00Z")},
                   kNow},
        HealthCase{"CronWorkflowOnlyFailuresSinceStale",
                   CronWorkflow(kSla6h),
                   H::kDegraded,
                   "last successful run 10h ago exceeds SLA 6h",
                   "",
                   {Workflow("etl-1", "Succeeded", "2025-07-30T10:00:00Z"),
                    Workflow("etl-3", "Failed", "2025-07-30T19:00:00Z")},
                   kNow},
        HealthCase{"CronWorkflowNoChildrenPastSla",
                   CronWorkflow(kSla6h),
                   H::kDegraded,
                   "no successful run within SLA 6h since creation 29d20h ago",
                   "",
                   {},
                   kNow},
        HealthCase{"CronWorkflowSubmissionError",
                   "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: "
                   "etl}\nstatus: {conditions: [{type: SubmissionError, status: 'True', "
                   "message: quota}]}\n",
                   H::kDegraded, "quota"},
        HealthCase{"SparkCompletedRecently",
                   Spark(kSla6h, "COMPLETED", "2025-07-30T19:00:00Z"),
                   H::kHealthy,
                   "SparkApplication was Completed",
                   "",
                   {},
                   kNow},
        HealthCase{"SparkCompletedLongAgo",
                   Spark(kSla6h, "COMPLETED", "2025-07-29T20:00:00Z"),
                   H::kDegraded,
                   "last successful run 1d ago exceeds SLA 6h",
                   "",
                   {},
                   kNow},
        HealthCase{"SparkFailedRunIsNotASuccess",
                   Spark(kSla6h, "FAILED", "2025-07-30T19:00:00Z"),
                   H::kDegraded,
                   "no successful run within SLA 6h since creation 29d20h ago",
                   "",
                   {},
                   kNow},
        HealthCase{"ScheduledSparkFresh",
                   ScheduledSpark(kSla6h,
                                  "{scheduleState: Scheduled, lastRun: "
                                  "'2025-07-30T19:00:00Z'}"),
                   H::kHealthy,
                   "ScheduledSparkApplication is scheduled",
                   "",
                   {},
                   kNow},
        HealthCase{"ScheduledSparkStale",
                   ScheduledSpark(kSla6h,
                                  "{scheduleState: Scheduled, lastRun: "
                                  "'2025-07-30T01:00:00Z'}"),
                   H::kDegraded,
                   "last successful run 19h ago exceeds SLA 6h",
                   "",
                   {},
                   kNow},
        HealthCase{"ScheduledSparkFailedValidation",
                   ScheduledSpark("{}", "{scheduleState: FailedValidation, reason: bad cron}"),
                   H::kDegraded, "schedule failed validation: bad cron"},
        HealthCase{"ScheduledSparkSuspended",
                   ScheduledSpark("{}", "{scheduleState: Scheduled}", "{suspend: true}"),
                   H::kSuspended, "ScheduledSparkApplication is suspended"}),
    testing::CaseName);

}  // namespace
}  // namespace mlgitops
