// The autoscaling/v1 Scale view of an object with a scale subresource: what /scale serves and
// what admission webhooks see for scale writes.
#pragma once

#include <string>

#include "kubesim/catalog.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// name/namespace/uid/resourceVersion, spec.replicas, status.replicas and status.selector
/// (custom resources: from the CRD's specReplicasPath, statusReplicasPath, labelSelectorPath).
Object ScaleOf(const JsonValue& object, const ResourceType& type);
/// Where the scaled object keeps its desired replicas ("spec.replicas" unless a CRD says).
std::string SpecReplicasPath(const ResourceType& type);

}  // namespace mlgitops::kubesim
