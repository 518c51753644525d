// Field readers shared by the health checks ported from Argo CD's resource customizations.
// They read conditions, phases and counters leniently: missing or oddly typed values never fail.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"

namespace mlgitops::health_util {

/// The object-valued entries of the array at `path`, in order; empty when it is not an array.
std::vector<const JsonValue*> Conditions(const JsonValue& root,
                                         std::string_view path = "status.conditions");

/// A condition's status as Kubernetes spells it ("True", "False", "Unknown"). Hand-written YAML
/// often leaves True/False unquoted, which parses as a boolean; those read the same.
std::string ConditionStatus(const JsonValue& condition);

/// True when the condition has this type and this status.
bool ConditionIs(const JsonValue& condition, std::string_view type, std::string_view status);

/// The first entry of status.conditions with this type and status, or nullptr.
const JsonValue* FindConditionWithStatus(const JsonValue& root, std::string_view type,
                                         std::string_view status);

/// The member's text when it is a string, else `fallback` (absent, null or another type).
std::string MemberOr(const JsonValue& v, const char* member, std::string_view fallback);

/// A scalar identifier as text: strings as they are, integers in decimal (an all-digit hash
/// written unquoted in YAML parses as a number). nullopt when absent or not a scalar.
std::optional<std::string> ScalarText(const JsonValue& root, std::string_view path);

/// True when the value at `path` is the boolean true.
bool IsTrue(const JsonValue& root, std::string_view path);

/// True when `path` holds a value other than null.
bool IsSet(const JsonValue& root, std::string_view path);

/// Number of entries when `path` holds an array, else 0.
size_t ArraySize(const JsonValue& root, std::string_view path);

}  // namespace mlgitops::health_util
