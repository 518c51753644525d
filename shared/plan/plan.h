// The offline sync plan: the steps Argo CD's engine would take for a set of objects, in its
// order (phase, wave, kind, name, then the Namespace-first and CRD-before-CR fix-ups).
// Waves come from the conventions (policy/conventions.h); hooks read Argo and Helm annotations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"
#include "object/status.h"
#include "policy/conventions.h"
#include "policy/findings.h"

namespace mlgitops {

inline constexpr std::string_view kHookAnnotation = "argocd.argoproj.io/hook";
inline constexpr std::string_view kHookDeletePolicyAnnotation =
    "argocd.argoproj.io/hook-delete-policy";
inline constexpr std::string_view kHelmHookAnnotation = "helm.sh/hook";
inline constexpr std::string_view kHelmHookDeletePolicyAnnotation = "helm.sh/hook-delete-policy";

/// Declared in run order.
enum class SyncPhase { kPreSync, kSync, kPostSync, kSyncFail };
enum class HookDeletePolicy { kBeforeHookCreation, kHookSucceeded, kHookFailed };

std::string_view SyncPhaseName(SyncPhase phase);                 // "PreSync", ...
std::string_view HookDeletePolicyName(HookDeletePolicy policy);  // "BeforeHookCreation", ...

/// How Argo CD reads an object's hook annotations.
struct HookInfo {
  bool is_hook = false;
  bool skip = false;  // "Skip" alone: never synced, not a hook
  /// The phases the object gets a step in, in run order; empty means no sync step (Skip
  /// alone, PreDelete/PostDelete hooks, hooks naming no valid phase).
  std::vector<SyncPhase> phases;
  /// Hooks only: Argo's and Helm's policies merged, BeforeHookCreation when none is given.
  std::vector<HookDeletePolicy> delete_policies;
};
HookInfo ReadHook(const Object& obj);

/// Argo CD's kind order within a wave: negative for the 35 listed kinds (Namespace first),
/// 0 for every other kind. The API group is ignored.
int KindRank(std::string_view kind);

struct PlanStep {
  SyncPhase phase = SyncPhase::kSync;
  int64_t wave = 0;
  std::string group;
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string role;
  std::string action = "create";  // offline plans create; live plans compare
  bool hook = false;
  std::vector<HookDeletePolicy> delete_policies;
  size_t object_index = 0;  // into the objects the plan was built from
};

/// An object that gets no step, and why.
struct SkippedObject {
  size_t object_index = 0;
  ObjectRef object;
  std::string reason;
};

struct Plan {
  std::vector<PlanStep> steps;      // PreSync, Sync and PostSync steps in run order
  std::vector<PlanStep> sync_fail;  // SyncFail hooks: run only after a failed operation
  std::vector<SkippedObject> skipped;
};

/// Builds the plan for `objects`, classified index for index by Classify(). Fails when the
/// two lists differ in length or an object has no name.
Result<Plan> BuildPlan(const std::vector<Object>& objects, const std::vector<Classified>& classes);

/// {"steps": [{phase, wave, kind, namespace, name, role, action, group, hook[,
/// hookDeletePolicies]}...], "findings": [...], "skipped": [{kind, namespace, name, reason}]},
/// SyncFail steps last.
std::string PlanToJson(const Plan& plan, const std::vector<Finding>& findings, bool pretty = false);

}  // namespace mlgitops
