// ApplicationSet template rendering: Argo CD's `{{param}}` substitution (fasttemplate) and the
// Go-template subset ApplicationSets use, applied to every string of a template tree.
#pragma once

#include <string>
#include <string_view>

#include "object/object.h"
#include "object/status.h"

namespace mlgitops {

struct TemplateOptions {
  bool go_template = false;
  /// Argo CD's lenient behaviour: fasttemplate keeps `{{missing}}` literally, goTemplate prints
  /// `<no value>`. Off (the default), a missing parameter is an error naming the key.
  bool allow_missing = false;
  /// goTemplateOptions `missingkey=error`: a missing key is an error even with allow_missing.
  /// Unlike Go, `default` still replaces a missing key (argo-cd #20594).
  bool missing_key_error = false;

  bool StrictMissing() const { return !allow_missing || missing_key_error; }
};

/// Renders one string. `params` is a JSON object: flat dotted keys for fasttemplate
/// ("path.basename"), nested maps for goTemplate. Errors name the parameter or function.
Result<std::string> RenderTemplateString(std::string_view text, const JsonValue& params,
                                         const TemplateOptions& options);

/// Renders every string of `tree` in place, map keys included. A string that is exactly one
/// parameter (`"{{gpu}}"`, `"{{ .gpu }}"`) whose value is a number or boolean becomes that value.
/// Errors are prefixed with the field path ("spec.source.path: ...").
Status RenderTree(JsonValue* tree, JsonAllocator& allocator, const JsonValue& params,
                  const TemplateOptions& options);

/// Argo CD's `normalize`: lower case, every character outside [-a-z0-9.] becomes '-',
/// at most 253 characters, no leading or trailing '-' or '.'.
std::string NormalizeName(std::string_view text);

/// Argo CD's `slugify`: lower-case words of [a-z0-9] joined by '-', cut to `max_size`; with
/// `smart_truncate` the cut falls between words.
std::string Slugify(std::string_view text, size_t max_size, bool smart_truncate);

/// Applies `patch` onto `target` as templatePatch does: maps merge key by key, lists and
/// scalars are replaced, a null value removes the key.
void MergePatch(JsonValue* target, const JsonValue& patch, JsonAllocator& allocator);

}  // namespace mlgitops
