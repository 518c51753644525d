// Built-in health checks for core Kubernetes kinds, with gitops-engine's verdicts and messages.
// Workload kinds also apply the model-serving readiness rule when the context's role says so.
#include <string>

#include "health/health.h"
#include "health/health_util.h"

namespace mlgitops {

namespace {
using health_util::Conditions;
using health_util::ConditionStatus;
using health_util::ConditionText;
using health_util::Degraded;
using health_util::HasEntries;
using health_util::Healthy;
using health_util::IntOr;
using health_util::MapEntries;
using health_util::Progressing;
using health_util::Quoted;
using health_util::Suspended;
using health_util::TrueCondition;
using health_util::Unknown;

constexpr const char* kModelServingRole = "model-serving";
constexpr const char* kIgnoreRestartPolicy = "argocd.argoproj.io/ignore-restart-policy";

std::string Num(int64_t n) { return std::to_string(n); }

// A model server that is "rolled out" may still be loading weights: it only serves once every
// replica passes its readiness probe, so Healthy additionally needs ready == desired.
HealthStatus WithModelServingReadiness(HealthStatus status, const Object& obj,
                                       const HealthContext& ctx) {
  if (ctx.role != kModelServingRole || status.code != HealthCode::kHealthy) return status;
  const JsonValue& v = obj.json();
  int64_t desired = IntOr(v, "spec.replicas", 1);
  int64_t ready = IntOr(v, "status.readyReplicas");
  if (ready == desired) return status;
  return Progressing(Num(ready) + "/" + Num(desired) + " replicas pass readiness");
}

// gitops-engine's first rule for Deployments, DaemonSets and ReplicaSets: until the controller
// has seen the current generation, the rest of the status describes an older spec.
std::optional<HealthStatus> GenerationNotObserved(const JsonValue& v, const char* what) {
  if (IntOr(v, "metadata.generation") <= IntOr(v, "status.observedGeneration")) {
    return std::nullopt;
  }
  return Progressing(std::string("Waiting for rollout to finish: observed ") + what +
                     " generation less than desired generation");
}

HealthStatus DeploymentRollout(const Object& obj) {
  const JsonValue& v = obj.json();
  if (GetBool(v, "spec.paused").value_or(false)) {
    return Suspended("Deployment is paused");
  }
  if (auto waiting = GenerationNotObserved(v, "deployment")) return *waiting;
  const JsonValue* progressing = FindCondition(v, "Progressing");
  if (progressing && MemberString(*progressing, "reason") == "ProgressDeadlineExceeded") {
    return Degraded("Deployment " + Quoted(obj.name()) + " exceeded its progress deadline");
  }
  int64_t updated = IntOr(v, "status.updatedReplicas");
  auto desired = GetInt(v, "spec.replicas");
  if (desired && updated < *desired) {
    return Progressing("Waiting for rollout to finish: " + Num(updated) + " out of " +
                       Num(*desired) + " new replicas have been updated...");
  }
  int64_t current = IntOr(v, "status.replicas");
  if (current > updated) {
    return Progressing("Waiting for rollout to finish: " + Num(current - updated) +
                       " old replicas are pending termination...");
  }
  int64_t available = IntOr(v, "status.availableReplicas");
  if (available < updated) {
    return Progressing("Waiting for rollout to finish: " + Num(available) + " of " + Num(updated) +
                       " updated replicas are available...");
  }
  return Healthy();
}

std::optional<HealthStatus> DeploymentHealth(const Object& obj, const HealthContext& ctx) {
  return WithModelServingReadiness(DeploymentRollout(obj), obj, ctx);
}

HealthStatus StatefulSetRollout(const Object& obj) {
  const JsonValue& v = obj.json();
  int64_t observed = IntOr(v, "status.observedGeneration");
  if (observed == 0 || IntOr(v, "metadata.generation") > observed) {
    return Progressing("Waiting for statefulset spec update to be observed...");
  }
  auto desired = GetInt(v, "spec.replicas");
  int64_t ready = IntOr(v, "status.readyReplicas");
  if (desired && ready < *desired) {
    return Progressing("Waiting for " + Num(*desired - ready) + " pods to be ready...");
  }
  std::string strategy = GetString(v, "spec.updateStrategy.type");
  int64_t updated = IntOr(v, "status.updatedReplicas");
  const JsonValue* rolling = Find(v, "spec.updateStrategy.rollingUpdate");
  if (strategy == "RollingUpdate" && rolling && !rolling->IsNull()) {
    auto partition = GetInt(*rolling, "partition");
    if (desired && partition && updated < *desired - *partition) {
      return Progressing("Waiting for partitioned roll out to finish: " + Num(updated) +
                         " out of " + Num(*desired - *partition) +
                         " new pods have been updated...");
    }
    return Healthy("partitioned roll out complete: " + Num(updated) +
                   " new pods have been updated...");
  }
  if (strategy == "OnDelete") return Healthy("statefulset has " + Num(ready) + " ready pods");
  std::string update_revision = GetString(v, "status.updateRevision");
  std::string current_revision = GetString(v, "status.currentRevision");
  if (update_revision != current_revision) {
    return Progressing("waiting for statefulset rolling update to complete " + Num(updated) +
                       " pods at revision " + update_revision + "...");
  }
  return Healthy("statefulset rolling update complete " + Num(IntOr(v, "status.currentReplicas")) +
                 " pods at revision " + current_revision + "...");
}

std::optional<HealthStatus> StatefulSetHealth(const Object& obj, const HealthContext& ctx) {
  return WithModelServingReadiness(StatefulSetRollout(obj), obj, ctx);
}

std::optional<HealthStatus> DaemonSetHealth(const Object& obj, const HealthContext&) {
  const JsonValue& v = obj.json();
  if (auto waiting = GenerationNotObserved(v, "daemon set")) return *waiting;
  int64_t updated = IntOr(v, "status.updatedNumberScheduled");
  int64_t desired = IntOr(v, "status.desiredNumberScheduled");
  if (GetString(v, "spec.updateStrategy.type") == "OnDelete") {
    return Healthy("daemon set " + Num(updated) + " out of " + Num(desired) +
                   " new pods have been updated");
  }
  std::string prefix = "Waiting for daemon set " + Quoted(obj.name()) + " rollout to finish: ";
  if (updated < desired) {
    return Progressing(prefix + Num(updated) + " out of " + Num(desired) +
                       " new pods have been updated...");
  }
  int64_t available = IntOr(v, "status.numberAvailable");
  if (available < desired) {
    return Progressing(prefix + Num(available) + " of " + Num(desired) +
                       " updated pods are available...");
  }
  return Healthy();
}

std::optional<HealthStatus> ReplicaSetHealth(const Object& obj, const HealthContext&) {
  const JsonValue& v = obj.json();
  if (auto waiting = GenerationNotObserved(v, "replica set")) return *waiting;
  if (const JsonValue* failure = TrueCondition(v, "ReplicaFailure")) {
    return Degraded(MemberString(*failure, "message"));
  }
  auto desired = GetInt(v, "spec.replicas");
  int64_t available = IntOr(v, "status.availableReplicas");
  if (desired && available < *desired) {
    return Progressing("Waiting for rollout to finish: " + Num(available) + " out of " +
                       Num(*desired) + " new replicas are available...");
  }
  return Healthy();
}

// ---- Pod ----

bool IsErrorWaitingReason(std::string_view reason) {
  auto ends_with = [&](std::string_view suffix) {
    return reason.size() >= suffix.size() &&
           reason.compare(reason.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return reason.rfind("Err", 0) == 0 || ends_with("Error") || ends_with("BackOff");
}

// Waiting containers that will not recover by themselves, joined as gitops-engine does.
std::optional<HealthStatus> StuckContainers(const JsonValue& pod) {
  bool stuck = false;
  std::string messages;
  for (const JsonValue* c : MapEntries(pod, "status.containerStatuses")) {
    if (!IsErrorWaitingReason(GetString(*c, "state.waiting.reason"))) continue;
    if (stuck) messages += ", ";
    messages += GetString(*c, "state.waiting.message");
    stuck = true;
  }
  if (!stuck) return std::nullopt;
  return Degraded(messages);
}

std::string TerminatedMessage(const JsonValue& container) {
  const JsonValue* t = Find(container, "state.terminated");
  if (!t) return "";
  std::string message = MemberString(*t, "message");
  if (!message.empty()) return message;
  if (MemberString(*t, "reason") == "OOMKilled") return "OOMKilled";
  int64_t code = IntOr(*t, "exitCode");
  if (code != 0) {
    return "container " + Quoted(MemberString(container, "name")) + " failed with exit code " +
           Num(code);
  }
  return "";
}

HealthStatus FailedPod(const JsonValue& pod, const std::string& pod_message) {
  if (!pod_message.empty()) return Degraded(pod_message);
  for (const char* list : {"status.initContainerStatuses", "status.containerStatuses"}) {
    for (const JsonValue* c : MapEntries(pod, list)) {
      std::string message = TerminatedMessage(*c);
      if (!message.empty()) return Degraded(message);
    }
  }
  return Degraded("");
}

HealthStatus RunningPodReadiness(const JsonValue& pod, const std::string& pod_message) {
  if (TrueCondition(pod, "Ready")) return Healthy(pod_message);
  for (const JsonValue* c : MapEntries(pod, "status.containerStatuses")) {
    if (Find(*c, "lastState.terminated")) return Degraded(pod_message);
  }
  return Progressing(pod_message);
}

std::optional<HealthStatus> PodHealth(const Object& obj, const HealthContext&) {
  const JsonValue& v = obj.json();
  // Kubernetes defaults restartPolicy to Always; manifests often leave it out.
  std::string restart = GetString(v, "spec.restartPolicy", "Always");
  // Never/OnFailure pods are usually hooks: failing them early on a retryable error would end
  // a sync hook before it had its chance, unless the user opted in with the annotation.
  bool judge_as_service = restart == "Always" || obj.annotation(kIgnoreRestartPolicy);
  if (judge_as_service) {
    if (auto stuck = StuckContainers(v)) return stuck;
  }
  std::string phase = GetString(v, "status.phase");
  std::string message = GetString(v, "status.message");
  if (phase == "Pending") return Progressing(message);
  if (phase == "Succeeded") return Healthy(message);
  if (phase == "Failed") return FailedPod(v, message);
  if (phase == "Running") {
    if (judge_as_service) return RunningPodReadiness(v, message);
    if (restart == "OnFailure" || restart == "Never") return Progressing(message);
  }
  return Unknown(message);
}

// ---- Service, Ingress, PVC ----

std::optional<HealthStatus> ServiceHealth(const Object& obj, const HealthContext&) {
  const JsonValue& v = obj.json();
  if (GetString(v, "spec.type") != "LoadBalancer") return Healthy();
  if (HasEntries(v, "status.loadBalancer.ingress")) return Healthy();
  return Progressing("");
}

std::optional<HealthStatus> IngressHealth(const Object& obj, const HealthContext&) {
  if (HasEntries(obj.json(), "status.loadBalancer.ingress")) return Healthy();
  return Progressing("");
}

std::optional<HealthStatus> PersistentVolumeClaimHealth(const Object& obj, const HealthContext&) {
  std::string phase = GetString(obj.json(), "status.phase");
  if (phase == "Bound") return Healthy();
  if (phase == "Lost") return Degraded("");
  if (phase == "Pending") {
    // A claim with no provisioner assigned is waiting for its first consumer
    // (WaitForFirstConsumer): calling it Progressing would deadlock a sync wave that holds
    // the claim ahead of the Pod that would bind it.
    if (obj.annotation("volume.beta.kubernetes.io/storage-provisioner") ||
        obj.annotation("volume.kubernetes.io/storage-provisioner")) {
      return Progressing("Provisioning volume");
    }
    return Healthy("Waiting for consumer");
  }
  return Unknown("");
}

// ---- Job ----

HealthStatus JobConditions(const JsonValue& v) {
  const JsonValue* failed = nullptr;
  const JsonValue* complete = nullptr;
  const JsonValue* suspended = nullptr;
  const JsonValue* failure_target = nullptr;
  for (const JsonValue* c : Conditions(v)) {
    std::string type = MemberString(*c, "type");
    if (type == "Failed") failed = c;
    if (type == "Complete") complete = c;
    if (type == "Suspended") suspended = c;
    if (type == "FailureTarget" && ConditionStatus(*c) == "True") failure_target = c;
  }
  // As gitops-engine: the presence of a terminal condition counts, whatever its status.
  if (failed) return Degraded(MemberString(*failed, "message"));
  // FailureTarget: the Job has already decided to fail and is only terminating its Pods.
  if (failure_target) return Degraded(ConditionText(*failure_target));
  if (suspended && ConditionStatus(*suspended) == "True") {
    return Suspended(MemberString(*suspended, "message"));
  }
  if (complete) return Healthy(MemberString(*complete, "message"));
  // Unlike gitops-engine, a resumed Job (Suspended=False) is running again, not finished.
  return Progressing("");
}

// batch/Job is both a core kind and the simplest training job: a running Job whose Pods
// crash-loop or cannot pull their image is Degraded without waiting for the back-off limit.
std::optional<HealthStatus> JobHealth(const Object& obj, const HealthContext& ctx) {
  return health_util::WithChildPodFailures(JobConditions(obj.json()), ctx,
                                           /*finished_is_healthy=*/true);
}

// ---- HorizontalPodAutoscaler ----

struct HpaCondition {
  std::string type, status, reason, message;
};

bool IsHpaFailure(const HpaCondition& c) {
  if (c.type == "AbleToScale")
    return c.reason == "FailedGetScale" || c.reason == "FailedUpdateScale";
  if (c.type == "ScalingActive") {
    return c.reason == "FailedGetResourceMetric" || c.reason == "FailedGetObjectMetric" ||
           c.reason == "InvalidSelector";
  }
  return false;
}

bool IsHpaHealthy(const HpaCondition& c) {
  return c.status == "True" && (c.type == "AbleToScale" || c.type == "ScalingLimited");
}

HpaCondition ReadHpaCondition(const JsonValue& c) {
  return {MemberString(c, "type"), ConditionStatus(c), MemberString(c, "reason"),
          MemberString(c, "message")};
}

// autoscaling/v1 keeps its conditions as JSON text in an annotation.
std::optional<HealthStatus> HpaConditionsArray(const Object& obj, const JsonValue** out,
                                               rapidjson::Document* holder) {
  if (obj.version() != "v1") {
    *out = Find(obj.json(), "status.conditions");
    return std::nullopt;
  }
  auto text = obj.annotation("autoscaling.alpha.kubernetes.io/conditions");
  if (!text) {
    *out = nullptr;
    return std::nullopt;
  }
  holder->Parse(text->c_str());
  if (holder->HasParseError() || !holder->IsArray()) {
    return Unknown("failed to convert conditions annotation to typed: not a JSON list");
  }
  *out = holder;
  return std::nullopt;
}

std::optional<HealthStatus> HorizontalPodAutoscalerHealth(const Object& obj, const HealthContext&) {
  const HealthStatus waiting = Progressing("Waiting to Autoscale");
  const JsonValue* conditions = nullptr;
  rapidjson::Document holder;
  if (auto error = HpaConditionsArray(obj, &conditions, &holder)) return error;
  if (!conditions || !conditions->IsArray()) return waiting;
  // The first decisive condition wins, in the order the controller wrote them.
  for (const auto& raw : conditions->GetArray()) {
    HpaCondition c = ReadHpaCondition(raw);
    if (IsHpaFailure(c)) return Degraded(c.message);
    if (IsHpaHealthy(c)) return Healthy(c.message);
  }
  return waiting;
}

// ---- APIService, Argo Workflow ----

std::optional<HealthStatus> ApiServiceHealth(const Object& obj, const HealthContext&) {
  const JsonValue* available = FindCondition(obj.json(), "Available");
  if (!available) return Progressing("Waiting to be processed");
  std::string message =
      MemberString(*available, "reason") + ": " + MemberString(*available, "message");
  if (ConditionStatus(*available) == "True") return Healthy(message);
  return Progressing(message);
}

std::optional<HealthStatus> WorkflowHealth(const Object& obj, const HealthContext&) {
  std::string phase = GetString(obj.json(), "status.phase");
  std::string message = GetString(obj.json(), "status.message");
  if (phase.empty() || phase == "Pending" || phase == "Running") return Progressing(message);
  if (phase == "Succeeded") return Healthy(message);
  if (phase == "Failed" || phase == "Error") return Degraded(message);
  return Unknown(message);
}

}  // namespace

void RegisterCoreHealth(HealthRegistry& r) {
  r.Add("apps", "Deployment", DeploymentHealth);
  r.Add("apps", "StatefulSet", StatefulSetHealth);
  r.Add("apps", "DaemonSet", DaemonSetHealth);
  r.Add("apps", "ReplicaSet", ReplicaSetHealth);
  r.Add("", "Pod", PodHealth);
  r.Add("", "Service", ServiceHealth);
  r.Add("", "PersistentVolumeClaim", PersistentVolumeClaimHealth);
  r.Add("batch", "Job", JobHealth);
  r.Add("networking.k8s.io", "Ingress", IngressHealth);
  r.Add("extensions", "Ingress", IngressHealth);
  r.Add("autoscaling", "HorizontalPodAutoscaler", HorizontalPodAutoscalerHealth);
  r.Add("apiregistration.k8s.io", "APIService", ApiServiceHealth);
  r.Add("argoproj.io", "Workflow", WorkflowHealth);
}

}  // namespace mlgitops
