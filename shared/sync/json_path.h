// Paths to nodes inside a JSON tree, as produced by JSON pointers, jq paths and managed-field
// sets, and their removal: how ignoreDifferences takes fields out of both sides of a diff.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"
#include "object/status.h"

namespace mlgitops {

/// One step down: a member name of an object, or an index into an array.
struct PathStep {
  bool is_index = false;
  std::string key;
  size_t index = 0;

  static PathStep Key(std::string_view k) { return {false, std::string(k), 0}; }
  static PathStep Index(size_t i) { return {true, std::string(), i}; }
  bool operator<(const PathStep& o) const;
  bool operator==(const PathStep& o) const;
};
using JsonPath = std::vector<PathStep>;

/// "spec.containers[0].image", for messages.
std::string PathToString(const JsonPath& path);

/// The member of an object by exact name, or nullptr.
JsonValue* FindMember(JsonValue& object, std::string_view name);
const JsonValue* FindMember(const JsonValue& object, std::string_view name);

/// Removes each path that exists (removing one that does not is a no-op); array elements go
/// from the highest index down so earlier removals never shift later ones. The empty path
/// (the whole document) is never removed. An object left empty by a removal is removed as well.
void RemovePaths(JsonValue* root, std::vector<JsonPath> paths);

/// An RFC 6901 pointer ("/spec/replicas", "~1" = '/', "~0" = '~') resolved against `root`:
/// nullopt when it names nothing there. Malformed pointers are InvalidArgument.
Result<std::optional<JsonPath>> ResolveJsonPointer(const JsonValue& root, std::string_view pointer);

}  // namespace mlgitops
