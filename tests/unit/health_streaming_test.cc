// Streaming-family health (Strimzi, Numaflow, Numaplane, Knative operator): every Argo CD corpus
// case for these kinds, then edge cases of our own (missing or malformed status, precedence).
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "argocd_corpus.h"
#include "health/health.h"
#include "health_test_util.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::DescribeHealth;

// ---- Argo CD corpus: argocd-health/<group>/<Kind>/health_test.yaml ----

struct StreamingKind {
  const char* group;
  const char* kind;
};
void PrintTo(const StreamingKind& k, std::ostream* out) { *out << k.group << "/" << k.kind; }

class StreamingCorpusTest : public ::testing::TestWithParam<StreamingKind> {};

// Argo CD runs the kind's script alone on each case, so the registered function must match it
// exactly; AssessBuiltin adds gitops-engine's "Pending deletion" rule in front of it (some
// Strimzi cases carry a deletionTimestamp with only the foregroundDeletion finalizer).
TEST_P(StreamingCorpusTest, MatchesEveryArgoCdCase) {
  const StreamingKind& k = GetParam();
  std::vector<testing::HealthTestCase> cases =
      testing::LoadArgoHealthCases(std::string(k.group) + "/" + k.kind);
  ASSERT_FALSE(cases.empty()) << k.group << "/" << k.kind;
  HealthFn check = BuiltinHealth().Find(k.group, k.kind);
  ASSERT_NE(check, nullptr) << k.group << "/" << k.kind << " is not registered";

  size_t status_matches = 0, message_matches = 0;
  for (const testing::HealthTestCase& c : cases) {
    const Object& obj = c.object;
    std::optional<HealthStatus> got = check(obj, HealthContext{});
    ASSERT_TRUE(got.has_value()) << c.input_path;
    EXPECT_EQ(HealthCodeName(got->code), HealthCodeName(c.expected.code)) << c.input_path;
    if (got->code == c.expected.code) ++status_matches;
    if (got->message == c.expected.message) {
      ++message_matches;
    } else {
      std::cout << "  message mismatch " << k.kind << " " << c.input_path << ": got "
                << DescribeHealth(got) << ", want " << DescribeHealth(c.expected) << "\n";
    }

    std::optional<HealthStatus> assessed = AssessBuiltin(obj, HealthContext{});
    ASSERT_TRUE(assessed.has_value()) << c.input_path;
    bool deleting = Find(obj.json(), "metadata.deletionTimestamp") != nullptr;
    HealthStatus want_assessed =
        deleting ? HealthStatus{HealthCode::kProgressing, "Pending deletion"} : *got;
    EXPECT_EQ(DescribeHealth(assessed), DescribeHealth(want_assessed)) << c.input_path;
  }
  std::cout << "  " << k.group << "/" << k.kind << ": status " << status_matches << "/"
            << cases.size() << ", message " << message_matches << "/" << cases.size() << "\n";
  EXPECT_EQ(message_matches, cases.size());
}

INSTANTIATE_TEST_SUITE_P(
    ArgoCdCorpus, StreamingCorpusTest,
    ::testing::Values(StreamingKind{"kafka.strimzi.io", "Kafka"},
                      StreamingKind{"kafka.strimzi.io", "KafkaBridge"},
                      StreamingKind{"kafka.strimzi.io", "KafkaConnect"},
                      StreamingKind{"kafka.strimzi.io", "KafkaConnector"},
                      StreamingKind{"kafka.strimzi.io", "KafkaTopic"},
                      StreamingKind{"kafka.strimzi.io", "KafkaUser"},
                      StreamingKind{"numaflow.numaproj.io", "InterStepBufferService"},
                      StreamingKind{"numaflow.numaproj.io", "MonoVertex"},
                      StreamingKind{"numaflow.numaproj.io", "Pipeline"},
                      StreamingKind{"numaflow.numaproj.io", "Vertex"},
                      StreamingKind{"numaplane.numaproj.io", "ISBServiceRollout"},
                      StreamingKind{"numaplane.numaproj.io", "MonoVertexRollout"},
                      StreamingKind{"numaplane.numaproj.io", "NumaflowControllerRollout"},
                      StreamingKind{"numaplane.numaproj.io", "PipelineRollout"},
                      StreamingKind{"operator.knative.dev", "KnativeEventing"},
                      StreamingKind{"operator.knative.dev", "KnativeServing"}),
    [](const ::testing::TestParamInfo<StreamingKind>& info) {
      return std::string(info.param.kind);
    });

// ---- Edge cases ----

// The health AssessBuiltin gives the single object in `yaml`.
std::string Assess(std::string_view yaml) {
  return DescribeHealth(AssessBuiltin(testing::ParseOne(yaml), HealthContext{}));
}

TEST(StreamingHealthEdgeTest, StrimziWithoutUsableStatusIsWaiting) {
  const char* head = "apiVersion: kafka.strimzi.io/v1beta2\nkind: Kafka\nmetadata: {name: k}\n";
  std::string waiting = "Progressing \"Waiting for Kafka Cluster\"";
  EXPECT_EQ(Assess(head), waiting);
  EXPECT_EQ(Assess(std::string(head) + "status: oops\n"), waiting);
  EXPECT_EQ(Assess(std::string(head) + "status: {conditions: {type: Ready}}\n"), waiting);
  // A boolean is not the string "True" (as in Lua), and junk entries are skipped.
  EXPECT_EQ(Assess(std::string(head) + "status: {conditions: [{type: Ready, status: true}]}\n"),
            waiting);
  EXPECT_EQ(Assess(std::string(head) +
                   "status: {conditions: [junk, 3, {type: Ready, status: 'True'}]}\n"),
            "Healthy \"\"");
}

TEST(StreamingHealthEdgeTest, StrimziFirstDecisiveConditionWins) {
  const char* head = "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaUser\nmetadata: {name: u}\n";
  EXPECT_EQ(Assess(std::string(head) +
                   "status: {conditions: [{type: NotReady, status: 'True', message: boom},"
                   " {type: Ready, status: 'True'}]}\n"),
            "Degraded \"boom\"");
  EXPECT_EQ(Assess(std::string(head) + "status: {conditions: [{type: Ready, status: 'True'},"
                                       " {type: NotReady, status: 'True', message: boom}]}\n"),
            "Healthy \"\"");
}

TEST(StreamingHealthEdgeTest, OnlyKafkaTreatsCreatingAsProgress) {
  const char* status =
      "status: {conditions: [{type: NotReady, status: 'True', reason: Creating, message: wait}]}\n";
  EXPECT_EQ(Assess(std::string("apiVersion: kafka.strimzi.io/v1beta2\nkind: Kafka\n"
                               "metadata: {name: k}\n") +
                   status),
            "Progressing \"Waiting for Kafka Cluster\"");
  EXPECT_EQ(Assess(std::string("apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\n"
                               "metadata: {name: t}\n") +
                   status),
            "Degraded \"wait\"");
}

TEST(StreamingHealthEdgeTest, NumaflowPauseDependsOnKind) {
  const char* tail = "metadata: {name: x, generation: 1}\nstatus: {observedGeneration: 1, phase: ";
  EXPECT_EQ(Assess(std::string("apiVersion: numaflow.numaproj.io/v1alpha1\nkind: Pipeline\n") +
                   tail + "Pausing}\n"),
            "Healthy \"Pipeline is paused\"");
  EXPECT_EQ(Assess(std::string("apiVersion: numaflow.numaproj.io/v1alpha1\nkind: MonoVertex\n") +
                   tail + "Pausing}\n"),
            "Progressing \"Waiting for MonoVertex status\"");
  EXPECT_EQ(Assess(std::string("apiVersion: numaflow.numaproj.io/v1alpha1\n"
                               "kind: InterStepBufferService\n") +
                   tail + "Paused}\n"),
            "Progressing \"Waiting for InterStepBufferService status\"");
}

TEST(StreamingHealthEdgeTest, NumaflowComparesGenerationsLikeLua) {
  const char* head = "apiVersion: numaflow.numaproj.io/v1alpha1\nkind: Vertex\n";
  // Both absent compare equal, so the phase is judged.
  EXPECT_EQ(Assess(std::string(head) + "metadata: {name: v}\nstatus: {phase: Running}\n"),
            "Healthy \"Vertex is healthy\"");
  EXPECT_EQ(Assess(std::string(head) + "metadata: {name: v, generation: 2}\n"
                                       "status: {observedGeneration: '2', phase: Running}\n"),
            "Progressing \"Waiting for Vertex status\"");
  EXPECT_EQ(
      Assess(std::string(head) + "metadata: {name: v, generation: 2}\nstatus: {phase: Running}\n"),
      "Progressing \"Waiting for Vertex status\"");
  // Lua's `==` equates equal booleans too.
  EXPECT_EQ(Assess(std::string(head) + "metadata: {name: v, generation: true}\n"
                                       "status: {observedGeneration: true, phase: Running}\n"),
            "Healthy \"Vertex is healthy\"");
}

TEST(StreamingHealthEdgeTest, NumaflowFailedPhaseAndProgressiveLabel) {
  const char* body =
      "metadata:\n  name: x\n  generation: 1\n"
      "  labels: {numaplane.numaproj.io/progressive-result-state: failed}\n"
      "status: {observedGeneration: 1, phase: ";
  std::string pipeline = "apiVersion: numaflow.numaproj.io/v1alpha1\nkind: Pipeline\n";
  std::string vertex = "apiVersion: numaflow.numaproj.io/v1alpha1\nkind: Vertex\n";
  EXPECT_EQ(Assess(pipeline + body + "Failed, message: crashed}\n"), "Degraded \"crashed\"");
  EXPECT_EQ(Assess(pipeline + body + "Running}\n"), "Degraded \"Failed progressive upgrade\"");
  // A Vertex is never the subject of a progressive upgrade.
  EXPECT_EQ(Assess(vertex + body + "Running}\n"), "Healthy \"Vertex is healthy\"");
}

TEST(StreamingHealthEdgeTest, NumaplaneRolloutWithoutUsableStatus) {
  const char* head =
      "apiVersion: numaplane.numaproj.io/v1alpha1\nkind: PipelineRollout\n"
      "metadata: {name: p, generation: 1}\n";
  EXPECT_EQ(Assess(head), "Progressing \"Not yet reconciled\"");
  EXPECT_EQ(Assess(std::string(head) + "status: [1, 2]\n"), "Progressing \"Not yet reconciled\"");
  EXPECT_EQ(Assess(std::string(head) + "status: {observedGeneration: 1, conditions: 7}\n"),
            "Unknown \"Unknown Pipeline status\"");
}

TEST(StreamingHealthEdgeTest, NumaplaneUpgradeMarkers) {
  const char* head =
      "apiVersion: numaplane.numaproj.io/v1alpha1\nkind: ISBServiceRollout\n"
      "metadata: {name: i, generation: 1}\nstatus:\n  observedGeneration: 1\n  phase: Deployed\n"
      "  conditions: [{type: ChildResourcesHealthy, status: 'True', message: fine}";
  std::string healthy = "Healthy \"Healthy\"";
  EXPECT_EQ(Assess(std::string(head) + "]\n  upgradeInProgress: null\n"), healthy);
  EXPECT_EQ(Assess(std::string(head) + "]\n  upgradeInProgress: ''\n"), healthy);
  EXPECT_EQ(Assess(std::string(head) + "]\n  upgradeInProgress: progressive\n"),
            "Progressing \"Update in progress\"");
  // A failed progressive upgrade is Degraded even though the upgrade is still marked.
  EXPECT_EQ(Assess(std::string(head) + ", {type: ProgressiveUpgradeSucceeded, status: 'False'}]\n"
                                       "  upgradeInProgress: progressive\n"),
            "Degraded \"Progressive upgrade failed\"");
}

TEST(StreamingHealthEdgeTest, NumaplanePausedBeatsHealthyOnlyWherePausable) {
  const char* conditions =
      "metadata: {name: r, generation: 3}\nstatus:\n  observedGeneration: 3\n  phase: Deployed\n"
      "  conditions:\n  - {type: ChildResourcesHealthy, status: 'True'}\n"
      "  - {type: MonoVertexPausingOrPaused, status: 'True', message: MonoVertex paused}\n";
  EXPECT_EQ(Assess(std::string("apiVersion: numaplane.numaproj.io/v1alpha1\n"
                               "kind: MonoVertexRollout\n") +
                   conditions),
            "Healthy \"MonoVertex paused\"");
  EXPECT_EQ(Assess(std::string("apiVersion: numaplane.numaproj.io/v1alpha1\n"
                               "kind: NumaflowControllerRollout\n") +
                   conditions),
            "Healthy \"Healthy\"");
}

TEST(StreamingHealthEdgeTest, KnativeOperatorKindsWeighDifferentConditions) {
  const char* status =
      "status:\n  conditions:\n  - {type: InstallSucceeded, status: 'True'}\n"
      "  - {type: DeploymentsAvailable, status: 'False'}\n  - {type: Ready, status: 'True'}\n";
  EXPECT_EQ(Assess(std::string("apiVersion: operator.knative.dev/v1beta1\nkind: KnativeEventing\n"
                               "metadata: {name: e}\n") +
                   status),
            "Healthy \"KnativeEventing is healthy.\"");
  EXPECT_EQ(Assess(std::string("apiVersion: operator.knative.dev/v1beta1\nkind: KnativeServing\n"
                               "metadata: {name: s}\n") +
                   status),
            "Progressing \"1: InstallSucceeded | True\n2: DeploymentsAvailable | False\n"
            "3: Ready | True\n\"");
}

TEST(StreamingHealthEdgeTest, KnativeOperatorMalformedConditions) {
  std::string head =
      "apiVersion: operator.knative.dev/v1beta1\nkind: KnativeServing\nmetadata: {name: s}\n";
  EXPECT_EQ(Assess(head + "status: {conditions: {a: b}}\n"),
            "Progressing \"Waiting for KnativeServing\"");
  // Entries without type or status still get a line; none of them is an install success.
  EXPECT_EQ(Assess(head + "status: {conditions: [junk, {type: Ready}]}\n"),
            "Degraded \"1:  | \n2: Ready | \n\"");
}

TEST(StreamingHealthEdgeTest, DeletionGoesThroughGitopsEngineRule) {
  std::string head =
      "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\nmetadata:\n  name: t\n"
      "  deletionTimestamp: '2024-01-01T00:00:00Z'\n";
  std::string status = "status: {conditions: [{type: Ready, status: 'True'}]}\n";
  EXPECT_EQ(Assess(head + status), "Progressing \"Pending deletion\"");
  EXPECT_EQ(Assess(head + "  finalizers: [argocd.argoproj.io/hook-finalizer]\n" + status),
            "Healthy \"\"");
}

}  // namespace
}  // namespace mlgitops
