// The Go text/template subset of ApplicationSets (goTemplate: true): fields, pipes, if/else/with/
// range, and the Sprig and Argo CD functions templates use in practice. Internal to template.cc.
#pragma once

#include <string>
#include <string_view>

#include "appset/template.h"

namespace mlgitops {

/// Parses and executes `text` against `params` (the dot). An unknown function is a parse
/// error naming it; a missing key follows `options`.
Result<std::string> RenderGoTemplate(std::string_view text, const JsonValue& params,
                                     const TemplateOptions& options);

/// When `text` is exactly one `{{ .a.b }}` action (spaces allowed), the value it names, else
/// nullptr: a number or boolean placed there keeps its type.
const JsonValue* SingleGoField(std::string_view text, const JsonValue& params);

/// A float as Go's %v prints it (integral values without a fraction).
std::string FormatFloat(double d);

}  // namespace mlgitops
