// The autoscaling/v1 Scale view of an object with a scale subresource: what /scale serves and
// what admission webhooks see for scale writes.
#pragma once

#include "object/object.h"

namespace mlgitops::kubesim {

/// name/namespace/uid/resourceVersion, spec.replicas, status.replicas and status.selector.
Object ScaleOf(const JsonValue& object);

}  // namespace mlgitops::kubesim
