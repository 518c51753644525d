// x-kubernetes-validations: CEL rules of CRD schemas, compiled when the CRD is written (refused
// when outside kubesim's CEL subset) and evaluated on every write of a custom resource, with
// transition rules (oldSelf) evaluated against the correlated old value, as apiextensions does.
#pragma once

#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// CRD-side checks of every rule under `schema` (named by `path`): the rule and its
/// messageExpression compile, reason is a known one, fieldPath names a field, oldSelf is only
/// used where an old value can be correlated.
std::vector<StatusCause> ValidateCelRules(const JsonValue& schema, const std::string& path);

/// Evaluates the rules over a custom resource; `old` is the stored object on updates.
std::vector<StatusCause> EvaluateCelRules(const JsonValue& object, const JsonValue* old,
                                          const JsonValue& schema);

}  // namespace mlgitops::kubesim
