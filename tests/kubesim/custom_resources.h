// Custom resources against their CRD: the CRD's own version/schema/subresource/conversion rules,
// and on every write of a custom resource pruning, defaulting, fieldValidation of unknown
// fields, schema validation and x-kubernetes-validations, as apiextensions-apiserver does them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "kubesim/catalog.h"
#include "kubesim/store.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// The CRD's version-level rules (apiextensions ValidateCustomResourceDefinitionSpec):
/// version names, exactly one storage version, a structural schema per version with valid
/// CEL rules, scale subresource paths, None conversion (kubesim refuses Webhook conversion).
std::vector<StatusCause> ValidateCrdVersions(const JsonValue& crd);

/// openAPIV3Schema of `version` in the CRD (nullptr when absent).
const JsonValue* VersionSchema(const JsonValue& crd, const std::string& version);

/// How a write of a custom resource reached the server.
struct CustomResourceWrite {
  std::string field_validation;  // fieldValidation query: Strict, Warn (default), Ignore
  bool apply = false;            // server-side apply (unknown fields are a typed-patch error)
  bool patch = false;            // merge or JSON patch (strict errors are not wrapped)
};

/// Prunes unknown fields, applies schema defaults and validates `object` (written through
/// `type`) against the schema of that version; `old` is the stored object on updates.
/// Unknown fields: Strict → 400 `strict decoding error: unknown field "spec.foo"`, Warn →
/// `Warning:` headers. Returns the error the write fails with, or nullopt.
std::optional<ApiError> PrepareCustomResource(const Store& store, const ResourceType& type,
                                              Object* object, const JsonValue* old,
                                              const CustomResourceWrite& write);

/// Fills in schema defaults of an object read from storage (defaults added to the CRD after it
/// was written show up on reads, as with apiextensions' decoder); false when nothing changed.
bool DefaultStoredCustomResource(const Store& store, const ResourceType& type, Object* object);

}  // namespace mlgitops::kubesim
