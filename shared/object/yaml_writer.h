// Writing JSON trees as block-style YAML, quoting every string that YAML 1.1 would read back
// as something else (true, 123, null, "yes"), so output round-trips through ParseYamlStream.
#pragma once

#include <string>

#include "object/object.h"

namespace mlgitops {

/// Appends `v` as a YAML document body (no leading `---`) to `out`.
void AppendYaml(const JsonValue& v, std::string* out);
std::string ToYaml(const JsonValue& v);

}  // namespace mlgitops
