// Built-in health checks for Argo's own kinds: Rollout, AnalysisRun, Experiment, ApplicationSet,
// EventBus. Statuses and messages follow Argo CD's resource customizations for these kinds.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "health/health.h"
#include "health/health_util.h"

namespace mlgitops {
namespace {

using health_util::ArraySize;
using health_util::Conditions;
using health_util::ConditionStatus;
using health_util::Degraded;
using health_util::FindConditionWithStatus;
using health_util::Healthy;
using health_util::IsSet;
using health_util::IsTrue;
using health_util::MemberOr;
using health_util::Progressing;
using health_util::ScalarText;
using health_util::StatusOf;
using health_util::Suspended;
using health_util::Unknown;

// ---- Phase-driven kinds (AnalysisRun, Experiment) ----

struct PhaseOutcome {
  std::string_view phase;
  HealthCode code;
  std::string_view message;
  // Finished analysis runs carry the controller's own explanation in status.message.
  bool status_message_wins;
};

HealthStatus HealthFromPhase(const Object& obj, std::initializer_list<PhaseOutcome> outcomes,
                             std::string_view not_reconciled) {
  const JsonValue* status = StatusOf(obj);
  std::string phase = status ? GetString(*status, "phase") : "";
  // A status without a phase has not been reconciled either.
  if (phase.empty()) return Progressing(std::string(not_reconciled));
  for (const PhaseOutcome& o : outcomes) {
    if (o.phase != phase) continue;
    std::string message(o.message);
    if (o.status_message_wins) message = MemberOr(*status, "message", o.message);
    return HealthStatus{o.code, std::move(message)};
  }
  return Unknown(obj.kind() + " phase \"" + phase + "\" is not recognised");
}

std::optional<HealthStatus> AnalysisRunHealth(const Object& obj, const HealthContext&) {
  return HealthFromPhase(
      obj,
      {
          {"Pending", HealthCode::kProgressing, "Analysis run is running", false},
          {"Running", HealthCode::kProgressing, "Analysis run is running", false},
          {"Successful", HealthCode::kHealthy, "Analysis run completed successfully", true},
          {"Failed", HealthCode::kDegraded, "Analysis run failed", true},
          {"Error", HealthCode::kDegraded, "Analysis run had an error", true},
          {"Inconclusive", HealthCode::kUnknown, "Analysis run was inconclusive", true},
      },
      "Waiting for analysis run to finish: status has not been reconciled.");
}

std::optional<HealthStatus> ExperimentHealth(const Object& obj, const HealthContext&) {
  return HealthFromPhase(
      obj,
      {
          {"Pending", HealthCode::kProgressing, "Experiment is pending", false},
          {"Running", HealthCode::kProgressing, "Experiment is running", false},
          {"Successful", HealthCode::kHealthy, "Experiment is successful", false},
          {"Failed", HealthCode::kDegraded, "Experiment has failed", false},
          {"Error", HealthCode::kDegraded, "Experiment had an error", false},
      },
      "Waiting for experiment to finish: status has not been reconciled.");
}

// ---- Condition-driven kinds (ApplicationSet, EventBus) ----

std::optional<HealthStatus> ApplicationSetHealth(const Object& obj, const HealthContext&) {
  struct Rule {
    std::string_view type;
    std::string_view status;
    HealthCode code;
  };
  // Checked in this order: an error anywhere beats a rollout in progress beats up to date.
  static constexpr Rule kRules[] = {
      {"ErrorOccurred", "True", HealthCode::kDegraded},
      {"ResourcesUpToDate", "False", HealthCode::kDegraded},
      {"RolloutProgressing", "True", HealthCode::kProgressing},
      {"ResourcesUpToDate", "True", HealthCode::kHealthy},
  };
  for (const Rule& rule : kRules) {
    if (const JsonValue* c = FindConditionWithStatus(obj.json(), rule.type, rule.status)) {
      return HealthStatus{rule.code, MemberString(*c, "message")};
    }
  }
  return Progressing("Waiting for the status to be reported");
}

std::optional<HealthStatus> EventBusHealth(const Object& obj, const HealthContext&) {
  for (const JsonValue* c : Conditions(obj.json())) {
    if (MemberString(*c, "type") != "Deployed") continue;
    std::string status = ConditionStatus(*c);
    if (status != "True" && status != "False") continue;
    HealthCode code = status == "True" ? HealthCode::kHealthy : HealthCode::kDegraded;
    return HealthStatus{code, MemberOr(*c, "message", MemberString(*c, "reason"))};
  }
  return Progressing("Waiting for initialization");
}

// ---- Rollout ----

// The controller has seen the current spec. Rollouts before v0.10 stored a pod-template hash in
// observedGeneration (not a number, or a number above the generation): those count as observed.
bool RolloutGenerationObserved(const JsonValue& root) {
  if (!IsSet(root, "status")) return false;
  std::optional<int64_t> observed = GetInt(root, "status.observedGeneration");
  std::optional<int64_t> generation = GetInt(root, "metadata.generation");
  if (!observed || !generation || *observed > *generation) return true;
  return *observed == *generation;
}

// With spec.workloadRef (v1.1+), the referenced Deployment's generation must be observed too.
bool RolloutWorkloadObserved(const JsonValue& root) {
  const JsonValue* annotations = Find(root, "metadata.annotations");
  if (!IsSet(root, "spec.workloadRef") || !annotations || !annotations->IsObject()) return true;
  std::optional<int64_t> wanted;
  auto it = annotations->FindMember("rollout.argoproj.io/workload-generation");
  if (it != annotations->MemberEnd()) wanted = GetInt(it->value, "");
  return wanted == GetInt(root, "status.workloadObservedGeneration");
}

// Argo Rollouts v1.0+ computes its own phase and message; they are reported as they are.
std::optional<HealthStatus> RolloutControllerPhase(const JsonValue& root) {
  std::string phase = GetString(root, "status.phase");
  if (phase.empty()) return std::nullopt;
  std::string message = GetString(root, "status.message");
  if (phase == "Paused") return Suspended(std::move(message));
  if (auto code = ParseHealthCode(phase)) return HealthStatus{*code, std::move(message)};
  return Unknown("Rollout phase \"" + phase + "\" is not recognised");
}

std::optional<HealthStatus> RolloutFailure(const JsonValue& root) {
  for (const JsonValue* c : Conditions(root)) {
    std::string type = MemberString(*c, "type");
    std::string reason = MemberString(*c, "reason");
    bool failed = type == "InvalidSpec" ||
                  (type == "Progressing" &&
                   (reason == "RolloutAborted" || reason == "ProgressDeadlineExceeded"));
    if (failed) return Degraded(MemberString(*c, "message"));
  }
  return std::nullopt;
}

std::optional<HealthStatus> RolloutPause(const JsonValue& root) {
  if (ArraySize(root, "status.pauseConditions") > 0 || IsTrue(root, "spec.paused")) {
    return Suspended("Rollout is paused");
  }
  return std::nullopt;
}

struct RolloutReplicas {
  int64_t desired, current, updated, available;
};

RolloutReplicas ReadRolloutReplicas(const JsonValue& root) {
  return RolloutReplicas{GetInt(root, "spec.replicas").value_or(1),
                         GetInt(root, "status.replicas").value_or(0),
                         GetInt(root, "status.updatedReplicas").value_or(0),
                         GetInt(root, "status.availableReplicas").value_or(0)};
}

std::optional<HealthStatus> RolloutReplicaProgress(const RolloutReplicas& n) {
  if (n.updated < n.desired) {
    return Progressing("Waiting for roll out to finish: More replicas need to be updated");
  }
  if (n.available < n.updated) {
    return Progressing(
        "Waiting for roll out to finish: updated replicas are still becoming available");
  }
  return std::nullopt;
}

// Since v0.8 the stable ReplicaSet hash lives in status.stableRS, before in status.canary.
std::string RolloutStableHash(const JsonValue& root) {
  if (auto hash = ScalarText(root, "status.stableRS")) return *hash;
  return ScalarText(root, "status.canary.stableRS").value_or("");
}

std::optional<HealthStatus> RolloutStrategyProgress(const JsonValue& root,
                                                    const std::string& pod_hash,
                                                    const RolloutReplicas& n) {
  std::string stable = RolloutStableHash(root);
  if (IsSet(root, "spec.strategy.blueGreen")) {
    if (ScalarText(root, "status.blueGreen.activeSelector") != pod_hash) {
      return Progressing("active service cutover pending");
    }
    // v0.7 blue-green rollouts never set a stable hash.
    if (!stable.empty() && stable != pod_hash) {
      return Progressing("waiting for analysis to complete");
    }
  } else if (IsSet(root, "spec.strategy.canary")) {
    if (n.current > n.updated) {
      return Progressing("Waiting for roll out to finish: old replicas are pending termination");
    }
    if (stable.empty() || stable != pod_hash) {
      return Progressing("Waiting for rollout to finish steps");
    }
  }
  return std::nullopt;
}

std::optional<HealthStatus> RolloutHealth(const Object& obj, const HealthContext&) {
  const JsonValue& root = obj.json();
  if (!RolloutGenerationObserved(root) || !RolloutWorkloadObserved(root)) {
    return Progressing("Waiting for rollout spec update to be observed");
  }
  if (auto s = RolloutControllerPhase(root)) return s;
  if (auto s = RolloutFailure(root)) return s;
  if (auto s = RolloutPause(root)) return s;
  std::optional<std::string> pod_hash = ScalarText(root, "status.currentPodHash");
  if (!pod_hash) {
    return Progressing("Waiting for rollout to finish: status has not been reconciled.");
  }
  RolloutReplicas replicas = ReadRolloutReplicas(root);
  if (auto s = RolloutReplicaProgress(replicas)) return s;
  if (auto s = RolloutStrategyProgress(root, *pod_hash, replicas)) return s;
  return Healthy();
}

}  // namespace

void RegisterArgoprojHealth(HealthRegistry& r) {
  r.Add("argoproj.io", "AnalysisRun", AnalysisRunHealth);
  r.Add("argoproj.io", "ApplicationSet", ApplicationSetHealth);
  r.Add("argoproj.io", "EventBus", EventBusHealth);
  r.Add("argoproj.io", "Experiment", ExperimentHealth);
  r.Add("argoproj.io", "Rollout", RolloutHealth);
}

}  // namespace mlgitops
