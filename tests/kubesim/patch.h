// The three PATCH formats kube-apiserver accepts besides apply: JSON merge patch (RFC 7386),
// JSON patch (RFC 6902) and strategic merge patch (lists merged by key, $patch directives).
#pragma once

#include <string>

#include "kubesim/merge_schema.h"
#include "object/object.h"
#include "object/status.h"

namespace mlgitops::kubesim {

/// RFC 7386: objects merge recursively, null deletes, anything else replaces.
void ApplyMergePatch(JsonValue& target, const JsonValue& patch, JsonAllocator& a);

/// RFC 6902 operations (add, remove, replace, move, copy, test) applied in order; on error the
/// target may be partly changed, so callers patch a copy.
Status ApplyJsonPatch(JsonValue& target, const JsonValue& operations, JsonAllocator& a);

/// Strategic merge patch for built-in kinds: lists with merge keys merge item by item,
/// `$patch: delete|replace|merge`, `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
/// `$setElementOrder/<field>` (ordering hints, accepted and ignored).
Status ApplyStrategicMergePatch(JsonValue& target, const JsonValue& patch,
                                const MergeSchema& schema, JsonAllocator& a);

}  // namespace mlgitops::kubesim
