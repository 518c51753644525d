// Health of Kubernetes objects with Argo CD's statuses and precedence.
// One pure function per kind (object + explicit context in, status out), found by group/kind.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "object/object.h"

namespace mlgitops {

/// Argo CD's health codes, declared best to worst (the order of precedence).
enum class HealthCode { kHealthy, kSuspended, kProgressing, kMissing, kDegraded, kUnknown };

std::string_view HealthCodeName(HealthCode code);
std::optional<HealthCode> ParseHealthCode(std::string_view name);
/// True when `a` is worse than `b` (Healthy < Suspended < Progressing < Missing < Degraded <
/// Unknown).
inline bool IsWorse(HealthCode a, HealthCode b) {
  return static_cast<int>(a) > static_cast<int>(b);
}

struct HealthStatus {
  HealthCode code = HealthCode::kHealthy;
  std::string message;
  bool operator==(const HealthStatus& o) const { return code == o.code && message == o.message; }
};

/// What a health function may use besides the object itself. Filled by the caller:
/// offline from the other objects of the same file, live from the cluster.
struct HealthContext {
  /// Objects owned by the one assessed: a Job's or training job's Pods, a Deployment's Pods
  /// (and ReplicaSets), a CronJob's Jobs. See FindChildren().
  std::vector<const Object*> children;
  /// Seconds since the epoch; freshness rules (mlgitops.io/sla) compare against it.
  int64_t now_unix = 0;
  /// The object's ML role ("model-serving", "training", ...; "" when none), from conventions.
  std::string role;
};

using HealthFn = std::optional<HealthStatus> (*)(const Object& obj, const HealthContext& ctx);

/// Built-in health functions keyed by API group and kind.
class HealthRegistry {
 public:
  void Add(std::string group, std::string kind, HealthFn fn);
  /// nullptr when the kind has no built-in check.
  HealthFn Find(std::string_view group, std::string_view kind) const;

 private:
  std::map<std::pair<std::string, std::string>, HealthFn, std::less<>> fns_;
};

/// Every built-in check, registered once (thread-safe first use).
const HealthRegistry& BuiltinHealth();

/// Progressing "Pending deletion" for an object being deleted (deletionTimestamp set) that does
/// not carry Argo CD's hook finalizer; nullopt otherwise.
std::optional<HealthStatus> DeletionHealth(const Object& obj);

/// gitops-engine's entry point: an object being deleted (deletionTimestamp without the hook
/// finalizer) is Progressing "Pending deletion"; otherwise the kind's built-in function.
/// nullopt when the kind has no built-in check.
std::optional<HealthStatus> AssessBuiltin(const Object& obj, const HealthContext& ctx);

/// The worst of several statuses; Healthy when empty.
HealthStatus Worst(const std::vector<HealthStatus>& statuses);

// Family registration, one per source file group (called by BuiltinHealth()).
void RegisterCoreHealth(HealthRegistry& r);      // core kinds, gitops-engine semantics
void RegisterTrainingHealth(HealthRegistry& r);  // batch/Kubeflow/Trainer/Ray/Volcano jobs
void RegisterServingHealth(HealthRegistry& r);   // KServe, Seldon, Knative, RayService
void RegisterPipelineHealth(HealthRegistry& r);  // CronJob, Argo Workflow/CronWorkflow, Spark
void RegisterArgoprojHealth(HealthRegistry& r);  // Rollout, AnalysisRun, Experiment, ...
void RegisterPlatformHealth(HealthRegistry& r);  // CRD, PDB, Kruise, Flink, KEDA
void RegisterStreamingHealth(
    HealthRegistry& r);  // Strimzi Kafka, Numaflow, Numaplane, Knative operator

}  // namespace mlgitops
