// Validation of built-in kinds as kube-apiserver's pkg/apis/<group>/validation does it:
// required fields, enums, quantities, selectors, ports, ... Object names stay in object_rules.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "kubesim/catalog.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// What decoding `object` into its Go type would refuse (a malformed quantity, Secret data that
/// is not base64): the `400 BadRequest` the real server answers, or nullopt. Runs before
/// defaulting.
std::optional<ApiError> CheckBuiltinDecoding(const ResourceType& type, const JsonValue& object);

/// The problems validation finds in a defaulted object of a built-in kind (empty for custom
/// resources and kinds without rules here), metadata labels and annotations included.
std::vector<StatusCause> ValidateBuiltin(const ResourceType& type, const JsonValue& object);

}  // namespace mlgitops::kubesim
