// Per-kind defaulting the real API server does on every write (replicas, Service cluster IPs
// and port protocols, Namespace finalizers and labels) and on create (initial status).
#pragma once

#include "kubesim/catalog.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// Fills defaulted fields of `object`; `old` is the stored object on updates (nullptr on
/// create), from which immutable allocated values such as spec.clusterIP carry over.
void ApplyDefaults(const ResourceType& type, JsonValue& object, const JsonValue* old,
                   JsonAllocator& a);

/// The status a freshly created object starts with (Namespace Active, Pod Pending, ...).
void ApplyInitialStatus(const ResourceType& type, JsonValue& object, JsonAllocator& a);

}  // namespace mlgitops::kubesim
