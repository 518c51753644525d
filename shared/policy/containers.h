// The containers of any workload, found wherever its pod templates nest: Deployments, Jobs,
// CronJobs, Kubeflow replica specs, Ray head/worker groups, Volcano tasks, Argo templates, Pods.
#pragma once

#include <string>
#include <vector>

#include "object/object.h"

namespace mlgitops {

/// A container, or a block that sizes one (KServe model specs, TrainJob resourcesPerNode).
struct ContainerRef {
  std::string name;
  /// Where it sits, e.g. "spec.template.spec.containers[0]".
  std::string path;
  /// The container's ResourceRequirements ({requests, limits}), or nullptr.
  const JsonValue* resources = nullptr;
};

/// Every container under the object's `spec`, in document order: any `containers` or
/// `initContainers` list (a pod spec at any depth), Argo Workflows template containers and
/// scripts, KServe component model specs and TrainJob's resourcesPerNode.
std::vector<ContainerRef> FindContainers(const Object& obj);

/// The member `key` of a JSON object, or nullptr; for keys with dots ("nvidia.com/gpu").
const JsonValue* Member(const JsonValue* object, std::string_view key);

}  // namespace mlgitops
