// FieldSet: a set of field paths in the managedFields "FieldsV1" shape ("f:spec", "k:{...}",
// "v:...", "."), and how to compute one from an object or from the change between two objects.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kubesim/merge_schema.h"
#include "object/object.h"

namespace mlgitops::kubesim {

class FieldSet {
 public:
  bool empty() const;
  /// Whether the node itself (a leaf, or "." of a map/list item) is in the set.
  bool self() const { return self_; }
  const std::map<std::string, FieldSet>& children() const { return children_; }

  FieldSet Union(const FieldSet& other) const;
  FieldSet Minus(const FieldSet& other) const;
  FieldSet Intersect(const FieldSet& other) const;

  /// The FieldsV1 JSON object for this set.
  JsonValue ToFieldsV1(JsonAllocator& a) const;
  static FieldSet FromFieldsV1(const JsonValue& v);
  /// Human paths of the members, e.g. ".spec.replicas", `.spec.containers[name="web"].image`.
  std::vector<std::string> Paths() const;

  /// The fields set in `object` (apiVersion, kind and server-owned metadata excluded;
  /// status only when `include_status`).
  static FieldSet Of(const JsonValue& object, const MergeSchema& schema, bool include_status);
  /// Fields whose value differs between `before` and `after` (added or changed).
  static FieldSet Changed(const JsonValue& before, const JsonValue& after,
                          const MergeSchema& schema, bool include_status);

  FieldSet& Child(const std::string& key) { return children_[key]; }
  void set_self(bool self) { self_ = self; }

 private:
  bool self_ = false;
  std::map<std::string, FieldSet> children_;
};

/// Removes from `object` every member of `fields` (leaves, list items, set values).
void RemoveFields(JsonValue& object, const FieldSet& fields, const MergeSchema& schema);

}  // namespace mlgitops::kubesim
