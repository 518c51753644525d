// What kubesim's simulated controllers share: the write path through the API server, step
// pacing, the failure-outcome annotation, conditions, owner references and the pass context.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kubesim/api_server.h"
#include "object/clock.h"

namespace mlgitops::kubesim {

using SteadyTime = std::chrono::steady_clock::time_point;

/// The annotation that makes an object fail the way real workloads fail (README.md).
inline constexpr const char* kOutcomeAnnotation = "kubesim.mlgitops.io/outcome";

/// What the outcome annotation asks for; several values may be comma-separated.
struct Outcome {
  bool crashloop = false;
  bool fail = false;
  bool slow = false;
  bool failed_to_load = false;

  static Outcome Parse(const std::string& text);
  bool any_failure() const { return crashloop || fail || failed_to_load; }
};

/// Remembers when each object entered its current state, so a controller can move it on after
/// some number of steps; the earliest pending move tells the loop when to wake.
class Pacer {
 public:
  explicit Pacer(std::chrono::milliseconds step) : step_(step) {}

  void BeginPass(SteadyTime now);
  /// True once `steps` step delays (ten times longer when `slow`) have passed since `key` was
  /// first seen in `state`.
  bool StepsElapsed(const std::string& key, const std::string& state, double steps, bool slow);
  /// True once `wait` has passed since `key` was first seen in `state`.
  bool Elapsed(const std::string& key, const std::string& state, std::chrono::milliseconds wait);
  /// Records that `key` entered `state` now (a controller that just moved it there), so the
  /// next step is timed from the move rather than from when a later pass notices it.
  void Enter(const std::string& key, const std::string& state);
  /// Forgets keys nobody asked about in this pass (their objects are gone or settled).
  void EndPass();
  /// The earliest time a pending wait ends; time_point::max() when nothing waits.
  SteadyTime next_due() const { return next_due_; }

 private:
  struct Entry {
    std::string state;
    SteadyTime entered;
  };
  std::chrono::milliseconds step_;
  SteadyTime now_;
  SteadyTime next_due_ = SteadyTime::max();
  std::map<std::string, Entry> entries_;
  std::set<std::string> touched_;
};

/// Writes through ApiServer::Handle, as a controller's client would: every write gets the
/// server's validation, resourceVersion, generation, managedFields and watch events.
/// Conflicts and vanished objects are normal (the next pass retries); other failures are
/// logged once each to stderr.
class ApiWriter {
 public:
  explicit ApiWriter(ApiServer* api) : api_(api) {}

  bool Create(const ResourceType& type, const Object& object, const std::string& manager);
  /// PUT of the main resource (status is ignored for kinds with a status subresource).
  bool Replace(const ResourceType& type, const Object& object, const std::string& manager);
  /// PUT of .status: the status subresource when the kind has one, else the main resource.
  bool ReplaceStatus(const ResourceType& type, const Object& object, const std::string& manager);
  /// DELETE with a uid precondition and background propagation.
  bool Delete(const ResourceType& type, const Object& object, const std::string& manager);
  /// DELETE with gracePeriodSeconds 0 and a uid precondition: the kubelet's last word on a Pod
  /// whose containers have stopped.
  bool DeleteNow(const ResourceType& type, const Object& object, const std::string& manager);

 private:
  bool Send(const std::string& method, const std::string& path, const std::string& body,
            const std::string& manager);

  ApiServer* api_;
  std::set<std::string> logged_;
};

/// "/apis/apps/v1/namespaces/ml/deployments/web/status" for a type and object coordinates.
std::string ResourcePath(const ResourceType& type, const std::string& ns, const std::string& name,
                         const std::string& subresource = "");

/// A condition as controllers write it.
struct Condition {
  std::string type;
  std::string status;  // True, False, Unknown
  std::string reason;
  std::string message;
};

/// Which timestamps a kind's conditions carry.
enum class ConditionTimes {
  kTransition,           // lastTransitionTime (Knative-style: InferenceService)
  kPod,                  // lastProbeTime null + lastTransitionTime
  kUpdateAndTransition,  // lastUpdateTime + lastTransitionTime (Deployments, Kubeflow)
  kProbeAndTransition,   // lastProbeTime + lastTransitionTime (Jobs)
};

/// Sets `c` in status.conditions (appended when new), keeping lastTransitionTime while the
/// status is unchanged and lastUpdateTime while nothing about the condition changed.
void SetCondition(JsonValue& status, const Condition& c, ConditionTimes times,
                  const std::string& now, JsonAllocator& a);
/// The condition's status ("" when absent).
std::string ConditionStatusOf(const JsonValue& object, const std::string& type);

/// An ownerReference naming `owner` as controller (controller and blockOwnerDeletion true).
JsonValue ControllerReference(const Object& owner, JsonAllocator& a);
/// uid of the object's controller ownerReference, "" when it has none.
std::string ControllerUid(const Object& object);
std::string UidOf(const Object& object);

/// Objects grouped by the uid of their controller.
using OwnedIndex = std::map<std::string, std::vector<ObjectPtr>>;
OwnedIndex IndexByController(const std::vector<ObjectPtr>& objects);
const std::vector<ObjectPtr>& OwnedBy(const OwnedIndex& index, const std::string& uid);

/// Label values set as strings on obj.metadata.labels (created when missing).
void SetLabel(JsonValue& object, const std::string& key, const std::string& value,
              JsonAllocator& a);
void SetAnnotation(JsonValue& object, const std::string& key, const std::string& value,
                   JsonAllocator& a);

/// A Pod for `owner` from a pod template (its labels, annotations and spec), controlled by
/// `owner`, in the owner's namespace; the caller names it (name or generateName).
Object PodFromTemplate(const JsonValue* pod_template, const Object& owner);
/// Desired replica count at `path` (default 1 when unset).
int64_t ReplicasAt(const JsonValue& object, const char* path);

/// A 32-bit FNV-1a hash rendered in the alphabet Kubernetes uses for generated names.
std::string SafeHash(const std::string& text);

/// Pod state read from its status, as the controllers count it.
bool PodIsTerminating(const Object& pod);
bool PodIsReady(const Object& pod);
std::string PodPhase(const Object& pod);
int64_t PodRestarts(const Object& pod);

/// One reconcile pass: the clock, the pacer, the writer and read access to the store.
class ControllerContext {
 public:
  ControllerContext(ApiServer* api, const Clock* clock, Pacer* pacer, ApiWriter* writer)
      : api_(api), clock_(clock), pacer_(pacer), writer_(writer) {}

  /// The served type for group/plural (`preferred_version` when served, else any version).
  std::optional<ResourceType> Type(const std::string& group, const std::string& plural,
                                   const std::string& preferred_version = "v1") const;
  std::optional<ResourceType> TypeOfKind(const std::string& api_version,
                                         const std::string& kind) const;
  std::vector<ObjectPtr> List(const ResourceType& type, const std::string& ns = "") const;
  ObjectPtr Get(const ResourceType& type, const std::string& ns, const std::string& name) const;
  /// The outcome annotation of `object`, else of its controller chain (a Pod of a ReplicaSet
  /// of an annotated Deployment fails as the Deployment asks).
  Outcome OutcomeOf(const Object& object) const;

  std::string Now() const;
  int64_t NowUnix() const { return clock_->NowUnix(); }
  Pacer& pacer() { return *pacer_; }
  ApiWriter& writer() { return *writer_; }

 private:
  ObjectPtr ControllerOf(const Object& object) const;

  ApiServer* api_;
  const Clock* clock_;
  Pacer* pacer_;
  ApiWriter* writer_;
};

/// Writes `next` (a modified clone of `current`) when its status differs from current's.
bool WriteStatusIfChanged(ControllerContext& ctx, const ResourceType& type, const Object& current,
                          const Object& next, const std::string& manager);

/// Field managers of the simulated components, as they appear in managedFields.
inline constexpr const char* kControllerManager = "kube-controller-manager";
inline constexpr const char* kKubelet = "kubelet";
inline constexpr const char* kTrainingOperator = "training-operator";
inline constexpr const char* kKserveManager = "kserve-controller-manager";

// One reconcile function per controller family; each lists what it manages and converges it.
void ReconcileDeployments(ControllerContext& ctx);
void ReconcileReplicaSets(ControllerContext& ctx);
void ReconcileStatefulSets(ControllerContext& ctx);
void ReconcileJobs(ControllerContext& ctx);
void ReconcileTrainingJobs(ControllerContext& ctx);
void ReconcileInferenceServices(ControllerContext& ctx);
void ReconcilePods(ControllerContext& ctx);
void ReconcileVolumes(ControllerContext& ctx);

}  // namespace mlgitops::kubesim
