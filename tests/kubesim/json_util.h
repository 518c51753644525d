// JSON helpers for kubesim: parsing request bodies safely and editing RapidJSON trees in place.
// Every tree edited here belongs to an Object, whose allocator is passed alongside.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "object/object.h"
#include "object/status.h"

namespace mlgitops::kubesim {

/// Deepest nesting accepted in a request body; recursive algorithms below rely on it.
constexpr int kMaxJsonDepth = 512;

/// Parses JSON text (iteratively, so hostile nesting cannot overflow the stack) and refuses
/// documents nested deeper than kMaxJsonDepth.
Result<Object> ParseJson(std::string_view text, const std::string& origin);
/// JSON or YAML (one document), as server-side apply bodies may be either.
Result<Object> ParseJsonOrYaml(std::string_view text, const std::string& origin);

/// Nesting depth of `v` (a scalar is 0), computed without recursion.
int JsonDepth(const JsonValue& v);

JsonValue Str(std::string_view s, JsonAllocator& a);
std::string_view View(const JsonValue& v);  // "" unless a string

JsonValue* FindMember(JsonValue& obj, std::string_view key);
const JsonValue* FindMember(const JsonValue& obj, std::string_view key);
JsonValue* FindMutable(JsonValue& v, std::string_view dotted_path);
/// Sets obj[key] = value (replacing any existing member); obj must be an object.
void SetMember(JsonValue& obj, std::string_view key, JsonValue value, JsonAllocator& a);
void SetString(JsonValue& obj, std::string_view key, std::string_view value, JsonAllocator& a);
void SetInt(JsonValue& obj, std::string_view key, int64_t value, JsonAllocator& a);
/// obj[key], created as {} when absent or not an object.
JsonValue& EnsureObject(JsonValue& obj, std::string_view key, JsonAllocator& a);
/// Sets the value at a dotted path, creating intermediate objects.
void SetPath(JsonValue& root, std::string_view dotted_path, JsonValue value, JsonAllocator& a);
bool RemoveMember(JsonValue& obj, std::string_view key);
void RemovePath(JsonValue& root, std::string_view dotted_path);

/// A new Object holding a deep copy of `v`.
Object CopyToObject(const JsonValue& v);

/// Appends `s` to `out` as a quoted JSON string.
void AppendJsonString(std::string& out, std::string_view s);
std::string Quote(std::string_view s);

}  // namespace mlgitops::kubesim
