// Built-in health checks for training jobs: Kubeflow Training Operator v1, Kubeflow Trainer v2,
// KubeRay (RayJob, RayCluster) and Volcano. batch/Job is registered with the core kinds.
// Every job is also Degraded while one of its Pods (ctx.children) crash-loops or cannot pull.
#include <optional>
#include <string>

#include "health/health.h"
#include "health/health_util.h"

namespace mlgitops {

namespace {
using health_util::ConditionText;
using health_util::Degraded;
using health_util::Healthy;
using health_util::JoinColon;
using health_util::Progressing;
using health_util::Suspended;
using health_util::TrueCondition;
using health_util::WithChildPodFailures;

std::optional<HealthStatus> JobVerdict(HealthStatus status, const HealthContext& ctx) {
  return WithChildPodFailures(std::move(status), ctx, /*finished_is_healthy=*/true);
}

// A job's terminal and paused states, read from its True conditions: Failed, then `done_type`
// (Succeeded, Complete), then Suspended. The message is the condition's own when it has one.
std::optional<HealthStatus> JobOutcome(const JsonValue& v, const std::string& kind,
                                       const char* done_type, const char* done_message) {
  if (const JsonValue* c = TrueCondition(v, "Failed")) {
    return Degraded(ConditionText(*c, kind + " failed"));
  }
  if (const JsonValue* c = TrueCondition(v, done_type)) {
    return Healthy(ConditionText(*c, kind + " " + done_message));
  }
  if (const JsonValue* c = TrueCondition(v, "Suspended")) {
    return Suspended(ConditionText(*c, kind + " is suspended"));
  }
  return std::nullopt;
}

// ---- Kubeflow Training Operator v1 (kubeflow.org) ----

// The operator appends conditions and flips earlier ones to False, so the True ones tell the
// current state; terminal ones are looked at first.
HealthStatus KubeflowJobConditions(const Object& obj) {
  const JsonValue& v = obj.json();
  std::string kind = obj.kind();
  if (auto outcome = JobOutcome(v, kind, "Succeeded", "succeeded")) return *outcome;
  if (GetBool(v, "spec.runPolicy.suspend").value_or(false)) {
    return Suspended(kind + " is suspended");
  }
  if (const JsonValue* c = TrueCondition(v, "Restarting")) {
    return Progressing("restarting: " + ConditionText(*c, "a replica failed"));
  }
  for (const char* type : {"Running", "Created"}) {
    if (const JsonValue* c = TrueCondition(v, type)) return Progressing(ConditionText(*c, type));
  }
  return Progressing("Waiting for the training operator to report status");
}

std::optional<HealthStatus> KubeflowJobHealth(const Object& obj, const HealthContext& ctx) {
  return JobVerdict(KubeflowJobConditions(obj), ctx);
}

// ---- Kubeflow Trainer v2 (trainer.kubeflow.org TrainJob) ----

std::optional<HealthStatus> TrainJobHealth(const Object& obj, const HealthContext& ctx) {
  const JsonValue& v = obj.json();
  std::optional<HealthStatus> status = JobOutcome(v, "TrainJob", "Complete", "completed");
  if (!status && GetBool(v, "spec.suspend").value_or(false)) {
    status = Suspended("TrainJob is suspended");
  }
  return JobVerdict(status.value_or(Progressing("TrainJob is running")), ctx);
}

// ---- KubeRay ----

// KubeRay's lifecycle (jobDeploymentStatus) can say Complete while Ray's own verdict
// (jobStatus) says FAILED, so both are read.
HealthStatus RayJobState(const JsonValue& v) {
  std::string deployment = GetString(v, "status.jobDeploymentStatus");
  std::string job = GetString(v, "status.jobStatus");
  std::string detail = JoinColon(GetString(v, "status.reason"), GetString(v, "status.message"));
  if (deployment == "Failed") return Degraded(JoinColon("RayJob failed", detail));
  if (deployment == "Complete") {
    if (job == "FAILED" || job == "STOPPED") {
      return Degraded(JoinColon("RayJob completed but its job status is " + job, detail));
    }
    return Healthy("RayJob succeeded");
  }
  if (deployment == "Suspended") return Suspended("RayJob is suspended");
  if (deployment.empty() && GetBool(v, "spec.suspend").value_or(false)) {
    return Suspended("RayJob is suspended");
  }
  if (deployment.empty()) return Progressing("Waiting for KubeRay to report status");
  std::string message = "RayJob is " + deployment;
  if (!job.empty()) message += ", job status " + job;
  return Progressing(message);
}

std::optional<HealthStatus> RayJobHealth(const Object& obj, const HealthContext& ctx) {
  return JobVerdict(RayJobState(obj.json()), ctx);
}

HealthStatus RayClusterState(const JsonValue& v) {
  if (const JsonValue* c = TrueCondition(v, "RayClusterReplicaFailure")) {
    return Degraded(ConditionText(*c, "RayCluster replica failure"));
  }
  std::string state = GetString(v, "status.state");
  std::string reason = GetString(v, "status.reason");
  if (state == "failed") return Degraded(JoinColon("RayCluster failed", reason));
  if (state == "suspended" || TrueCondition(v, "RayClusterSuspended")) {
    return Suspended("RayCluster is suspended");
  }
  if (state == "ready") return Healthy("RayCluster is ready");
  if (const JsonValue* head = FindCondition(v, "HeadPodReady")) {
    if (health_util::ConditionStatus(*head) != "True") {
      return Progressing(ConditionText(*head, "Waiting for the head Pod"));
    }
  }
  return Progressing(state.empty() ? "Waiting for RayCluster" : "RayCluster is " + state);
}

// A RayCluster is long-running: a crash-looping worker degrades it even while "ready".
std::optional<HealthStatus> RayClusterHealth(const Object& obj, const HealthContext& ctx) {
  return WithChildPodFailures(RayClusterState(obj.json()), ctx, /*finished_is_healthy=*/false);
}

// ---- Volcano (batch.volcano.sh Job) ----

HealthStatus VolcanoJobState(const JsonValue& v) {
  std::string phase = GetString(v, "status.state.phase");
  std::string detail =
      JoinColon(GetString(v, "status.state.reason"), GetString(v, "status.state.message"));
  if (phase == "Completed") return Healthy(JoinColon("Volcano job completed", detail));
  if (phase == "Failed" || phase == "Terminated") {
    return Degraded(JoinColon("Volcano job " + phase, detail));
  }
  // `vcctl job suspend` aborts a job and `resume` restarts it: Aborted is Volcano's pause.
  if (phase == "Aborted") return Suspended(JoinColon("Volcano job aborted", detail));
  if (phase.empty()) return Progressing("Waiting for Volcano to report status");
  return Progressing(JoinColon("Volcano job " + phase, detail));
}

std::optional<HealthStatus> VolcanoJobHealth(const Object& obj, const HealthContext& ctx) {
  return JobVerdict(VolcanoJobState(obj.json()), ctx);
}

}  // namespace

void RegisterTrainingHealth(HealthRegistry& r) {
  for (const char* kind : {"TFJob", "PyTorchJob", "MPIJob", "XGBoostJob", "PaddleJob", "JAXJob"}) {
    r.Add("kubeflow.org", kind, KubeflowJobHealth);
  }
  r.Add("trainer.kubeflow.org", "TrainJob", TrainJobHealth);
  r.Add("ray.io", "RayJob", RayJobHealth);
  r.Add("ray.io", "RayCluster", RayClusterHealth);
  r.Add("batch.volcano.sh", "Job", VolcanoJobHealth);
}

}  // namespace mlgitops
