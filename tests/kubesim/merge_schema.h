// How lists merge, for strategic merge patch and server-side apply: by key (containers by
// name, ports by port number, ...), as sets (finalizers) or atomically (replaced whole).
// Built-in kinds use the merge keys Kubernetes declares; custom resources use the
// x-kubernetes-list-type markers of their CRD schema.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kubesim/catalog.h"
#include "object/object.h"

namespace mlgitops::kubesim {

struct ListStrategy {
  enum class Kind { kAtomic, kMap, kSet };
  Kind kind = Kind::kAtomic;
  /// For kMap: server-side apply's list-map keys. Strategic merge patch merges by the first
  /// alone (its patchMergeKey): container ports by containerPort, apply by containerPort and
  /// protocol.
  std::vector<std::string> keys;
  /// Key fields the server defaults when absent (protocol: TCP), so keys match live objects.
  std::vector<std::pair<std::string, std::string>> key_defaults;
};

class MergeSchema {
 public:
  explicit MergeSchema(const ResourceType& type) : type_(type) {}
  /// The strategy for the list at `path` (field names joined by '.', list levels omitted,
  /// e.g. "spec.template.spec.containers.ports"); `list` is consulted to tell container ports
  /// (keyed by containerPort) from service ports (keyed by port).
  ListStrategy ForList(const std::string& path, const JsonValue& list) const;

 private:
  const ResourceType& type_;
};

/// The key of one list item under `strategy`, as JSON text ({"name":"web"}), "" if a key
/// field is missing; `merge_key_only` uses the first key alone (strategic merge patch).
std::string ItemKey(const ListStrategy& strategy, const JsonValue& item,
                    bool merge_key_only = false);
/// A field name appended to a schema path.
std::string ChildPath(const std::string& path, const std::string& field);

}  // namespace mlgitops::kubesim
