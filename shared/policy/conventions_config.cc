// The built-in conventions and the YAML reader that lays a conventions file over them.
#include <set>

#include "object/yaml_loader.h"
#include "policy/conventions.h"
#include "policy/findings.h"

namespace mlgitops {

namespace {

// The design's roles table. Parsed once by DefaultConventions(); a test keeps it valid.
constexpr std::string_view kBuiltinConventions = R"(
roles:
  foundation: 0
  storage: 1
  feature-pipeline: 2
  training: 2
  model-serving: 3
  monitoring: 4
kinds:
  foundation:
    - Namespace
    - ConfigMap
    - Secret
    - ServiceAccount
    - ResourceQuota
    - LimitRange
    - rbac.authorization.k8s.io/Role
    - rbac.authorization.k8s.io/RoleBinding
    - rbac.authorization.k8s.io/ClusterRole
    - rbac.authorization.k8s.io/ClusterRoleBinding
    - apiextensions.k8s.io/CustomResourceDefinition
    - scheduling.k8s.io/PriorityClass
    - networking.k8s.io/NetworkPolicy
  storage:
    - PersistentVolumeClaim
    - PersistentVolume
    - storage.k8s.io/StorageClass
  feature-pipeline:
    - batch/CronJob
    - argoproj.io/Workflow
    - argoproj.io/CronWorkflow
    - sparkoperator.k8s.io/SparkApplication
    - sparkoperator.k8s.io/ScheduledSparkApplication
    - feast.dev/FeatureStore
  training:
    - batch/Job
    - kubeflow.org/TFJob
    - kubeflow.org/PyTorchJob
    - kubeflow.org/MPIJob
    - kubeflow.org/XGBoostJob
    - kubeflow.org/PaddleJob
    - kubeflow.org/JAXJob
    - trainer.kubeflow.org/TrainJob
    - ray.io/RayJob
    - batch.volcano.sh/Job
  model-serving:
    - serving.kserve.io/InferenceService
    - serving.kserve.io/LLMInferenceService
    - serving.kserve.io/InferenceGraph
    - machinelearning.seldon.io/SeldonDeployment
    - mlops.seldon.io/Model
    - mlops.seldon.io/Server
    - ray.io/RayService
    - serving.knative.dev/Service
  monitoring:
    - monitoring.coreos.com/ServiceMonitor
    - monitoring.coreos.com/PodMonitor
    - monitoring.coreos.com/PrometheusRule
    - monitoring.coreos.com/Probe
    - monitoring.coreos.com/AlertmanagerConfig
    - grafana.integreatly.org/GrafanaDashboard
    - integreatly.org/GrafanaDashboard
components:
  model-serving: [model-server, inference, predictor]
  feature-pipeline: [feature-store, feature-server]
gpuResources: [nvidia.com/gpu, amd.com/gpu]
)";

// The pseudo-role under `kinds` that takes a kind's role away.
constexpr std::string_view kNoRole = "none";

std::string Quoted(const JsonValue& v) {
  std::string text = ToJson(v);
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

std::string StringOf(const JsonValue& v) { return std::string(v.GetString(), v.GetStringLength()); }

/// Reads one conventions document into a Conventions value; errors say "<origin>: <field>: ...".
class ConventionsReader {
 public:
  ConventionsReader(const std::string& origin, Conventions* out) : origin_(origin), out_(out) {}

  Status Read(const JsonValue& root) {
    if (!root.IsObject()) return Error("(top level)", "expected a mapping, got " + Quoted(root));
    Status s = CheckFields(root);
    if (s.ok()) s = ReadInherit(root);
    // Roles first: the other sections name them.
    if (s.ok()) s = ReadSection(root, "roles", &ConventionsReader::ReadRoles);
    if (s.ok()) s = ReadSection(root, "kinds", &ConventionsReader::ReadKinds);
    if (s.ok()) s = ReadSection(root, "components", &ConventionsReader::ReadComponents);
    if (s.ok()) s = ReadSection(root, "gpuResources", &ConventionsReader::ReadGpuResources);
    if (s.ok()) s = ReadSection(root, "rules", &ConventionsReader::ReadRules);
    return s;
  }

 private:
  using SectionFn = Status (ConventionsReader::*)(const JsonValue&);

  Status Error(const std::string& field, const std::string& problem) const {
    return Status::InvalidArgument(origin_ + ": " + field + ": " + problem);
  }

  Status CheckFields(const JsonValue& root) const {
    static const std::set<std::string, std::less<>> known = {
        "apiVersion", "kind",         "inheritDefaults", "roles",  "kinds",
        "components", "gpuResources", "rules",           "webhook"};
    for (auto it = root.MemberBegin(); it != root.MemberEnd(); ++it) {
      if (!known.count(StringOf(it->name))) {
        return Error(StringOf(it->name),
                     "unknown field (expected inheritDefaults, roles, kinds, components, "
                     "gpuResources, rules or webhook)");
      }
    }
    return Status::OK();
  }

  Status ReadInherit(const JsonValue& root) {
    const JsonValue* inherit = Find(root, "inheritDefaults");
    if (!inherit) return Status::OK();
    if (!inherit->IsBool()) return Error("inheritDefaults", "expected true or false");
    if (!inherit->GetBool()) *out_ = Conventions();
    return Status::OK();
  }

  Status ReadSection(const JsonValue& root, const char* name, SectionFn fn) {
    const JsonValue* section = Find(root, name);
    if (!section || section->IsNull()) return Status::OK();
    return (this->*fn)(*section);
  }

  Status ReadRoles(const JsonValue& roles) {
    if (!roles.IsObject()) return Error("roles", "expected a mapping of role to wave");
    for (auto it = roles.MemberBegin(); it != roles.MemberEnd(); ++it) {
      std::string role = StringOf(it->name);
      std::string field = "roles." + role;
      if (role.empty() || role == kNoRole) return Error(field, "reserved role name");
      std::optional<int64_t> wave;
      if (it->value.IsInt64()) wave = it->value.GetInt64();
      if (it->value.IsString()) wave = ParseWave(StringOf(it->value));
      if (!wave) return Error(field, "expected an integer wave, got " + Quoted(it->value));
      out_->role_waves[role] = *wave;
    }
    return Status::OK();
  }

  Status RequireKnownRole(const std::string& field, const std::string& role) const {
    if (out_->IsKnownRole(role)) return Status::OK();
    return Error(field, "unknown role \"" + role + "\" (known: " + out_->RoleList() + ")");
  }

  Status ReadStringList(const JsonValue& list, const std::string& field,
                        std::vector<std::string>* out) const {
    if (!list.IsArray()) return Error(field, "expected a list of strings");
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      if (!list[i].IsString() || list[i].GetStringLength() == 0) {
        return Error(field + "[" + std::to_string(i) + "]",
                     "expected a non-empty string, got " + Quoted(list[i]));
      }
      out->push_back(StringOf(list[i]));
    }
    return Status::OK();
  }

  Status ReadKinds(const JsonValue& kinds) {
    if (!kinds.IsObject()) return Error("kinds", "expected a mapping of role to kinds");
    std::map<std::pair<std::string, std::string>, std::string> seen;
    for (auto it = kinds.MemberBegin(); it != kinds.MemberEnd(); ++it) {
      std::string role = StringOf(it->name);
      std::string field = "kinds." + role;
      if (role != kNoRole) {
        if (Status s = RequireKnownRole(field, role); !s.ok()) return s;
      }
      std::vector<std::string> entries;
      if (Status s = ReadStringList(it->value, field, &entries); !s.ok()) return s;
      for (size_t i = 0; i < entries.size(); ++i) {
        std::string entry_field = field + "[" + std::to_string(i) + "]";
        size_t slash = entries[i].rfind('/');
        std::string group = slash == std::string::npos ? "" : entries[i].substr(0, slash);
        std::string kind = slash == std::string::npos ? entries[i] : entries[i].substr(slash + 1);
        if (kind.empty() || kind.find_first_of(" \t") != std::string::npos) {
          return Error(entry_field,
                       "expected \"group/Kind\" or \"Kind\", got \"" + entries[i] + "\"");
        }
        auto key = std::make_pair(group, kind);
        if (auto prior = seen.find(key); prior != seen.end()) {
          return Error(entry_field, "\"" + entries[i] + "\" is also listed under " + prior->second);
        }
        seen[key] = role;
        out_->kind_roles[key] = role == kNoRole ? "" : role;
      }
    }
    return Status::OK();
  }

  Status ReadComponents(const JsonValue& components) {
    if (!components.IsObject()) return Error("components", "expected a mapping of role to values");
    std::map<std::string, std::string> assigned;  // value -> role, from this file
    for (auto it = components.MemberBegin(); it != components.MemberEnd(); ++it) {
      std::string role = StringOf(it->name);
      std::string field = "components." + role;
      if (Status s = RequireKnownRole(field, role); !s.ok()) return s;
      std::vector<std::string> values;
      if (Status s = ReadStringList(it->value, field, &values); !s.ok()) return s;
      for (auto entry = out_->component_roles.begin(); entry != out_->component_roles.end();) {
        entry = entry->second == role ? out_->component_roles.erase(entry) : std::next(entry);
      }
      for (size_t i = 0; i < values.size(); ++i) {
        if (auto prior = assigned.find(values[i]);
            prior != assigned.end() && prior->second != role) {
          return Error(field + "[" + std::to_string(i) + "]",
                       "\"" + values[i] + "\" is also listed under " + prior->second);
        }
        assigned[values[i]] = role;
        out_->component_roles[values[i]] = role;
      }
    }
    return Status::OK();
  }

  Status ReadGpuResources(const JsonValue& list) {
    std::vector<std::string> resources;
    if (Status s = ReadStringList(list, "gpuResources", &resources); !s.ok()) return s;
    out_->gpu_resources = std::move(resources);
    return Status::OK();
  }

  Status ReadRules(const JsonValue& rules) {
    if (!rules.IsObject()) return Error("rules", "expected a mapping of rule id to mode");
    for (auto it = rules.MemberBegin(); it != rules.MemberEnd(); ++it) {
      std::string id = StringOf(it->name);
      std::string field = "rules." + id;
      if (!FindRule(id)) {
        std::string ids;
        for (const RuleInfo& r : AllRules()) ids += (ids.empty() ? "" : ", ") + std::string(r.id);
        return Error(field, "unknown rule (known: " + ids + ")");
      }
      std::optional<RuleMode> mode;
      // YAML 1.1 reads an unquoted `off` as false.
      if (it->value.IsBool() && !it->value.GetBool()) mode = RuleMode::kOff;
      if (it->value.IsString()) {
        std::string text = StringOf(it->value);
        if (text == "deny" || text == "enforce") mode = RuleMode::kDeny;
        if (text == "warn") mode = RuleMode::kWarn;
        if (text == "off") mode = RuleMode::kOff;
      }
      if (!mode) return Error(field, "expected deny, warn or off, got " + Quoted(it->value));
      out_->rule_modes[id] = *mode;
    }
    return Status::OK();
  }

  const std::string& origin_;
  Conventions* out_;
};

Result<Conventions> ReadOver(const JsonValue& root, const std::string& origin, Conventions base) {
  ConventionsReader reader(origin, &base);
  if (Status s = reader.Read(root); !s.ok()) return s;
  return base;
}

Result<Conventions> ParseOver(std::string_view yaml, const std::string& origin, Conventions base) {
  auto docs = ParseYamlStream(yaml, origin);
  if (!docs.ok()) return docs.status();
  if (docs->size() > 1) {
    return Status::InvalidArgument(origin + ": expected one YAML document, found " +
                                   std::to_string(docs->size()));
  }
  if (docs->empty()) return base;
  return ReadOver((*docs)[0].json(), origin, std::move(base));
}

}  // namespace

const Conventions& DefaultConventions() {
  static const Conventions defaults = [] {
    auto parsed = ParseOver(kBuiltinConventions, "built-in conventions", Conventions());
    return parsed.ok() ? std::move(parsed).value() : Conventions();
  }();
  return defaults;
}

Result<Conventions> ParseConventions(std::string_view yaml, const std::string& origin) {
  return ParseOver(yaml, origin, DefaultConventions());
}

Result<Conventions> ConventionsFromDocument(const JsonValue& root, const std::string& origin) {
  return ReadOver(root, origin, DefaultConventions());
}

Result<Conventions> LoadConventions(const std::string& path) {
  constexpr size_t kMaxConventionsBytes = 1u << 20;
  auto text = ReadFileLimited(path, kMaxConventionsBytes, path);
  if (!text.ok()) return text.status();
  return ParseConventions(*text, path);
}

}  // namespace mlgitops
