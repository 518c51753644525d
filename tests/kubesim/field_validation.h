// fieldValidation (Strict, Warn, Ignore): what the server does with unknown and duplicate
// fields in a request body. The directive parsing is shared with custom resources.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "kubesim/catalog.h"
#include "kubesim/http_types.h"
#include "object/object.h"

namespace mlgitops::kubesim {

enum class FieldValidation { kIgnore, kWarn, kStrict };

/// The request's `fieldValidation` directive: unset or "" is Warn (the server's default for
/// every verb since 1.27; kubectl sends Strict unless told --validate=warn|false). Any other
/// value is the 422 the real server answers for `options_kind` ("CreateOptions",
/// "UpdateOptions", "PatchOptions").
ApiResult<FieldValidation> ParseFieldValidation(const HttpRequest& request,
                                                const std::string& options_kind);

/// One strict decoding problem, worded as the real decoder: `unknown field "spec.foo"` or
/// `duplicate field "metadata.name"`.
struct FieldProblem {
  std::string message;
};

/// "strict decoding error: A, B" for a Strict failure.
std::string StrictDecodingError(const std::vector<FieldProblem>& problems);
/// Adds each problem as a `Warning:` header of the current request (Warn).
void WarnFieldProblems(const std::vector<FieldProblem>& problems);

/// Removes duplicate members everywhere in `value` (the last one wins, as Go's decoder keeps
/// it) and reports each, with its path below `prefix`.
void DropDuplicateFields(JsonValue& value, const std::string& prefix,
                         std::vector<FieldProblem>* problems);

/// Checks a decoded body of a built-in kind against the built-in schema (builtin_schema.h):
/// duplicate members are dropped (last wins) and unknown fields removed, each reported in
/// document order. Kinds the schema does not cover are only de-duplicated.
std::vector<FieldProblem> CheckBuiltinFields(const ResourceType& type, JsonValue& object);

/// The create/update decode step: applies the directive to `object`. Strict with problems is
/// `400 BadRequest` ("Kind in version "v1" cannot be handled as a Kind: strict decoding
/// error: ..."); Warn adds warnings; Ignore drops silently.
std::optional<ApiError> ValidateBodyFields(const HttpRequest& request, const ResourceType& type,
                                           const std::string& options_kind, JsonValue& object);

/// Server-side apply: fields the schema lacks fail in every mode with the 500 the real
/// server's typed conversion gives (`failed to create typed patch object (NS/NAME; GVK):
/// .spec.foo: field not declared in schema`).
std::optional<ApiError> CheckApplyFields(const ResourceType& type, const std::string& ns,
                                         const std::string& name, const JsonValue& config);

/// Non-apply patches: the patched object is decoded strictly; Strict failures are the
/// real server's `422` on field "patch" (`value_text` is what it echoes: the patch for a
/// strategic merge patch, the patched object for JSON and merge patches).
std::optional<ApiError> ValidatePatchedFields(FieldValidation mode, const ResourceType& type,
                                              const std::string& value_text,
                                              std::vector<FieldProblem> patch_problems,
                                              JsonValue& patched);

/// Go's `%+v` of a decoded JSON value (map[a:1 b:[x y]]), as the strategic-merge error echoes
/// the patch.
std::string GoValueText(const JsonValue& value);

}  // namespace mlgitops::kubesim
