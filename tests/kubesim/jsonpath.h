// The JSONPath subset CRD printer columns use: .a.b, .a[0].b, .a[*].b and
// .a[?(@.type=="Ready")].status. Results are joined with commas, as kubectl prints them.
#pragma once

#include <string>

#include "object/object.h"

namespace mlgitops::kubesim {

/// The values at `path` in `root`, rendered as text ("" when nothing matches).
std::string EvaluateJsonPath(const JsonValue& root, const std::string& path);

}  // namespace mlgitops::kubesim
