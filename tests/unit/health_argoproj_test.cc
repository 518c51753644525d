// Tests of the argoproj health checks: Argo CD's corpus cases, then edge cases of our own.
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

// No case of these kinds has a deletionTimestamp, so the entry point never preempts a message.
INSTANTIATE_TEST_SUITE_P(
    Argoproj, ArgoKindCorpus,
    ::testing::Values(ArgoKindExpectation{"argoproj.io/AnalysisRun", 11, 11, 11},
                      ArgoKindExpectation{"argoproj.io/ApplicationSet", 5, 5, 5},
                      ArgoKindExpectation{"argoproj.io/EventBus", 2, 2, 2},
                      ArgoKindExpectation{"argoproj.io/Experiment", 6, 6, 6},
                      ArgoKindExpectation{"argoproj.io/Rollout", 24, 24, 24}),
    testing::ArgoKindTestName);

TEST(ArgoprojHealth, AnalysisRunEdgeCases) {
  ExpectVerdicts({
      {"status without a phase is not reconciled yet",
       "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisRun\nstatus: {startedAt: x}\n",
       H::kProgressing, "Waiting for analysis run to finish: status has not been reconciled."},
      {"a phase we do not know",
       "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisRun\nstatus: {phase: Exploded}\n",
       H::kUnknown, "AnalysisRun phase \"Exploded\" is not recognised"},
      {"an empty controller message still wins",
       "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisRun\n"
       "status: {phase: Failed, message: ''}\n",
       H::kDegraded, ""},
      {"malformed status", "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisRun\nstatus: broken\n",
       H::kProgressing, "Waiting for analysis run to finish: status has not been reconciled."},
  });
}

TEST(ArgoprojHealth, ExperimentEdgeCases) {
  ExpectVerdicts({
      {"status is a list", "apiVersion: argoproj.io/v1alpha1\nkind: Experiment\nstatus: [1]\n",
       H::kProgressing, "Waiting for experiment to finish: status has not been reconciled."},
      {"phase is not a string",
       "apiVersion: argoproj.io/v1alpha1\nkind: Experiment\nstatus: {phase: 3}\n", H::kProgressing,
       "Waiting for experiment to finish: status has not been reconciled."},
      {"the controller's message is not used",
       "apiVersion: argoproj.io/v1alpha1\nkind: Experiment\n"
       "status: {phase: Failed, message: boom}\n",
       H::kDegraded, "Experiment has failed"},
      {"a phase we do not know",
       "apiVersion: argoproj.io/v1alpha1\nkind: Experiment\nstatus: {phase: Inconclusive}\n",
       H::kUnknown, "Experiment phase \"Inconclusive\" is not recognised"},
  });
}

TEST(ArgoprojHealth, ApplicationSetEdgeCases) {
  ExpectVerdicts({
      {"conditions not a list",
       "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nstatus: {conditions: x}\n",
       H::kProgressing, "Waiting for the status to be reported"},
      {"an error outranks an earlier up-to-date condition",
       "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nstatus:\n  conditions:\n"
       "  - {type: ResourcesUpToDate, status: 'True', message: fine}\n"
       "  - 7\n"
       "  - {type: ErrorOccurred, status: 'True', message: bad template}\n",
       H::kDegraded, "bad template"},
      {"a rollout outranks up to date; no message reads empty",
       "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nstatus:\n  conditions:\n"
       "  - {type: ResourcesUpToDate, status: 'True', message: fine}\n"
       "  - {type: RolloutProgressing, status: 'True'}\n",
       H::kProgressing, ""},
  });
}

TEST(ArgoprojHealth, EventBusEdgeCases) {
  ExpectVerdicts({
      {"no message falls back to the reason",
       "apiVersion: argoproj.io/v1alpha1\nkind: EventBus\nstatus:\n  conditions:\n"
       "  - {type: Deployed, status: 'True', reason: Ready}\n",
       H::kHealthy, "Ready"},
      {"an undecided condition keeps waiting",
       "apiVersion: argoproj.io/v1alpha1\nkind: EventBus\nstatus:\n  conditions:\n"
       "  - {type: Deployed, status: Unknown, message: hmm}\n",
       H::kProgressing, "Waiting for initialization"},
      {"unquoted YAML boolean status",
       "apiVersion: argoproj.io/v1alpha1\nkind: EventBus\nstatus:\n  conditions:\n"
       "  - {type: Deployed, status: False, message: no stream}\n",
       H::kDegraded, "no stream"},
  });
}

// A Rollout whose spec generation 2 is observed, with `extra` spliced into its status.
std::string Rollout(const std::string& strategy, const std::string& extra) {
  return "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {generation: 2}\n"
         "spec: {replicas: 2, strategy: " +
         strategy + "}\nstatus:\n  observedGeneration: '2'\n" + extra;
}

const std::string kCounts = "  replicas: 2\n  updatedReplicas: 2\n  availableReplicas: 2\n";

TEST(ArgoprojHealth, RolloutEdgeCases) {
  const std::string not_reconciled = Rollout("{canary: {}}", "  conditions: 3\n");
  const std::string bad_counts = Rollout("{canary: {}}",
                                         "  currentPodHash: abc\n  stableRS: abc\n"
                                         "  replicas: lots\n  updatedReplicas: [2]\n");
  const std::string no_strategy =
      "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n"
      "metadata: {generation: 1}\nspec: {}\n"
      "status: {observedGeneration: 1, currentPodHash: a, "
      "updatedReplicas: 1, availableReplicas: 1}\n";
  const std::string cutover =
      Rollout("{blueGreen: {}}", kCounts + "  currentPodHash: new\n  blueGreen: {}\n");
  const std::string analysis = Rollout(
      "{blueGreen: {}}",
      kCounts + "  currentPodHash: new\n  stableRS: old\n  blueGreen: {activeSelector: new}\n");
  const std::string steps =
      Rollout("{canary: {}}", kCounts + "  currentPodHash: new\n  stableRS: old\n");
  const std::string numeric_hash =
      Rollout("{blueGreen: {}}",
              kCounts + "  currentPodHash: 5678\n  blueGreen: {activeSelector: '5678'}\n");
  const std::string unknown_phase = Rollout("{canary: {}}", "  phase: Exploding\n");
  const std::string paused_phase =
      Rollout("{canary: {}}", "  phase: Paused\n  message: BlueGreenPause\n");
  const std::string workload =
      "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  generation: 1\n"
      "  annotations: {rollout.argoproj.io/workload-generation: '4'}\n"
      "spec: {workloadRef: {kind: Deployment, name: d}}\n"
      "status: {observedGeneration: 1, phase: Healthy}\n";
  const std::string ahead =
      "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n"
      "metadata: {generation: 1}\nspec: {strategy: {canary: {}}}\n"
      "status: {observedGeneration: '99', phase: Progressing, "
      "message: more replicas need to be updated}\n";
  ExpectVerdicts({
      {"conditions not a list, no pod hash", not_reconciled.c_str(), H::kProgressing,
       "Waiting for rollout to finish: status has not been reconciled."},
      {"garbage replica counts fall back to defaults", bad_counts.c_str(), H::kProgressing,
       "Waiting for roll out to finish: More replicas need to be updated"},
      {"no strategy at all", no_strategy.c_str(), H::kHealthy, ""},
      {"blue-green before cutover", cutover.c_str(), H::kProgressing,
       "active service cutover pending"},
      {"blue-green waiting on analysis", analysis.c_str(), H::kProgressing,
       "waiting for analysis to complete"},
      {"canary before the last step", steps.c_str(), H::kProgressing,
       "Waiting for rollout to finish steps"},
      {"an all-digit hash written unquoted", numeric_hash.c_str(), H::kHealthy, ""},
      {"a phase we do not know", unknown_phase.c_str(), H::kUnknown,
       "Rollout phase \"Exploding\" is not recognised"},
      {"controller phase Paused", paused_phase.c_str(), H::kSuspended, "BlueGreenPause"},
      {"workload generation not observed yet", workload.c_str(), H::kProgressing,
       "Waiting for rollout spec update to be observed"},
      {"observedGeneration above generation is a legacy hash", ahead.c_str(), H::kProgressing,
       "more replicas need to be updated"},
  });
}

}  // namespace
}  // namespace mlgitops
