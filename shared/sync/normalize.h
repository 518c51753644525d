// Preparing live and desired objects for comparison: dropping what never counts as a
// difference (server bookkeeping, status) and what the Application says to ignore.
#pragma once

#include <string_view>
#include <vector>

#include "app/application.h"
#include "object/object.h"
#include "object/status.h"

namespace mlgitops {

inline constexpr std::string_view kTrackingIdAnnotation = "argocd.argoproj.io/tracking-id";
inline constexpr std::string_view kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

struct DiffOptions {
  std::vector<IgnoreDifference> ignore;  // spec.ignoreDifferences
  /// Leave our tracking annotation out, e.g. when diffing against manifests it was never
  /// injected into.
  bool ignore_tracking_annotation = false;
  int context_lines = 3;
};

/// A copy without metadata.managedFields, resourceVersion, uid, generation, creationTimestamp,
/// selfLink, deletionGracePeriodSeconds, the last-applied annotation, empty annotation and
/// label maps, and `status` (always: like Argo CD, sync status compares desired state only;
/// for CRDs whose status is written by controllers it is never part of Git). Members are sorted
/// by name so printing is stable. Everything else stays: when the desired side is a dry-run
/// apply, server defaults appear on both sides and cancel out.
Object NormalizeForDiff(const Object& object, const DiffOptions& options);

/// Whether an ignoreDifferences entry covers the object ("*" group/kind, exact name/namespace).
bool IgnoreRuleApplies(const IgnoreDifference& rule, const ObjectRef& ref);

/// Removes every field the applicable rules name from both sides (either may be null).
/// Managed-field ownership is read from `original_live` (the live object before
/// normalisation). InvalidArgument for a malformed pointer or unsupported jq expression.
Status ApplyIgnoreDifferences(const std::vector<IgnoreDifference>& rules, const ObjectRef& ref,
                              const JsonValue* original_live, Object* live, Object* desired);

}  // namespace mlgitops
