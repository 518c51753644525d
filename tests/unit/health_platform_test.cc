// Tests of the platform health checks: Argo CD's corpus cases, then edge cases of our own.
#include <gtest/gtest.h>

#include "argocd_corpus.h"
#include "health/health.h"
#include "health_test_util.h"

namespace mlgitops {
namespace {

using testing::ArgoKindCorpus;
using testing::ArgoKindExpectation;
using testing::ExpectVerdicts;
using H = HealthCode;

// The CRD case with a deletionTimestamp reads "Pending deletion" through the entry point, as in
// Argo CD (gitops-engine answers before any script runs); the CRD function alone says
// "CRD is terminating", as the Lua case expects.
INSTANTIATE_TEST_SUITE_P(
    Platform, ArgoKindCorpus,
    ::testing::Values(ArgoKindExpectation{"apiextensions.k8s.io/CustomResourceDefinition", 8, 7, 8},
                      ArgoKindExpectation{"policy/PodDisruptionBudget", 3, 3, 3},
                      ArgoKindExpectation{"apps.kruise.io/AdvancedCronJob", 4, 4, 4},
                      ArgoKindExpectation{"apps.kruise.io/BroadcastJob", 4, 4, 4},
                      ArgoKindExpectation{"flink.apache.org/FlinkDeployment", 7, 7, 7},
                      ArgoKindExpectation{"keda.sh/ScaledJob", 5, 5, 5},
                      ArgoKindExpectation{"keda.sh/ScaledObject", 6, 6, 6}),
    testing::ArgoKindTestName);

TEST(PlatformHealth, CustomResourceDefinitionEdgeCases) {
  ExpectVerdicts({
      {"no status at all", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n",
       H::kProgressing, "Status conditions not found"},
      {"names refused before the Established condition is read",
       "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nstatus:\n"
       "  conditions:\n  - {type: NamesAccepted, status: 'False', message: taken}\n"
       "  - {type: Established, status: 'False', reason: Installing}\n",
       H::kDegraded, "CRD names have not been accepted: taken"},
      {"not established for another reason",
       "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nstatus:\n"
       "  conditions: [{type: Established, status: 'False', reason: Other}]\n",
       H::kDegraded, "CRD is not established"},
      {"deleting behind a hook finalizer reaches the CRD check",
       "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
       "  deletionTimestamp: '2024-12-28T13:51:19Z'\n"
       "  finalizers: [argocd.argoproj.io/hook-finalizer]\n",
       H::kProgressing, "CRD is terminating"},
  });
}

TEST(PlatformHealth, PodDisruptionBudgetEdgeCases) {
  ExpectVerdicts({
      {"too few pods is not a failure",
       "apiVersion: policy/v1\nkind: PodDisruptionBudget\nstatus:\n"
       "  conditions: [{type: DisruptionAllowed, status: 'False', reason: InsufficientPods}]\n",
       H::kHealthy, "PodDisruptionBudget has InsufficientPods"},
      {"a condition without a reason names its type",
       "apiVersion: policy/v1\nkind: PodDisruptionBudget\nstatus:\n"
       "  conditions: [{type: DisruptionAllowed, status: 'False'}]\n",
       H::kDegraded, "PodDisruptionBudget has DisruptionAllowed"},
      {"conditions not a list",
       "apiVersion: policy/v1\nkind: PodDisruptionBudget\nstatus: {conditions: {a: b}}\n",
       H::kProgressing, "Waiting for status"},
  });
}

TEST(PlatformHealth, KruiseEdgeCases) {
  ExpectVerdicts({
      {"paused before its first run, no status",
       "apiVersion: apps.kruise.io/v1alpha1\nkind: AdvancedCronJob\nspec: {paused: true}\n",
       H::kSuspended, "AdvancedCronJob is Paused"},
      {"an unreadable lastScheduleTime is no run",
       "apiVersion: apps.kruise.io/v1alpha1\nkind: AdvancedCronJob\n"
       "status: {lastScheduleTime: yesterday, active: {a: 1}}\n",
       H::kDegraded, "AdvancedCronJobs has not run successfully"},
      {"fractional seconds still parse",
       "apiVersion: apps.kruise.io/v1alpha1\nkind: AdvancedCronJob\n"
       "status: {lastScheduleTime: '2023-09-16T16:29:00.5Z'}\n",
       H::kHealthy, "AdvancedCronJobs has run successfully"},
      {"BroadcastJob without status", "apiVersion: apps.kruise.io/v1alpha1\nkind: BroadcastJob\n",
       H::kProgressing, "BroadcastJob is still running"},
      {"completed but fewer succeeded than desired",
       "apiVersion: apps.kruise.io/v1alpha1\nkind: BroadcastJob\n"
       "status: {phase: completed, desired: 3, succeeded: 2}\n",
       H::kProgressing, "BroadcastJob is still running"},
      {"counts of different types are not equal",
       "apiVersion: apps.kruise.io/v1alpha1\nkind: BroadcastJob\n"
       "status: {phase: completed, desired: '1', succeeded: 1}\n",
       H::kProgressing, "BroadcastJob is still running"},
      {"failed phase without a failed count",
       "apiVersion: apps.kruise.io/v1alpha1\nkind: BroadcastJob\n"
       "status: {phase: failed}\n",
       H::kDegraded, "BroadcastJob failed"},
  });
}

TEST(PlatformHealth, FlinkDeploymentEdgeCases) {
  ExpectVerdicts({
      {"no status", "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\n",
       H::kProgressing, "Waiting for Flink operator"},
      {"reconciliation status is not a map",
       "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\n"
       "status: {reconciliationStatus: ok, jobManagerDeploymentStatus: ERROR}\n",
       H::kProgressing, "Waiting for Flink operator"},
      {"error without a message",
       "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\n"
       "status: {reconciliationStatus: {success: false}, jobManagerDeploymentStatus: ERROR}\n",
       H::kDegraded, ""},
  });
}

TEST(PlatformHealth, KedaEdgeCases) {
  ExpectVerdicts({
      {"ready and paused: the last relevant message",
       "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nstatus:\n  conditions:\n"
       "  - {type: Ready, status: 'True', message: ready}\n"
       "  - {type: Active, status: 'True', message: active}\n"
       "  - {type: Paused, status: 'True', message: paused}\n",
       H::kSuspended, "paused"},
      {"ScaledJob without conditions", "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\n",
       H::kProgressing, "Waiting for ScaledJob"},
      {"fallback outranks ready",
       "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nstatus:\n  conditions:\n"
       "  - {type: Fallback, status: 'True', message: falling back}\n"
       "  - {type: Ready, status: 'True'}\n",
       H::kDegraded, ""},
      {"an undecided Ready only degrades a ScaledJob",
       "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nstatus:\n"
       "  conditions: [{type: Ready, status: Unknown}]\n",
       H::kProgressing, "Creating HorizontalPodAutoscaler Object"},
  });
}

}  // namespace
}  // namespace mlgitops
