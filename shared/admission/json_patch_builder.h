// RFC 6902 patches that add what an object lacks: map entries and list items, creating the
// maps and lists on the way, so the patch applies to the very object it was computed from.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"

namespace mlgitops {

/// "/metadata/annotations/argocd.argoproj.io~1sync-wave": a JSON pointer (RFC 6901) of `path`.
std::string JsonPointer(const std::vector<std::string>& path);

class JsonPatchBuilder {
 public:
  /// Copies `object`: later operations see what earlier ones created.
  explicit JsonPatchBuilder(const JsonValue& object);
  JsonPatchBuilder(const JsonPatchBuilder&) = delete;
  JsonPatchBuilder& operator=(const JsonPatchBuilder&) = delete;

  enum class Outcome {
    kAdded,
    kPresent,  // already there: nothing to do
    kBlocked,  // something on the way is neither a map (list) nor absent: left alone
  };

  /// Sets `key` in the map at `map_path` (e.g. {"metadata", "labels"}) unless it is set.
  Outcome AddMapEntry(const std::vector<std::string>& map_path, std::string_view key,
                      std::string_view value);
  /// Appends `value` to the list at `list_path`.
  Outcome AppendToList(const std::vector<std::string>& list_path, std::string_view value);

  bool empty() const { return operations_.Empty(); }
  /// The operations as a JSON array.
  std::string ToJson() const;

 private:
  struct Walk {
    JsonValue* node = nullptr;  // the deepest existing value on the path
    size_t depth = 0;           // how many path steps exist
    bool blocked = false;
  };
  Walk Follow(const std::vector<std::string>& path);
  /// Adds `leaf` at `path`, creating the maps below the deepest existing one.
  void AddBelow(const Walk& walk, const std::vector<std::string>& path, JsonValue leaf);
  void Emit(const std::string& pointer, const JsonValue& value);
  JsonValue String(std::string_view text);

  JsonAllocator allocator_;
  JsonValue shadow_;
  JsonValue operations_{rapidjson::kArrayType};
};

}  // namespace mlgitops
