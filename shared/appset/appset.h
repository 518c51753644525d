// ApplicationSet: an Argo CD (argoproj.io/v1alpha1) or mlgitops (mlgitops.io/v1alpha1)
// ApplicationSet as structs. Parse errors name file, object and field.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "object/object.h"
#include "object/status.h"
#include "object/yaml_loader.h"

namespace mlgitops {

/// A Kubernetes label selector (matchLabels AND every matchExpressions requirement).
struct LabelSelector {
  struct Requirement {
    std::string key;
    std::string op;  // In, NotIn, Exists, DoesNotExist
    std::vector<std::string> values;
  };
  std::map<std::string, std::string> match_labels;
  std::vector<Requirement> match_expressions;

  bool Empty() const { return match_labels.empty() && match_expressions.empty(); }
  /// `lookup(key)` returns the label's value, or nullptr when the label is absent.
  template <typename Lookup>
  bool Matches(const Lookup& lookup) const;
};

struct ListGenerator {
  std::shared_ptr<const Object> elements;  // a JSON array (empty when absent)
  std::string elements_yaml;               // a YAML list of maps, often rendered by a matrix
};

struct ClustersGenerator {
  LabelSelector selector;
  std::map<std::string, std::string> values;  // each a template over the cluster's params
};

struct GitPathPattern {
  std::string path;  // glob: `*` stays inside one path segment, `**` crosses them
  bool exclude = false;
};

struct GitGenerator {
  std::string repo_url;
  std::string revision = "HEAD";
  std::vector<GitPathPattern> directories;  // set = a directories generator
  std::vector<GitPathPattern> files;        // set = a files generator
  std::string path_param_prefix;
  std::map<std::string, std::string> values;
};

struct GeneratorSpec {
  std::string where;  // "spec.generators[0].matrix.generators[1]", for messages
  std::string kind;   // list, clusters, git, matrix or merge
  ListGenerator list;
  ClustersGenerator clusters;
  GitGenerator git;
  std::vector<GeneratorSpec> children;  // matrix, merge
  std::vector<std::string> merge_keys;  // merge
  std::shared_ptr<const Object> raw;    // the entry as written (a matrix renders its 2nd child)
  std::shared_ptr<const Object> template_override;  // the entry's own `template`, or null
  LabelSelector selector;                           // post-filter on the generated params
};

struct ApplicationSet {
  std::string api_version;
  std::string origin;
  std::string name;
  std::string namespace_;
  bool go_template = false;
  std::vector<std::string> go_template_options;
  bool missing_key_error = false;  // goTemplateOptions holds "missingkey=error"
  std::vector<GeneratorSpec> generators;
  std::shared_ptr<const Object> template_;  // spec.template: Application metadata + spec
  std::string template_patch;
  bool preserve_resources_on_deletion = false;
  std::string applications_sync;  // create-only, create-update, create-delete, sync ("" = sync)
  std::string strategy_type;      // AllAtOnce (default) or RollingSync
  std::string strategy;           // spec.strategy as compact JSON ("" = absent)

  /// "ApplicationSet ml/models".
  std::string DisplayName() const;
};

/// Parses one ApplicationSet object; errors read
/// `appset.yaml (document 1): ApplicationSet ml/models: spec.generators[0]: ...`.
Result<ApplicationSet> ParseApplicationSet(const Object& object);

/// Parses one generator entry (also used for a matrix child rendered with its sibling's params).
Result<GeneratorSpec> ParseGenerator(const JsonValue& entry, const std::string& where);

/// Every ApplicationSet in a YAML/JSON file; any other document is an error naming it.
Result<std::vector<ApplicationSet>> LoadApplicationSetFile(const std::string& path,
                                                           const LoadLimits& limits = LoadLimits());

/// True for kind ApplicationSet in argoproj.io or mlgitops.io.
bool IsApplicationSet(const Object& object);

template <typename Lookup>
bool LabelSelector::Matches(const Lookup& lookup) const {
  for (const auto& [key, value] : match_labels) {
    const std::string* actual = lookup(key);
    if (!actual || *actual != value) return false;
  }
  for (const auto& r : match_expressions) {
    const std::string* actual = lookup(r.key);
    bool listed = false;
    for (const auto& v : r.values) listed = listed || (actual && *actual == v);
    if (r.op == "In" && !listed) return false;
    if (r.op == "NotIn" && listed) return false;
    if (r.op == "Exists" && !actual) return false;
    if (r.op == "DoesNotExist" && actual) return false;
  }
  return true;
}

}  // namespace mlgitops
