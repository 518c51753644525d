// CustomResourceDefinitions: validation of the parts kubesim relies on, the status the real
// apiextensions controller sets (NamesAccepted, Established), and the resource types a CRD
// makes served.
#pragma once

#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "kubesim/catalog.h"
#include "object/object.h"

namespace mlgitops::kubesim {

std::vector<StatusCause> ValidateCrd(const JsonValue& crd);
/// Sets status.acceptedNames, conditions and storedVersions; conditions keep their
/// lastTransitionTime from `old` (nullptr on create).
void SetCrdStatus(JsonValue& crd, const JsonValue* old, const std::string& now, JsonAllocator& a);
/// One type per served version, most preferred version first.
std::vector<ResourceType> TypesFromCrd(const JsonValue& crd);
/// Orders API versions as Kubernetes does: v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > others.
bool VersionMorePreferred(const std::string& a, const std::string& b);

}  // namespace mlgitops::kubesim
