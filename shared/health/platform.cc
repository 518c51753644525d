// Built-in health checks for platform kinds ML stacks lean on: CustomResourceDefinition,
// PodDisruptionBudget, Kruise AdvancedCronJob/BroadcastJob, FlinkDeployment, KEDA scalers.
// Statuses and messages follow Argo CD's resource customizations for these kinds.
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "health/health.h"
#include "health/health_util.h"
#include "object/timeutil.h"

namespace mlgitops {
namespace {

using health_util::ArraySize;
using health_util::Conditions;
using health_util::ConditionStatus;
using health_util::Degraded;
using health_util::Healthy;
using health_util::IsSet;
using health_util::IsTrue;
using health_util::LuaEqual;
using health_util::MemberOr;
using health_util::Progressing;
using health_util::Suspended;

// ---- CustomResourceDefinition ----

std::optional<HealthStatus> CustomResourceDefinitionHealth(const Object& obj,
                                                           const HealthContext&) {
  const JsonValue& root = obj.json();
  if (IsSet(root, "metadata.deletionTimestamp")) {
    return Progressing("CRD is terminating");
  }
  auto conditions = Conditions(root);
  if (conditions.empty()) return Progressing("Status conditions not found");
  bool established = false;
  for (const JsonValue* c : conditions) {
    std::string type = MemberString(*c, "type");
    std::string status = ConditionStatus(*c);
    std::string message = MemberString(*c, "message");
    if (type == "Terminating" && status == "True") {
      return Progressing("CRD is terminating: " + message);
    }
    if (type == "NamesAccepted" && status == "False") {
      return Degraded("CRD names have not been accepted: " + message);
    }
    if (type == "NonStructuralSchema" && status == "True") {
      return Degraded("Schema violations found: " + message);
    }
    if (type == "Established") {
      if (status == "True") {
        established = true;
      } else if (MemberString(*c, "reason") == "Installing") {
        return Progressing("CRD is being installed");
      }
    }
  }
  if (!established) return Degraded("CRD is not established");
  return Healthy("CRD is healthy");
}

// ---- PodDisruptionBudget ----

std::optional<HealthStatus> PodDisruptionBudgetHealth(const Object& obj, const HealthContext&) {
  HealthStatus result = Progressing("Waiting for status");
  for (const JsonValue* c : Conditions(obj.json())) {
    std::string reason = MemberOr(*c, "reason", MemberString(*c, "type"));
    // Too few pods to allow a disruption is a normal state (argo-cd #20171), not a failure.
    if (ConditionStatus(*c) == "False" && reason != "InsufficientPods") {
      return Degraded("PodDisruptionBudget has " + reason);
    }
    result = Healthy("PodDisruptionBudget has " + reason);
  }
  return result;
}

// ---- Kruise AdvancedCronJob and BroadcastJob ----

std::optional<HealthStatus> AdvancedCronJobHealth(const Object& obj, const HealthContext&) {
  const JsonValue& root = obj.json();
  bool has_run = ParseRfc3339(GetString(root, "status.lastScheduleTime")).has_value();
  if (!has_run && IsTrue(root, "spec.paused")) {
    return Suspended("AdvancedCronJob is Paused");
  }
  if (ArraySize(root, "status.active") > 0) {
    return Progressing("AdvancedCronJobs has active jobs");
  }
  if (!has_run) return Degraded("AdvancedCronJobs has not run successfully");
  return Healthy("AdvancedCronJobs has run successfully");
}

bool IsZero(const JsonValue& root, std::string_view path) {
  const JsonValue* v = Find(root, path);
  return v && v->IsNumber() && v->GetDouble() == 0;
}

std::optional<HealthStatus> BroadcastJobHealth(const Object& obj, const HealthContext&) {
  const JsonValue& root = obj.json();
  std::string phase = GetString(root, "status.phase");
  if (phase == "completed" &&
      LuaEqual(Find(root, "status.desired"), Find(root, "status.succeeded"))) {
    return Healthy("BroadcastJob is completed successfully");
  }
  if (phase == "failed" && !IsZero(root, "status.failed")) {
    return Degraded("BroadcastJob failed");
  }
  if (phase == "paused" && IsTrue(root, "spec.paused")) {
    return Suspended("BroadcastJob is Paused");
  }
  return Progressing("BroadcastJob is still running");
}

// ---- FlinkDeployment ----

std::optional<HealthStatus> FlinkDeploymentHealth(const Object& obj, const HealthContext&) {
  const JsonValue& root = obj.json();
  const JsonValue* reconciliation = Find(root, "status.reconciliationStatus");
  if (reconciliation && reconciliation->IsObject()) {
    // v0.1 operators report `success`, v1 operators a `state`.
    if (IsTrue(*reconciliation, "success") || GetString(*reconciliation, "state") == "DEPLOYED") {
      return Healthy();
    }
    std::string job_manager = GetString(root, "status.jobManagerDeploymentStatus");
    if (job_manager == "DEPLOYED_NOT_READY" || job_manager == "DEPLOYING") {
      return Progressing("Waiting for deploying");
    }
    if (job_manager == "ERROR") {
      return Degraded(GetString(*reconciliation, "error"));
    }
  }
  return Progressing("Waiting for Flink operator");
}

// ---- KEDA ScaledJob and ScaledObject ----

// What differs between the two KEDA scalers: one more condition that means Degraded, and the
// message while nothing is reported yet.
struct KedaRules {
  std::string_view degraded_type;
  std::string_view degraded_status;
  std::string_view waiting_message;
};

// Every condition is looked at; the message is the last relevant condition's.
HealthStatus KedaHealth(const Object& obj, const KedaRules& rules) {
  bool ready = false, paused = false, degraded = false;
  std::string message;
  for (const JsonValue* c : Conditions(obj.json())) {
    std::string type = MemberString(*c, "type");
    std::string status = ConditionStatus(*c);
    if ((type == "Ready" && status == "False") ||
        (type == rules.degraded_type && status == rules.degraded_status)) {
      degraded = true;
    } else if (type == "Ready" && status == "True") {
      ready = true;
    } else if (type == "Paused" && status == "True") {
      paused = true;
    } else {
      continue;
    }
    message = MemberString(*c, "message");
  }
  if (degraded) return Degraded(std::move(message));
  if (ready)
    return HealthStatus{paused ? HealthCode::kSuspended : HealthCode::kHealthy, std::move(message)};
  return Progressing(std::string(rules.waiting_message));
}

std::optional<HealthStatus> ScaledJobHealth(const Object& obj, const HealthContext&) {
  return KedaHealth(obj, KedaRules{"Ready", "Unknown", "Waiting for ScaledJob"});
}

std::optional<HealthStatus> ScaledObjectHealth(const Object& obj, const HealthContext&) {
  return KedaHealth(obj, KedaRules{"Fallback", "True", "Creating HorizontalPodAutoscaler Object"});
}

}  // namespace

void RegisterPlatformHealth(HealthRegistry& r) {
  r.Add("apiextensions.k8s.io", "CustomResourceDefinition", CustomResourceDefinitionHealth);
  r.Add("policy", "PodDisruptionBudget", PodDisruptionBudgetHealth);
  r.Add("apps.kruise.io", "AdvancedCronJob", AdvancedCronJobHealth);
  r.Add("apps.kruise.io", "BroadcastJob", BroadcastJobHealth);
  r.Add("flink.apache.org", "FlinkDeployment", FlinkDeploymentHealth);
  r.Add("keda.sh", "ScaledJob", ScaledJobHealth);
  r.Add("keda.sh", "ScaledObject", ScaledObjectHealth);
}

}  // namespace mlgitops
