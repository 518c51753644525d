// Readers shared by the streaming-family health checks (Strimzi, Numaflow, Numaplane, Knative
// operator): status and conditions that tolerate malformed objects, compared the way Lua does.
#pragma once

#include <string_view>
#include <vector>

#include "object/object.h"

namespace mlgitops::streaming {

/// `status` when it is a map; nullptr when absent or malformed (a string, a list, null).
const JsonValue* StatusOf(const Object& obj);

/// The map elements of status.conditions in order; empty when `status` is nullptr or the
/// conditions are absent or not a list. Elements that are not maps are left out.
std::vector<const JsonValue*> Conditions(const JsonValue* status);

/// True when `member` is a string equal to `want`. Lua's `==` never equates a string with a
/// boolean or a number, so neither do we.
bool MemberIs(const JsonValue& v, const char* member, std::string_view want);

/// The first condition of `type` whose status is `status`, or nullptr.
const JsonValue* FindConditionWithStatus(const std::vector<const JsonValue*>& conditions,
                                         std::string_view type, std::string_view status);

/// Whether metadata.generation equals status.observedGeneration by Lua's rules: two absent
/// values are equal, numbers compare by value, and anything else (a number against a string,
/// one side missing) differs.
bool GenerationObserved(const Object& obj, const JsonValue& status);

}  // namespace mlgitops::streaming
