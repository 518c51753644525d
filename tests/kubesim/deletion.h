// Deletion as kube-apiserver's generic registry does it: DeleteOptions, graceful deletion of
// Pods, the garbage collector's finalizers (orphan, foregroundDeletion) and finalizer lists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "kubesim/catalog.h"
#include "kubesim/http_types.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// metav1.FinalizerOrphanDependents and metav1.FinalizerDeleteDependents.
inline constexpr const char* kOrphanFinalizer = "orphan";
inline constexpr const char* kForegroundFinalizer = "foregroundDeletion";
/// The apiextensions-apiserver finalizer that deletes a CRD's instances before the CRD.
inline constexpr const char* kCrdCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

/// The DeleteOptions of one request (body or query).
struct DeleteRequest {
  std::string propagation;                // "", Orphan, Background, Foreground
  std::optional<bool> orphan_dependents;  // the deprecated orphanDependents field
  std::optional<int64_t> grace_period;    // gracePeriodSeconds
  bool dry_run = false;
  std::string precondition_uid;
  std::string precondition_rv;
};

/// Reads DeleteOptions from the body (JSON) and the query; 400 for an unknown policy.
ApiResult<DeleteRequest> ReadDeleteRequest(const HttpRequest& request);

std::vector<std::string> FinalizersOf(const JsonValue& object);
bool HasFinalizer(const JsonValue& object, const std::string& finalizer);
/// Sets metadata.finalizers (removed when `finalizers` is empty).
void SetFinalizers(JsonValue& object, const std::vector<std::string>& finalizers, JsonAllocator& a);

/// The finalizer list a delete leaves on the object: the garbage-collection finalizers are added
/// or removed as the options, then the object's own finalizers, then the resource's default
/// policy ask (shouldOrphanDependents / shouldDeleteDependents in the generic registry).
std::vector<std::string> FinalizersAfterDelete(const ResourceType& type, const JsonValue& object,
                                               const DeleteRequest& request);

}  // namespace mlgitops::kubesim
