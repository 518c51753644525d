// KServe InferenceService controller (serving.kserve.io, once its CRD is applied): the model is
// Pending, then Loading, then Loaded and every condition True, or FailedToLoad with KServe's
// lastFailureInfo when the outcome annotation asks for a failure (crashloop, fail or
// failed-to-load). No predictor Deployment or Pods are created.
#include <string>

#include "kubesim/controller_support.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

enum class ModelPhase { kPending, kLoading, kLoaded, kFailed };

std::string ModelStateName(ModelPhase phase) {
  switch (phase) {
    case ModelPhase::kPending:
      return "Pending";
    case ModelPhase::kLoading:
      return "Loading";
    case ModelPhase::kLoaded:
      return "Loaded";
    case ModelPhase::kFailed:
      return "FailedToLoad";
  }
  return "Pending";
}

// The model's next phase for this generation, read from the status the controller wrote last:
// Pending at once, then Loading and Loaded (or FailedToLoad) one step apart, so every phase is
// written however late the controller wakes.
ModelPhase PhaseOf(ControllerContext& ctx, const Object& isvc, const Outcome& outcome) {
  const JsonValue& v = isvc.json();
  int64_t generation = GetInt(v, "metadata.generation").value_or(1);
  bool observed = GetInt(v, "status.observedGeneration") == generation;
  std::string written = observed ? GetString(v, "status.modelStatus.states.targetModelState") : "";
  ModelPhase current = written == "Loading"        ? ModelPhase::kLoading
                       : written == "Loaded"       ? ModelPhase::kLoaded
                       : written == "FailedToLoad" ? ModelPhase::kFailed
                                                   : ModelPhase::kPending;
  if (written.empty() || current == ModelPhase::kLoaded || current == ModelPhase::kFailed) {
    return current;
  }
  if (!ctx.pacer().StepsElapsed("isvc/" + UidOf(isvc), std::to_string(generation) + "/" + written,
                                1, outcome.slow)) {
    return current;
  }
  if (current == ModelPhase::kPending) return ModelPhase::kLoading;
  return outcome.any_failure() ? ModelPhase::kFailed : ModelPhase::kLoaded;
}

std::string DeploymentMode(const Object& isvc) {
  auto mode = isvc.annotation("serving.kserve.io/deploymentMode");
  return mode ? *mode : "Standard";
}

JsonValue ModelStatus(const Object& isvc, ModelPhase phase, bool serving, const std::string& now,
                      JsonAllocator& a) {
  JsonValue model(rapidjson::kObjectType);
  bool failed = phase == ModelPhase::kFailed;
  JsonValue copies(rapidjson::kObjectType);
  SetInt(copies, "failedCopies", failed ? 1 : 0, a);
  SetInt(copies, "totalCopies", 1, a);
  SetMember(model, "copies", std::move(copies), a);
  if (failed) {
    JsonValue info(rapidjson::kObjectType);
    SetInt(info, "exitCode", 1, a);
    SetString(info, "location", "kserve-container", a);
    SetString(info, "message",
              "model " + isvc.name() + " failed to load: the model server exited with code 1", a);
    SetString(info, "modelRevisionName", isvc.name() + "-predictor", a);
    SetString(info, "reason", "ModelLoadFailed", a);
    SetString(info, "time", now, a);
    SetMember(model, "lastFailureInfo", std::move(info), a);
  }
  JsonValue states(rapidjson::kObjectType);
  bool loaded = phase == ModelPhase::kLoaded;
  SetString(states, "activeModelState", serving ? "Loaded" : failed ? "" : "Pending", a);
  SetString(states, "targetModelState", ModelStateName(phase), a);
  SetMember(model, "states", std::move(states), a);
  const char* transition = loaded ? "UpToDate" : failed ? "BlockedByFailedLoad" : "InProgress";
  SetString(model, "transitionStatus", transition, a);
  return model;
}

void ReconcileInferenceService(ControllerContext& ctx, const ResourceType& type,
                               const ObjectPtr& isvc) {
  if (Find(isvc->json(), "metadata.deletionTimestamp")) return;
  Outcome outcome = ctx.OutcomeOf(*isvc);
  ModelPhase phase = PhaseOf(ctx, *isvc, outcome);
  std::string now = ctx.Now();
  std::string name = isvc->name(), ns = isvc->namespace_();
  std::string url = "http://" + name + "-" + ns + ".example.com";
  Object next = isvc->Clone();
  JsonAllocator& a = next.allocator();
  JsonValue& status = EnsureObject(next.mutable_json(), "status", a);
  SetInt(status, "observedGeneration", GetInt(isvc->json(), "metadata.generation").value_or(1), a);
  bool failed = phase == ModelPhase::kFailed;
  // A new generation rolls out beside the revision that already serves: Ready stays True while
  // the target model loads.
  bool serving = phase == ModelPhase::kLoaded ||
                 (!failed && GetString(isvc->json(),
                                       "status.modelStatus.states.activeModelState") == "Loaded");
  Condition predictor{"PredictorReady", serving ? "True" : "Unknown", "", ""};
  if (failed) {
    predictor = {"PredictorReady", "False", "MinimumReplicasUnavailable",
                 "Deployment does not have minimum availability."};
  }
  bool routed = serving || phase != ModelPhase::kPending;
  Condition ingress{"IngressReady", routed ? "True" : "Unknown", "", ""};
  Condition ready = predictor;
  ready.type = "Ready";
  if (predictor.status == "True" && ingress.status != "True") ready.status = "Unknown";
  for (const Condition& c : {ingress, predictor, ready}) {
    SetCondition(status, c, ConditionTimes::kTransition, now, a);
  }
  SetString(status, "deploymentMode", DeploymentMode(*isvc), a);
  SetMember(status, "modelStatus", ModelStatus(*isvc, phase, serving, now, a), a);
  if (ingress.status == "True") {
    SetString(status, "url", url, a);
    SetPath(status, "address.url",
            Str("http://" + name + "-predictor." + ns + ".svc.cluster.local", a), a);
    SetPath(status, "components.predictor.url",
            Str("http://" + name + "-predictor-" + ns + ".example.com", a), a);
  }
  const JsonValue* before = Find(isvc->json(), "status.modelStatus.lastFailureInfo.time");
  if (failed && before) {
    // The failure happened once; re-stamping its time on every pass would be a new write.
    SetPath(status, "modelStatus.lastFailureInfo.time", JsonValue(*before, a), a);
  }
  if (WriteStatusIfChanged(ctx, type, *isvc, next, kKserveManager)) {
    ctx.pacer().Enter("isvc/" + UidOf(*isvc),
                      std::to_string(GetInt(isvc->json(), "metadata.generation").value_or(1)) +
                          "/" + ModelStateName(phase));
  }
}

}  // namespace

void ReconcileInferenceServices(ControllerContext& ctx) {
  auto type = ctx.Type("serving.kserve.io", "inferenceservices", "v1beta1");
  if (!type) return;  // the KServe CRD is not installed
  for (const ObjectPtr& isvc : ctx.List(*type)) ReconcileInferenceService(ctx, *type, isvc);
}

}  // namespace mlgitops::kubesim
