// Application: an Argo CD (argoproj.io/v1alpha1) or mlgitops (mlgitops.io/v1alpha1) Application
// as plain structs, with Argo CD's defaults applied. Parse errors name file, object and field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"
#include "object/status.h"
#include "object/yaml_loader.h"

namespace mlgitops {

/// Blocks this project does not interpret yet are kept as compact JSON text ("" = absent).
using RawJson = std::string;

struct ApplicationSourceDirectory {
  bool recurse = false;  // only files directly in `path` unless set
  std::string include;   // glob; "" = everything
  std::string exclude;   // glob; wins over include
  /// mlgitops extension (not in Argo CD): consider every file, not only .yaml/.yml/.json.
  bool disable_extension_filter = false;
  RawJson jsonnet;
};

struct HelmParameter {
  std::string name;
  std::string value;
  bool force_string = false;
};

struct HelmFileParameter {
  std::string name;
  std::string path;
};

struct ApplicationSourceHelm {
  std::vector<std::string> value_files;  // relative to `path`, or `$ref/...`
  std::string values;                    // inline values text
  RawJson values_object;                 // wins over `values` when set
  std::vector<HelmParameter> parameters;
  std::vector<HelmFileParameter> file_parameters;
  std::string release_name;  // "" = the Application's name
  std::string namespace_;    // "" = destination namespace
  std::string version;
  std::string kube_version;
  std::vector<std::string> api_versions;
  bool skip_crds = false;
  bool skip_tests = false;
  bool skip_schema_validation = false;
  bool ignore_missing_value_files = false;
  bool pass_credentials = false;
  RawJson raw;  // the whole block
};

struct ApplicationSourceKustomize {
  std::string name_prefix;
  std::string name_suffix;
  std::string namespace_;
  RawJson raw;  // the whole block (images, patches, replicas, ...)
};

struct ApplicationSource {
  std::string repo_url;
  std::string target_revision = "HEAD";
  std::string path;
  std::string chart;  // Helm repository charts only
  std::string ref;    // multi-source: referenced as `$<ref>/...`
  std::string name;
  std::string tag_prefix;
  std::optional<ApplicationSourceDirectory> directory;  // set = explicitly a directory source
  std::optional<ApplicationSourceHelm> helm;
  std::optional<ApplicationSourceKustomize> kustomize;
  std::optional<RawJson> plugin;
};

struct ApplicationDestination {
  std::string server;  // trailing '/' trimmed
  std::string name;
  std::string namespace_;
};

struct AutomatedSync {
  std::optional<bool> enabled;  // nil reads as true
  bool prune = false;
  bool self_heal = false;
  bool allow_empty = false;
  bool Enabled() const { return enabled.value_or(true); }
};

struct RetryBackoff {
  int64_t duration_seconds = 5;  // "5s", "2m" or a plain number of seconds
  int64_t factor = 2;
  int64_t max_duration_seconds = 180;
};

struct RetryStrategy {
  int64_t limit = 0;  // negative = unlimited
  RetryBackoff backoff;
  bool refresh = false;
};

struct ManagedNamespaceMetadata {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

struct SyncPolicy {
  std::optional<AutomatedSync> automated;
  std::vector<std::string> sync_options;  // as written, e.g. "CreateNamespace=true"
  /// "Key=value" split at the first '='; an entry without '=' maps to "". Later entries win.
  std::map<std::string, std::string, std::less<>> sync_option_values;
  std::optional<RetryStrategy> retry;
  std::optional<ManagedNamespaceMetadata> managed_namespace_metadata;

  bool AutoSyncEnabled() const { return automated && automated->Enabled(); }
  /// The value given for `key`, compared exactly as Argo CD does ("true", not "True").
  std::optional<std::string> SyncOption(std::string_view key) const;
  bool SyncOptionTrue(std::string_view key) const;
};

struct IgnoreDifference {
  std::string group;  // "" = core; "*" allowed
  std::string kind;   // required; "*" allowed
  std::string name;
  std::string namespace_;
  std::vector<std::string> json_pointers;
  std::vector<std::string> jq_path_expressions;
  std::vector<std::string> managed_fields_managers;
};

struct InfoEntry {
  std::string name;
  std::string value;
};

struct Application {
  std::string api_version;  // "argoproj.io/v1alpha1" or "mlgitops.io/v1alpha1"
  std::string origin;       // where it was read from, e.g. "apps/fraud.yaml (document 1)"
  std::string name;
  std::string namespace_;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> finalizers;

  std::string project = "default";
  /// The effective sources: `spec.sources` when non-empty, else the one `spec.source`.
  std::vector<ApplicationSource> sources;
  bool multi_source = false;  // came from `spec.sources`
  ApplicationDestination destination;
  SyncPolicy sync_policy;
  std::vector<IgnoreDifference> ignore_differences;
  int64_t revision_history_limit = 10;
  std::vector<InfoEntry> info;
  RawJson source_hydrator;

  /// Fields present but unknown here (typos such as `selfheal`), as "path: unknown field".
  std::vector<std::string> warnings;

  /// "Application ml/fraud" (or "Application fraud" without a namespace).
  std::string DisplayName() const;
};

/// Parses one Application object. Fails with InvalidArgument naming the origin, the
/// Application and the field path, e.g.
/// `app.yaml (document 1): Application ml/fraud: spec.syncPolicy.retry.limit: expected an
/// integer, got "five"`.
Result<Application> ParseApplication(const Object& object);

/// Loads every Application in a YAML/JSON file (Lists are expanded). Any other document is
/// an error naming it; an ApplicationSet is refused with a pointer to
/// `appset generate` (shared/appset/ expands them).
Result<std::vector<Application>> LoadApplicationFile(const std::string& path,
                                                     const LoadLimits& limits = LoadLimits());

}  // namespace mlgitops
