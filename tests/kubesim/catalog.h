// The resource types kubesim serves: built-in Kubernetes kinds plus those CRDs add at run time.
// Discovery, routing and storage all look types up here. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mlgitops::kubesim {

/// One column a CRD asks `kubectl get` to print (additionalPrinterColumns).
struct PrinterColumn {
  std::string name;
  std::string type;  // string, integer, number, boolean, date
  std::string json_path;
  std::string description;
  int priority = 0;
};

struct ResourceType {
  std::string group;  // "" for core
  std::string version;
  std::string kind;
  std::string plural;
  std::string singular;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<std::string> verbs;
  bool has_status = false;        // status subresource: main writes ignore .status
  bool has_scale = false;         // scale subresource: an autoscaling/v1 Scale over spec.replicas
  bool tracks_generation = true;  // metadata.generation bumped on spec changes
  std::string crd_name;           // set for custom resources
  std::vector<PrinterColumn> printer_columns;  // custom resources only
  /// CRD lists declared as maps (x-kubernetes-list-type: map) by dotted path, for merges.
  std::map<std::string, std::vector<std::string>> list_map_keys;
  // A CRD's scale subresource paths without the leading dot ("spec.replicas"); "" for built-ins.
  std::string scale_spec_path, scale_status_path, scale_selector_path;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  /// Version-independent storage key, e.g. "apps/deployments".
  std::string storage_key() const { return group + "/" + plural; }
};

/// A served group/version and whether it is the group's preferred one.
struct GroupVersions {
  std::string group;
  std::vector<std::string> versions;  // preferred first
};

/// ASCII lowercase: singular resource names are lowercased kinds.
std::string Lowercase(std::string s);

class Catalog {
 public:
  /// A catalog holding the built-in types.
  Catalog();

  std::optional<ResourceType> Find(const std::string& group, const std::string& version,
                                   const std::string& plural) const;
  std::optional<ResourceType> FindByKind(const std::string& group, const std::string& version,
                                         const std::string& kind) const;
  /// Any served version of group/plural (for storage-level operations such as namespace cleanup).
  std::vector<ResourceType> All() const;
  std::vector<GroupVersions> Groups() const;
  /// Types served under one group/version, in registration order.
  std::vector<ResourceType> InGroupVersion(const std::string& group,
                                           const std::string& version) const;

  /// Replaces every type registered by the CRD `crd_name` with `types` (empty: unregister).
  void SetCustomTypes(const std::string& crd_name, std::vector<ResourceType> types);

 private:
  mutable std::mutex mu_;
  std::vector<ResourceType> types_;
  std::vector<std::string> group_order_;  // groups in the order /apis lists them
};

}  // namespace mlgitops::kubesim
