// Built-in health checks: streaming family (Strimzi Kafka, Numaflow, Numaplane rollouts,
// Knative operator). Each family is one function over a small per-kind spec, following the
// statuses and messages of Argo CD's resource_customizations for these kinds.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "health/health.h"
#include "health/health_util.h"

namespace mlgitops {

namespace {

using health_util::Conditions;
using health_util::Degraded;
using health_util::Healthy;
using health_util::LuaEqual;
using health_util::MapEntries;
using health_util::MemberIs;
using health_util::Progressing;
using health_util::StatusOf;
using health_util::Unknown;

// These scripts compare with Lua's `==`, so a condition matches only when its type and status
// are those very strings (a YAML boolean `true` is not "True", unlike ConditionStatus).
const JsonValue* FindConditionWithStatus(const std::vector<const JsonValue*>& conditions,
                                         std::string_view type, std::string_view status) {
  for (const JsonValue* c : conditions) {
    if (MemberIs(*c, "type", type) && MemberIs(*c, "status", status)) return c;
  }
  return nullptr;
}

// metadata.generation against status.observedGeneration, by Lua's `==` (LuaEqual).
bool GenerationObserved(const Object& obj, const JsonValue& status) {
  return LuaEqual(Find(obj.json(), "metadata.generation"), Find(status, "observedGeneration"));
}

// Binds a family function to one kind's spec so the registry can hold a plain function pointer.
template <auto kAssess, const auto& kSpec>
std::optional<HealthStatus> Check(const Object& obj, const HealthContext&) {
  return kAssess(obj, kSpec);
}

// ---- Strimzi (kafka.strimzi.io) ----
// The operator reports Ready or NotReady; whichever comes first in the list decides.

struct StrimziSpec {
  const char* kind;
  const char* waiting_message;
  // The Kafka cluster reports NotReady/Creating while it first comes up: not a failure.
  bool creating_is_not_failure;
};

HealthStatus StrimziHealth(const Object& obj, const StrimziSpec& spec) {
  for (const JsonValue* c : Conditions(obj.json())) {
    bool is_true = MemberIs(*c, "status", "True");
    if (is_true && MemberIs(*c, "type", "NotReady") &&
        !(spec.creating_is_not_failure && MemberIs(*c, "reason", "Creating"))) {
      return Degraded(MemberString(*c, "message"));
    }
    if (is_true && MemberIs(*c, "type", "Ready")) return Healthy();
  }
  return Progressing(spec.waiting_message);
}

constexpr StrimziSpec kKafka{"Kafka", "Waiting for Kafka Cluster", true};
constexpr StrimziSpec kKafkaBridge{"KafkaBridge", "Waiting for KafkaBridge", false};
constexpr StrimziSpec kKafkaConnect{"KafkaConnect", "Waiting for Kafka Connect", false};
constexpr StrimziSpec kKafkaConnector{"KafkaConnector", "Waiting for KafkaConnector", false};
constexpr StrimziSpec kKafkaTopic{"KafkaTopic", "Waiting for Kafka Topic", false};
constexpr StrimziSpec kKafkaUser{"KafkaUser", "Waiting for Kafka User", false};

// ---- Numaflow (numaflow.numaproj.io) ----
// Judged only once the controller has seen the current generation; until then Progressing.

constexpr const char* kProgressiveResultLabel = "numaplane.numaproj.io/progressive-result-state";

struct NumaflowSpec {
  const char* kind;
  // Numaplane labels a child that lost a progressive upgrade; Vertex is never such a child.
  bool honours_progressive_label;
  // true: a failing condition's own message; false: a generic "Subresources are unhealthy".
  bool reports_condition_message;
  bool can_pause;
  bool pausing_counts_as_paused;
};

std::optional<HealthStatus> NumaflowVerdict(const Object& obj, const NumaflowSpec& spec,
                                            const JsonValue& status) {
  const JsonValue* last_false = nullptr;
  for (const JsonValue* c : MapEntries(status, "conditions")) {
    if (MemberIs(*c, "status", "False")) last_false = c;
  }
  std::string phase = GetString(status, "phase");
  bool lost_progressive =
      spec.honours_progressive_label && obj.label(kProgressiveResultLabel) == "failed";
  if (last_false || phase == "Failed" || lost_progressive) {
    if (phase == "Failed") return Degraded(GetString(status, "message"));
    if (lost_progressive) return Degraded("Failed progressive upgrade");
    return Degraded(spec.reports_condition_message ? MemberString(*last_false, "message")
                                                   : "Subresources are unhealthy");
  }
  bool paused = phase == "Paused" || (spec.pausing_counts_as_paused && phase == "Pausing");
  if (spec.can_pause && paused) {
    return Healthy(std::string(spec.kind) + " is paused");
  }
  if (phase == "Running") {
    return Healthy(std::string(spec.kind) + " is healthy");
  }
  return std::nullopt;
}

HealthStatus NumaflowHealth(const Object& obj, const NumaflowSpec& spec) {
  const JsonValue* status = StatusOf(obj);
  if (status && GenerationObserved(obj, *status)) {
    if (auto verdict = NumaflowVerdict(obj, spec, *status)) return *verdict;
  }
  return Progressing("Waiting for " + std::string(spec.kind) + " status");
}

// Fields: kind, honours_progressive_label, reports_condition_message, can_pause,
// pausing_counts_as_paused.
constexpr NumaflowSpec kInterStepBufferService{"InterStepBufferService", true, true, false, false};
constexpr NumaflowSpec kMonoVertex{"MonoVertex", true, false, true, false};
constexpr NumaflowSpec kPipeline{"Pipeline", true, false, true, true};
constexpr NumaflowSpec kVertex{"Vertex", false, true, true, false};

// ---- Numaplane rollouts (numaplane.numaproj.io) ----
// Checked in order: still progressing, degraded, paused, healthy; anything else is Unknown.

constexpr std::string_view kChildHealthy = "ChildResourcesHealthy";
constexpr std::string_view kProgressiveSucceeded = "ProgressiveUpgradeSucceeded";

struct RolloutSpec {
  const char* kind;
  // The ChildResourcesHealthy reason that means the child itself failed.
  const char* child_failed_reason;
  // The condition that reports a requested pause; nullptr when the child cannot pause.
  const char* paused_condition;
  const char* unknown_message;
};

bool UpgradeRequested(const JsonValue& status) {
  const JsonValue* upgrade = Find(status, "upgradeInProgress");
  bool in_progress =
      upgrade && !upgrade->IsNull() && !(upgrade->IsString() && upgrade->GetStringLength() == 0);
  return in_progress || GetString(status, "phase") == "Pending";
}

std::optional<HealthStatus> RolloutProgress(const Object& obj, const JsonValue* status,
                                            const std::vector<const JsonValue*>& conditions) {
  if (!status || !GenerationObserved(obj, *status)) {
    return Progressing("Not yet reconciled");
  }
  // A failed progressive upgrade stays "in progress" on the rollout; Degraded must win.
  bool upgrade_failed =
      FindConditionWithStatus(conditions, kProgressiveSucceeded, "False") != nullptr;
  if (UpgradeRequested(*status) && !upgrade_failed) {
    return Progressing("Update in progress");
  }
  for (const JsonValue* c : conditions) {
    if (MemberIs(*c, "type", kChildHealthy) && MemberIs(*c, "status", "False") &&
        MemberIs(*c, "reason", "Progressing")) {
      return Progressing("Child Progressing");
    }
  }
  return std::nullopt;
}

std::optional<HealthStatus> RolloutFailure(const JsonValue& status, const RolloutSpec& spec,
                                           const std::vector<const JsonValue*>& conditions) {
  if (GetString(status, "phase") == "Failed") {
    return Degraded(GetString(status, "message"));
  }
  for (const JsonValue* c : conditions) {
    if (!MemberIs(*c, "status", "False")) continue;
    if (MemberIs(*c, "type", kChildHealthy) && MemberIs(*c, "reason", spec.child_failed_reason)) {
      return Degraded(MemberString(*c, "message"));
    }
    if (MemberIs(*c, "type", kProgressiveSucceeded)) {
      return Degraded("Progressive upgrade failed");
    }
  }
  return std::nullopt;
}

HealthStatus RolloutHealth(const Object& obj, const RolloutSpec& spec) {
  const JsonValue* status = StatusOf(obj);
  std::vector<const JsonValue*> conditions = Conditions(obj.json());
  // RolloutProgress answers whenever status is missing, so status is set below.
  if (auto progress = RolloutProgress(obj, status, conditions)) return *progress;
  if (auto failure = RolloutFailure(*status, spec, conditions)) return *failure;
  if (spec.paused_condition) {
    if (const JsonValue* p = FindConditionWithStatus(conditions, spec.paused_condition, "True")) {
      return Healthy(MemberString(*p, "message"));
    }
  }
  if (FindConditionWithStatus(conditions, kChildHealthy, "True")) {
    return Healthy("Healthy");
  }
  return Unknown(spec.unknown_message);
}

constexpr RolloutSpec kISBServiceRollout{"ISBServiceRollout", "ISBSvcFailed", nullptr,
                                         "Unknown status"};
constexpr RolloutSpec kMonoVertexRollout{"MonoVertexRollout", "MonoVertexFailed",
                                         "MonoVertexPausingOrPaused", "Unknown MonoVertex status"};
constexpr RolloutSpec kNumaflowControllerRollout{"NumaflowControllerRollout", "Degraded", nullptr,
                                                 "Unknown NumaflowController status"};
constexpr RolloutSpec kPipelineRollout{"PipelineRollout", "PipelineFailed",
                                       "PipelinePausingOrPaused", "Unknown Pipeline status"};

// ---- Knative operator (operator.knative.dev) ----
// Healthy only when every install condition is True; any Unknown (or a blocking False) means
// still installing; any other mix is Degraded. Non-healthy messages list every condition.

class NameSet {
 public:
  template <size_t N>
  constexpr NameSet(const std::string_view (&names)[N]) : names_(names), size_(N) {}  // NOLINT
  bool Contains(std::string_view name) const {
    return std::find(names_, names_ + size_, name) != names_ + size_;
  }
  size_t size() const { return size_; }

 private:
  const std::string_view* names_;
  size_t size_;
};

struct KnativeOperatorSpec {
  const char* kind;
  NameSet installed;  // each must be True for Healthy
  NameSet blocking;   // False here means "still installing", not failed
};

HealthStatus KnativeOperatorHealth(const Object& obj, const KnativeOperatorSpec& spec) {
  const JsonValue* list = Find(obj.json(), "status.conditions");
  if (!list || !list->IsArray()) {
    return Progressing("Waiting for " + std::string(spec.kind));
  }
  size_t installed = 0, installing = 0, index = 0;
  std::string listing;
  for (const auto& c : list->GetArray()) {
    std::string type = MemberString(c, "type"), state = MemberString(c, "status");
    listing += std::to_string(++index) + ": " + type + " | " + state + "\n";
    if (state == "True" && spec.installed.Contains(type)) {
      ++installed;
    } else if ((state == "False" && spec.blocking.Contains(type)) || state == "Unknown") {
      ++installing;
    }
  }
  if (installing > 0) return Progressing(listing);
  if (installed == spec.installed.size()) {
    return Healthy(std::string(spec.kind) + " is healthy.");
  }
  return Degraded(listing);
}

constexpr std::string_view kEventingInstalled[] = {"Ready", "InstallSucceeded"};
constexpr std::string_view kEventingBlocking[] = {"Ready"};
constexpr std::string_view kServingInstalled[] = {"Ready", "InstallSucceeded",
                                                  "DependenciesInstalled", "DeploymentsAvailable"};
constexpr std::string_view kServingBlocking[] = {"Ready", "DeploymentsAvailable"};

constexpr KnativeOperatorSpec kKnativeEventing{"KnativeEventing", kEventingInstalled,
                                               kEventingBlocking};
constexpr KnativeOperatorSpec kKnativeServing{"KnativeServing", kServingInstalled,
                                              kServingBlocking};

}  // namespace

void RegisterStreamingHealth(HealthRegistry& r) {
  constexpr const char* kStrimzi = "kafka.strimzi.io";
  r.Add(kStrimzi, kKafka.kind, Check<StrimziHealth, kKafka>);
  r.Add(kStrimzi, kKafkaBridge.kind, Check<StrimziHealth, kKafkaBridge>);
  r.Add(kStrimzi, kKafkaConnect.kind, Check<StrimziHealth, kKafkaConnect>);
  r.Add(kStrimzi, kKafkaConnector.kind, Check<StrimziHealth, kKafkaConnector>);
  r.Add(kStrimzi, kKafkaTopic.kind, Check<StrimziHealth, kKafkaTopic>);
  r.Add(kStrimzi, kKafkaUser.kind, Check<StrimziHealth, kKafkaUser>);

  constexpr const char* kNumaflow = "numaflow.numaproj.io";
  r.Add(kNumaflow, kInterStepBufferService.kind, Check<NumaflowHealth, kInterStepBufferService>);
  r.Add(kNumaflow, kMonoVertex.kind, Check<NumaflowHealth, kMonoVertex>);
  r.Add(kNumaflow, kPipeline.kind, Check<NumaflowHealth, kPipeline>);
  r.Add(kNumaflow, kVertex.kind, Check<NumaflowHealth, kVertex>);

  constexpr const char* kNumaplane = "numaplane.numaproj.io";
  r.Add(kNumaplane, kISBServiceRollout.kind, Check<RolloutHealth, kISBServiceRollout>);
  r.Add(kNumaplane, kMonoVertexRollout.kind, Check<RolloutHealth, kMonoVertexRollout>);
  r.Add(kNumaplane, kNumaflowControllerRollout.kind,
        Check<RolloutHealth, kNumaflowControllerRollout>);
  r.Add(kNumaplane, kPipelineRollout.kind, Check<RolloutHealth, kPipelineRollout>);

  constexpr const char* kKnativeOperator = "operator.knative.dev";
  r.Add(kKnativeOperator, kKnativeEventing.kind, Check<KnativeOperatorHealth, kKnativeEventing>);
  r.Add(kKnativeOperator, kKnativeServing.kind, Check<KnativeOperatorHealth, kKnativeServing>);
}

}  // namespace mlgitops
