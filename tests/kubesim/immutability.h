// Immutable fields: the update rules kube-apiserver's per-kind ValidateUpdate enforces
// (pkg/apis/{batch,apps,core}/validation) and the identity checks patches go through.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "kubesim/catalog.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// Causes (FieldValueInvalid / FieldValueForbidden, with the real server's field paths and
/// messages) for an update of `old` to `next`, both after defaulting, that changes a field the
/// real server keeps immutable; empty when the update is allowed. `manager` is the writer's
/// field manager: kubesim's scheduler binds Pods with an update that stands for the
/// pods/binding subresource, so it alone may set an unset spec.nodeName.
std::vector<StatusCause> ImmutableFieldCauses(const ResourceType& type, const JsonValue& old,
                                              const JsonValue& next, const std::string& manager);

/// For non-apply patches and server-side apply: a result that renames, moves or re-identifies
/// the object is refused as the real server refuses it (400 from the patch handler's name and
/// namespace check, 422 `metadata.uid ... field is immutable` from ValidateObjectMetaUpdate).
std::optional<ApiError> CheckPatchedIdentity(const ResourceType& type, const JsonValue& live,
                                             const JsonValue& patched);

}  // namespace mlgitops::kubesim
