// Object: one Kubernetes manifest as a JSON tree (RapidJSON), plus where it came from.
// Objects own their memory (a small pool each) and are cheap to move; Clone() deep-copies.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlgitops {

using JsonValue = rapidjson::Value;
using JsonAllocator = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;

/// group/kind/namespace/name of an object: how messages and plans name it.
struct ObjectRef {
  std::string group;  // "" for the core group
  std::string kind;
  std::string namespace_;
  std::string name;
  /// "Kind ns/name" or "Kind name" (cluster-scoped), with "group/" when the group is set.
  std::string ToString() const;
  bool operator==(const ObjectRef& o) const {
    return group == o.group && kind == o.kind && namespace_ == o.namespace_ && name == o.name;
  }
};

class Object {
 public:
  /// An empty JSON object `{}`.
  Object();
  Object(Object&&) noexcept = default;
  Object& operator=(Object&&) noexcept = default;
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  /// Takes `value`, which must have been allocated with `allocator` (or hold no allocations).
  Object(std::unique_ptr<JsonAllocator> allocator, JsonValue&& value, std::string origin);
  Object Clone() const;

  const JsonValue& json() const { return root_; }
  JsonValue& mutable_json() { return root_; }
  JsonAllocator& allocator() { return *allocator_; }

  /// Where the object was read from, e.g. "apps/train.yaml (document 2)"; may be empty.
  const std::string& origin() const { return origin_; }
  void set_origin(std::string origin) { origin_ = std::move(origin); }

  std::string api_version() const;
  std::string group() const;    // from apiVersion: "apps/v1" -> "apps", "v1" -> ""
  std::string version() const;  // "apps/v1" -> "v1"
  std::string kind() const;
  std::string name() const;  // metadata.name, else metadata.generateName
  std::string namespace_() const;
  ObjectRef ref() const;

  /// metadata.labels[key] / metadata.annotations[key]; nullopt when absent or not a string.
  std::optional<std::string> label(std::string_view key) const;
  std::optional<std::string> annotation(std::string_view key) const;
  void SetAnnotation(std::string_view key, std::string_view value);
  void SetNamespace(std::string_view ns);
  void ClearNamespace();

 private:
  std::unique_ptr<JsonAllocator> allocator_;
  JsonValue root_;
  std::string origin_;
};

/// A fresh pool sized for one manifest (RapidJSON's default 64 KiB chunk would cost
/// 640 MB for 10,000 objects).
std::unique_ptr<JsonAllocator> NewObjectAllocator();

// ---- Reading JSON trees by dotted path ("status.conditions", "spec.template.spec"). ----

/// The value at `path` below `v`, or nullptr when any step is missing or not an object.
const JsonValue* Find(const JsonValue& v, std::string_view path);
/// The string at `path`, or `fallback` when missing or not a string.
std::string GetString(const JsonValue& v, std::string_view path, std::string_view fallback = "");
/// The integer at `path` (also accepts integral doubles and integer strings).
std::optional<int64_t> GetInt(const JsonValue& v, std::string_view path);
std::optional<double> GetNumber(const JsonValue& v, std::string_view path);
std::optional<bool> GetBool(const JsonValue& v, std::string_view path);
/// The element of the array at `array_path` whose `type` member equals `type`
/// (Kubernetes conditions), or nullptr.
const JsonValue* FindCondition(const JsonValue& v, std::string_view type,
                               std::string_view array_path = "status.conditions");
/// A member's string value, "" when absent: for reading condition fields.
std::string MemberString(const JsonValue& v, const char* member);

/// Compact (or indented) JSON text.
std::string ToJson(const JsonValue& v, bool pretty = false);

}  // namespace mlgitops
