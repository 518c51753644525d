// Built-in health checks for model serving: KServe InferenceService, Knative Service,
// Seldon Core v1 SeldonDeployment and KubeRay RayService.
// InferenceService and Knative Service follow Argo CD's bundled checks, verdicts and messages.
#include <string>
#include <vector>

#include "health/health.h"
#include "health/health_util.h"

namespace mlgitops {

namespace {
using health_util::ConditionStatus;
using health_util::ConditionText;
using health_util::Degraded;
using health_util::Healthy;
using health_util::JoinColon;
using health_util::Progressing;
using health_util::Suspended;
using health_util::TrueCondition;

const JsonValue* ConditionsArray(const JsonValue& v) {
  const JsonValue* c = Find(v, "status.conditions");
  return c && c->IsArray() ? c : nullptr;
}

// ---- Knative Service (Argo CD semantics) ----

bool IsKnativeReadyType(const std::string& type) {
  return type == "ConfigurationsReady" || type == "RoutesReady" || type == "Ready";
}

// "Ready is Unknown, since Reason. message\n" for each condition that is not True.
std::string KnativeConditionLine(const JsonValue& c, const std::string& status) {
  std::string line = MemberString(c, "type") + " is " + status;
  std::string reason = MemberString(c, "reason");
  std::string message = MemberString(c, "message");
  if (!reason.empty()) line += ", since " + reason + ".";
  if (!message.empty()) line += " " + message;
  return line + "\n";
}

std::optional<HealthStatus> KnativeServiceHealth(const Object& obj, const HealthContext&) {
  const JsonValue* conditions = ConditionsArray(obj.json());
  if (!conditions) return Progressing("Waiting for status update.");
  int ready = 0, failed = 0, unknown = 0;
  std::string message;
  for (const auto& c : conditions->GetArray()) {
    std::string status = ConditionStatus(c);
    if (status == "True" && IsKnativeReadyType(MemberString(c, "type"))) {
      ++ready;
    } else if (status == "False" || status == "Unknown") {
      message += KnativeConditionLine(c, status);
      ++(status == "False" ? failed : unknown);
    }
  }
  if (ready == 3 && failed == 0 && unknown == 0) return Healthy("Knative Service is healthy.");
  return failed > 0 ? Degraded(message) : Progressing(message);
}

// ---- KServe InferenceService (Argo CD semantics plus modelStatus) ----

struct IsvcConditionSummary {
  int failed = 0;
  int unknown = 0;
  std::string message;  // " | <i>: <type> | <status>[ | reason][ | message]" per unhealthy one
};

IsvcConditionSummary SummarizeIsvcConditions(const JsonValue& conditions) {
  IsvcConditionSummary s;
  int index = 0;
  for (const auto& c : conditions.GetArray()) {
    ++index;
    std::string type = MemberString(c, "type");
    std::string status = ConditionStatus(c);
    // Stopped is the one condition whose healthy value is False.
    bool healthy = type == "Stopped" ? status == "False" : status == "True";
    if (healthy) continue;
    ++(status == "Unknown" ? s.unknown : s.failed);
    s.message += " | " + std::to_string(index) + ": " + type + " | " + status;
    for (const char* field : {"reason", "message"}) {
      std::string text = MemberString(c, field);
      if (!text.empty()) s.message += " | " + text;
    }
  }
  return s;
}

// Argo CD's verdict: transitionStatus other than UpToDate is Progressing (InProgress) or
// Degraded (anything else); otherwise any non-True condition keeps it Progressing.
HealthStatus IsvcArgoVerdict(const JsonValue& v, const JsonValue& conditions) {
  std::string transition = GetString(v, "status.modelStatus.transitionStatus");
  bool transitioning = !transition.empty() && transition != "UpToDate";
  std::string message = transitioning ? "0: transitionStatus | " + transition : "";
  IsvcConditionSummary summary = SummarizeIsvcConditions(conditions);
  message += summary.message;
  if (transitioning && transition != "InProgress") return Degraded(message);
  if (!transitioning && summary.failed == 0 && summary.unknown == 0) {
    return Healthy("InferenceService is healthy.");
  }
  return Progressing(message);
}

bool IsFailedModelLoad(const JsonValue& model) {
  std::string transition = GetString(model, "transitionStatus");
  return GetString(model, "states.activeModelState") == "FailedToLoad" ||
         GetString(model, "states.targetModelState") == "FailedToLoad" ||
         transition == "BlockedByFailedLoad" || transition == "InvalidSpec";
}

std::string FailedLoadMessage(const JsonValue* failure) {
  std::string message = "model failed to load";
  if (!failure) return message;
  std::string reason = MemberString(*failure, "reason");
  std::string text = MemberString(*failure, "message");
  if (!reason.empty()) message += " (" + reason + ")";
  if (!text.empty()) message += ": " + text;
  return message;
}

// Argo CD ignores modelStatus beyond transitionStatus; the model itself is what serves, so a
// model that failed to load is Degraded with KServe's reason, and one still loading is not
// yet Healthy.
HealthStatus WithModelStatus(HealthStatus argo, const JsonValue& v) {
  const JsonValue* model = Find(v, "status.modelStatus");
  if (!model || !model->IsObject()) return argo;
  if (IsFailedModelLoad(*model)) {
    const JsonValue* failure = Find(*model, "lastFailureInfo");
    bool argo_degraded = argo.code == HealthCode::kDegraded;
    if (!failure && argo_degraded) return argo;  // nothing to add to Argo CD's own account
    // KServe's own failure report says what to fix; Argo CD's condition dump adds nothing.
    return Degraded(FailedLoadMessage(failure));
  }
  if (argo.code != HealthCode::kHealthy) return argo;
  for (const char* which : {"active", "target"}) {
    std::string state = GetString(*model, std::string("states.") + which + "ModelState");
    if (state == "Loading" || state == "Pending") {
      return Progressing(std::string(which) + " model is " + state);
    }
  }
  return argo;
}

std::optional<HealthStatus> InferenceServiceHealth(const Object& obj, const HealthContext&) {
  const JsonValue& v = obj.json();
  const HealthStatus waiting = Progressing("Waiting for InferenceService to report status...");
  if (!health_util::StatusOf(obj)) return waiting;
  if (TrueCondition(v, "Stopped")) return Suspended("InferenceService is Stopped");
  const JsonValue* conditions = ConditionsArray(v);
  return WithModelStatus(conditions ? IsvcArgoVerdict(v, *conditions) : waiting, v);
}

// ---- Seldon Core v1 SeldonDeployment ----

std::optional<HealthStatus> SeldonDeploymentHealth(const Object& obj, const HealthContext&) {
  const JsonValue& v = obj.json();
  std::string state = GetString(v, "status.state");
  std::string description = GetString(v, "status.description");
  if (state == "Available") return Healthy(JoinColon("SeldonDeployment is available", description));
  if (state == "Failed") return Degraded(JoinColon("SeldonDeployment failed", description));
  if (state.empty()) return Progressing("Waiting for Seldon to report status");
  return Progressing(JoinColon("SeldonDeployment is " + state, description));
}

// ---- KubeRay RayService ----

// Serve applications report DEPLOY_FAILED or UNHEALTHY long before any condition turns.
std::optional<HealthStatus> FailedServeApplication(const JsonValue& v) {
  for (const char* side : {"status.activeServiceStatus", "status.pendingServiceStatus"}) {
    const JsonValue* apps = Find(v, std::string(side) + ".applicationStatuses");
    if (!apps || !apps->IsObject()) continue;
    for (const auto& app : apps->GetObject()) {
      std::string status = MemberString(app.value, "status");
      if (status != "DEPLOY_FAILED" && status != "UNHEALTHY") continue;
      std::string name(app.name.GetString(), app.name.GetStringLength());
      return Degraded("serve application " + name + ": " +
                      JoinColon(status, MemberString(app.value, "message")));
    }
  }
  return std::nullopt;
}

HealthStatus RayServiceConditions(const JsonValue& v) {
  if (auto failed = FailedServeApplication(v)) return *failed;
  if (const JsonValue* upgrade = TrueCondition(v, "UpgradeInProgress")) {
    return Progressing(ConditionText(*upgrade, "upgrade in progress"));
  }
  if (const JsonValue* ready = FindCondition(v, "Ready")) {
    if (ConditionStatus(*ready) == "True")
      return Healthy(ConditionText(*ready, "RayService is ready"));
    if (MemberString(*ready, "reason") == "InitializingTimeout") {
      return Degraded(ConditionText(*ready));
    }
    return Progressing(ConditionText(*ready, "RayService is not ready"));
  }
  // Older KubeRay has no conditions, only serviceStatus.
  std::string service = GetString(v, "status.serviceStatus");
  if (service == "Running") return Healthy("RayService is running");
  if (service.rfind("Failed", 0) == 0) return Degraded("RayService: " + service);
  return Progressing(service.empty() ? "Waiting for RayService" : "RayService: " + service);
}

std::optional<HealthStatus> RayServiceHealth(const Object& obj, const HealthContext& ctx) {
  return health_util::WithChildPodFailures(RayServiceConditions(obj.json()), ctx,
                                           /*finished_is_healthy=*/false);
}

}  // namespace

void RegisterServingHealth(HealthRegistry& r) {
  r.Add("serving.kserve.io", "InferenceService", InferenceServiceHealth);
  r.Add("serving.knative.dev", "Service", KnativeServiceHealth);
  r.Add("machinelearning.seldon.io", "SeldonDeployment", SeldonDeploymentHealth);
  r.Add("ray.io", "RayService", RayServiceHealth);
}

}  // namespace mlgitops
