// Structural OpenAPI v3 schemas of CustomResourceDefinitions, as apiextensions-apiserver uses
// them: checks of the schema itself, pruning and defaulting of custom resources, and their
// validation (types, enums, patterns, bounds, list types) with kube-apiserver's messages.
#pragma once

#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// The structural-schema rules (pkg/apiserver/schema validateStructuralInvariants and
/// apiextensions validation): `type` on every specified node (except int-or-string and
/// preserve-unknown-fields nodes), no additionalProperties beside properties, metadata
/// restricted to name/generateName, list types, and defaults valid against their schema.
/// `path` names the schema, e.g. "spec.versions[0].schema.openAPIV3Schema".
std::vector<StatusCause> ValidateStructuralSchema(const JsonValue& schema, const std::string& path);

/// Removes fields the schema does not specify (pruning; apiVersion, kind and metadata of the
/// resource and of embedded resources are kept) and appends their paths ("spec.foo",
/// "spec.items[0].bar") to *unknown.
void PruneUnknownFields(JsonValue& object, const JsonValue& schema,
                        std::vector<std::string>* unknown);
/// Fills in `default`s top-down; nulls of non-nullable fields are dropped first.
void ApplySchemaDefaults(JsonValue& object, const JsonValue& schema, JsonAllocator& a);

/// Validates a custom resource (OpenAPI value validations, then list-type uniqueness).
std::vector<StatusCause> ValidateAgainstSchema(const JsonValue& object, const JsonValue& schema);

/// A JSON value as Go's field errors print it: strings quoted, numbers bare, maps and lists in
/// %#v form (map[string]interface {}{"name":"a"}).
std::string GoValue(const JsonValue& v);
/// The JSON type name kube-openapi reports for a value: string, integer, number, boolean,
/// object, array or null.
std::string JsonTypeName(const JsonValue& v);

}  // namespace mlgitops::kubesim
