// Per-kind defaulting the real API server does on every write (pkg/apis/*/v1/defaults.go:
// replicas, strategies, pod specs, Service IPs and ports, Job selectors, webhook policies,
// canonical quantities, Secret stringData) and on create (initial status).
#pragma once

#include "kubesim/catalog.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// Fills defaulted fields of `object`; `old` is the stored object on updates (nullptr on
/// create, when metadata.uid is already set), from which immutable allocated values such as
/// spec.clusterIP carry over.
void ApplyDefaults(const ResourceType& type, JsonValue& object, const JsonValue* old,
                   JsonAllocator& a);

/// The status a freshly created object starts with (Namespace Active, Pod Pending, ...).
void ApplyInitialStatus(const ResourceType& type, JsonValue& object, JsonAllocator& a);

// defaults_pod.cc
/// SetDefaults_PodSpec and its containers, probes and volumes; `is_pod` for a Pod's own spec
/// (requests default to limits there, not in templates).
void DefaultPodSpec(JsonValue& spec, bool is_pod, JsonAllocator& a);
/// Rewrites every quantity of a pod spec (resources, overhead, emptyDir sizes) canonically.
void CanonicalizePodQuantities(JsonValue& spec, JsonAllocator& a);
/// Rewrites the quantities of a ResourceList ({"cpu": "1000m"} -> {"cpu": "1"}).
void CanonicalizeQuantityMap(JsonValue* map, JsonAllocator& a);

}  // namespace mlgitops::kubesim
