// ML conventions: every object's role (foundation, storage, training, ...) and its sync wave.
// Roles come from a label, else from configurable kind and component rules; waves from Argo CD's
// annotations, else the role's default wave. Pure functions; Conventions is a plain value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "object/object.h"
#include "object/status.h"

namespace mlgitops {

inline constexpr std::string_view kRoleLabel = "mlgitops.io/role";
inline constexpr std::string_view kComponentLabel = "app.kubernetes.io/component";
inline constexpr std::string_view kSlaAnnotation = "mlgitops.io/sla";
inline constexpr std::string_view kSyncWaveAnnotation = "argocd.argoproj.io/sync-wave";
inline constexpr std::string_view kHelmHookWeightAnnotation = "helm.sh/hook-weight";

inline constexpr std::string_view kRoleFoundation = "foundation";
inline constexpr std::string_view kRoleStorage = "storage";
inline constexpr std::string_view kRoleFeaturePipeline = "feature-pipeline";
inline constexpr std::string_view kRoleTraining = "training";
inline constexpr std::string_view kRoleModelServing = "model-serving";
inline constexpr std::string_view kRoleMonitoring = "monitoring";

/// How a rule's findings are reported; a rule absent from Conventions::rule_modes keeps its
/// default severity (AllRules()).
enum class RuleMode { kDeny, kWarn, kOff };

/// The configuration behind roles, waves and rules: DefaultConventions(), or a YAML file read by
/// LoadConventions() and laid over the defaults. Every section is optional:
///
///   inheritDefaults: true       # false: start from nothing instead of the built-in tables
///   roles:                      # role -> default sync wave (integer, may be negative);
///     training: 5               #   replaces that role's wave, new names add roles
///   kinds:                      # role -> "group/Kind" ("Kind" alone: core group, "*/Kind":
///     training: [batch/Job]     #   any group); each entry moves that kind to the role;
///     none: [batch.volcano.sh/Job]  # "none" removes a kind's role
///   components:                 # role -> app.kubernetes.io/component values that make an
///     model-serving: [server]   #   apps Deployment/StatefulSet that role (replaces the list)
///   gpuResources: [nvidia.com/gpu, amd.com/gpu]   # replaces the list
///   rules:                      # rule id -> deny | warn | off ("enforce" = deny); replaces
///     pipeline-sla: "off"       #   the rule's default severity (an unquoted off, which YAML
///                               #   1.1 reads as false, means off too)
///   webhook: {...}              # the admission webhook's settings (webhook_config.h)
///
/// The built-in tables are in conventions_config.cc; tests/fixtures/policy/conventions.yaml
/// is a sample.
struct Conventions {
  /// Known roles and their default sync waves. The empty role (none) is always wave 0.
  std::map<std::string, int64_t, std::less<>> role_waves;
  /// (API group, kind) -> role. Group "" is the core group, "*" any group (an exact group
  /// wins). An empty role means "no role".
  std::map<std::pair<std::string, std::string>, std::string, std::less<>> kind_roles;
  /// app.kubernetes.io/component value -> role, for apps Deployments and StatefulSets.
  std::map<std::string, std::string, std::less<>> component_roles;
  /// Extended resources whose requests must equal their limits.
  std::vector<std::string> gpu_resources;
  std::map<std::string, RuleMode, std::less<>> rule_modes;

  bool IsKnownRole(std::string_view role) const;
  /// "feature-pipeline, foundation, ...": the known roles, for messages.
  std::string RoleList() const;
  /// The role's default wave: 0 for "" and for unknown roles.
  int64_t DefaultWave(std::string_view role) const;
  /// The role the kind rules give (group, kind), "" when none.
  std::string RoleOfKind(std::string_view group, std::string_view kind) const;
};

/// The built-in conventions (the design's roles table).
const Conventions& DefaultConventions();
/// Parses a conventions YAML document laid over the defaults; errors name `origin` and field.
Result<Conventions> ParseConventions(std::string_view yaml, const std::string& origin);
/// Reads and parses a conventions file; errors name the file and the field.
Result<Conventions> LoadConventions(const std::string& path);
/// One already-parsed conventions document laid over the defaults. A `webhook:` section belongs
/// to the admission webhook (admission/webhook_config.h) and is skipped, so `lint --config` and
/// the webhook can share one file.
Result<Conventions> ConventionsFromDocument(const JsonValue& root, const std::string& origin);

/// Where an object's role came from.
enum class RoleSource {
  kNone,       // no rule matched: Argo CD's default wave 0
  kLabel,      // mlgitops.io/role
  kComponent,  // app.kubernetes.io/component on a Deployment/StatefulSet
  kKind,       // the kind rules
  kTarget,     // a Service/HPA/PDB/ScaledObject took the role of the workload it serves
};
enum class WaveSource { kSyncWave, kHelmHookWeight, kRoleDefault };

std::string_view RoleSourceName(RoleSource source);  // "none", "label", "component", ...
std::string_view WaveSourceName(WaveSource source);  // "sync-wave", "hook-weight", "role"

struct Classified {
  std::string role;  // "" when none
  RoleSource role_source = RoleSource::kNone;
  int64_t wave = 0;
  WaveSource wave_source = WaveSource::kRoleDefault;
};

/// A wave annotation's integer: optional sign, digits, surrounding whitespace allowed.
std::optional<int64_t> ParseWave(std::string_view text);

/// The object's sync wave, the one computation every caller shares: a valid
/// argocd.argoproj.io/sync-wave, else a valid helm.sh/hook-weight, else `role_default`.
struct Wave {
  int64_t value = 0;
  WaveSource source = WaveSource::kRoleDefault;
};
Wave ComputeWave(const Object& obj, int64_t role_default);

/// apps Deployments and StatefulSets: the kinds the component label applies to, and the ones
/// Services, HPAs and PDBs take their role from.
bool IsComponentWorkload(const Object& obj);

/// Argo CD Applications: argoproj.io's and mlgitops.io's own, which reads the same spec.
bool IsApplicationObject(const Object& obj);

/// A sync hook (argocd.argoproj.io/hook or helm.sh/hook): a step of the sync, not part of the ML
/// platform, so it gets no inferred role and no role wave.
bool IsSyncHook(const Object& obj);

/// The work Classify did: workloads checked against a Service, PDB, HPA or ScaledObject.
struct ClassifyStats {
  size_t link_checks = 0;
};

/// Role and wave of every object, index for index. Services, HPAs, PDBs and KEDA ScaledObjects
/// without a role of their own take the role of the Deployment/StatefulSet they select or
/// target in the same namespace (the first one, in input order). The workloads are indexed by
/// pod template labels and names, so each of those looks only at workloads it could serve.
std::vector<Classified> Classify(const std::vector<Object>& objects, const Conventions& conventions,
                                 ClassifyStats* stats = nullptr);
/// One object without the others (admission): nothing takes a role from its targets.
Classified ClassifyObject(const Object& obj, const Conventions& conventions);

}  // namespace mlgitops
