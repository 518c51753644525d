// The policy rules: waves, role labels, serving probes, training bounds, pipeline SLAs, GPU
// requests, InferenceService models, Application paths and destinations, serving-after-pipeline.
#include "policy/rules.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "object/timeutil.h"
#include "policy/containers.h"

namespace mlgitops {

namespace {

/// "Deployment ml/ranker": how messages name an object.
std::string Subject(const Object& obj) {
  std::string ns = obj.namespace_();
  return obj.kind() + " " + (ns.empty() ? "" : ns + "/") + obj.name();
}

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

/// Collects findings for one rule set, applying the configured modes.
class FindingSink {
 public:
  FindingSink(const Conventions& conventions, std::vector<Finding>* out)
      : conventions_(conventions), out_(out) {}

  bool Enabled(std::string_view rule) const { return SeverityOf(rule).has_value(); }

  void Add(std::string_view rule, const Object& obj, const std::string& message) {
    auto severity = SeverityOf(rule);
    if (!severity) return;
    out_->push_back(
        {std::string(rule), *severity, obj.ref(), obj.origin(), Subject(obj) + ": " + message});
  }

 private:
  std::optional<Severity> SeverityOf(std::string_view rule) const {
    auto mode = conventions_.rule_modes.find(rule);
    if (mode == conventions_.rule_modes.end()) {
      const RuleInfo* info = FindRule(rule);
      return info ? std::optional<Severity>(info->default_severity) : std::nullopt;
    }
    switch (mode->second) {
      case RuleMode::kDeny:
        return Severity::kDeny;
      case RuleMode::kWarn:
        return Severity::kWarn;
      case RuleMode::kOff:
        return std::nullopt;
    }
    return std::nullopt;
  }

  const Conventions& conventions_;
  std::vector<Finding>* out_;
};

/// Everything a per-object rule reads.
struct RuleInput {
  const Object& obj;
  const Classified& classified;
  const Conventions& conventions;
};

using ObjectRule = void (*)(const RuleInput& s, FindingSink& sink);

std::string WaveReason(const Classified& c) {
  switch (c.wave_source) {
    case WaveSource::kSyncWave:
      return "from " + std::string(kSyncWaveAnnotation);
    case WaveSource::kHelmHookWeight:
      return "from " + std::string(kHelmHookWeightAnnotation);
    case WaveSource::kRoleDefault:
      return c.role.empty() ? "Argo CD's default" : "the " + c.role + " default";
  }
  return "";
}

/// An annotation as written. Values that are not strings (an unquoted YAML number) are kept as
/// JSON text: the API server refuses them, and Argo CD never sees them.
struct AnnotationValue {
  std::string text;
  bool is_string = true;
  std::string Shown() const { return is_string ? Quote(text) : text + " (not a string)"; }
};

std::optional<AnnotationValue> RawAnnotation(const Object& obj, std::string_view key) {
  const JsonValue* v = Member(Find(obj.json(), "metadata.annotations"), key);
  if (!v) return std::nullopt;
  if (!v->IsString()) return AnnotationValue{ToJson(*v), false};
  return AnnotationValue{std::string(v->GetString(), v->GetStringLength()), true};
}

void CheckWaves(const RuleInput& s, FindingSink& sink) {
  for (std::string_view key : {kSyncWaveAnnotation, kHelmHookWeightAnnotation}) {
    auto value = RawAnnotation(s.obj, key);
    if (!value || (value->is_string && ParseWave(value->text))) continue;
    std::string wave = std::to_string(s.classified.wave);
    sink.Add(kRuleWaveInvalid, s.obj,
             "annotation " + std::string(key) + " " + value->Shown() +
                 " is not an integer string, so it is ignored and the object syncs in wave " +
                 wave + " (" + WaveReason(s.classified) +
                 "); write a quoted whole number such as \"" + wave + "\"");
  }
}

void CheckRoleLabel(const RuleInput& s, FindingSink& sink) {
  auto label = s.obj.label(kRoleLabel);
  if (!label || s.conventions.IsKnownRole(*label)) return;
  std::string fallback = s.classified.role.empty()
                             ? "it gets no role"
                             : "it is treated as " + s.classified.role + " (role from its " +
                                   std::string(RoleSourceName(s.classified.role_source)) + ")";
  sink.Add(kRuleLabelRoleUnknown, s.obj,
           "label " + std::string(kRoleLabel) + " " + Quote(*label) + " is not a known role, so " +
               fallback + "; use one of: " + s.conventions.RoleList());
}

/// Containers that serve traffic: those declaring ports, or all when none does.
std::vector<const JsonValue*> ServingContainers(const JsonValue& containers) {
  std::vector<const JsonValue*> all, with_ports;
  for (const auto& c : containers.GetArray()) {
    if (!c.IsObject()) continue;
    all.push_back(&c);
    const JsonValue* ports = Member(&c, "ports");
    if (ports && ports->IsArray() && !ports->Empty()) with_ports.push_back(&c);
  }
  return with_ports.empty() ? all : with_ports;
}

void CheckReadinessProbes(const RuleInput& s, FindingSink& sink) {
  if (s.classified.role != kRoleModelServing || !IsComponentWorkload(s.obj)) return;
  const JsonValue* containers = Find(s.obj.json(), "spec.template.spec.containers");
  if (!containers || !containers->IsArray()) return;
  for (const JsonValue* c : ServingContainers(*containers)) {
    const JsonValue* probe = Member(c, "readinessProbe");
    if (probe && probe->IsObject()) continue;
    sink.Add(kRuleServingReadinessProbe, s.obj,
             "container " + Quote(MemberString(*c, "name")) +
                 " has no readinessProbe; model-serving pods must report readiness before they "
                 "take traffic (add a readinessProbe, e.g. httpGet /v2/health/ready)");
  }
}

// Where a training kind bounds its retries and its run time ("" = it cannot).
struct TrainingBounds {
  std::string_view group;
  std::string_view kind;  // "" = every kind of the group
  std::string_view backoff_path;
  std::string_view deadline_path;
};

constexpr TrainingBounds kTrainingBounds[] = {
    {"batch", "Job", "spec.backoffLimit", "spec.activeDeadlineSeconds"},
    {"kubeflow.org", "", "spec.runPolicy.backoffLimit", "spec.runPolicy.activeDeadlineSeconds"},
    {"ray.io", "RayJob", "spec.backoffLimit", "spec.activeDeadlineSeconds"},
    {"trainer.kubeflow.org", "TrainJob", "", "spec.activeDeadlineSeconds"},
};

const TrainingBounds* BoundsOf(const RuleInput& s) {
  if (s.classified.role != kRoleTraining) return nullptr;
  std::string group = s.obj.group();
  std::string kind = s.obj.kind();
  for (const TrainingBounds& b : kTrainingBounds) {
    if (b.group == group && (b.kind.empty() || b.kind == kind)) return &b;
  }
  return nullptr;
}

void CheckBackoffLimit(const RuleInput& s, FindingSink& sink) {
  const TrainingBounds* bounds = BoundsOf(s);
  if (!bounds || bounds->backoff_path.empty()) return;
  auto limit = GetInt(s.obj.json(), bounds->backoff_path);
  if (limit && *limit >= 0) return;
  sink.Add(kRuleTrainingBackoffLimit, s.obj,
           "training job has no " + std::string(bounds->backoff_path) +
               "; set it so a failing run stops retrying instead of burning accelerator time");
}

void CheckDeadline(const RuleInput& s, FindingSink& sink) {
  const TrainingBounds* bounds = BoundsOf(s);
  if (!bounds || bounds->deadline_path.empty()) return;
  auto seconds = GetInt(s.obj.json(), bounds->deadline_path);
  if (seconds && *seconds > 0) return;
  sink.Add(kRuleTrainingDeadline, s.obj,
           "training job has no run time bound; set " + std::string(bounds->deadline_path) +
               " so a hung run releases its GPUs");
}

bool IsScheduledPipeline(const Object& obj) {
  std::string group = obj.group();
  std::string kind = obj.kind();
  return (group == "batch" && kind == "CronJob") ||
         (group == "argoproj.io" && kind == "CronWorkflow") ||
         (group == "sparkoperator.k8s.io" && kind == "ScheduledSparkApplication");
}

void CheckPipelineSla(const RuleInput& s, FindingSink& sink) {
  if (!IsScheduledPipeline(s.obj)) return;
  auto sla = RawAnnotation(s.obj, kSlaAnnotation);
  if (!sla) {
    sink.Add(kRulePipelineSla, s.obj,
             "no " + std::string(kSlaAnnotation) +
                 " annotation; declare how fresh its output must be (e.g. " +
                 std::string(kSlaAnnotation) + ": \"6h\") so health can flag stale features");
    return;
  }
  auto seconds = sla->is_string ? ParseDurationSeconds(sla->text) : std::nullopt;
  if (seconds && *seconds > 0) return;
  sink.Add(kRulePipelineSla, s.obj,
           "annotation " + std::string(kSlaAnnotation) + " " + sla->Shown() +
               " is not a positive duration; write a quoted one such as \"90m\", \"6h\" or "
               "\"1d\"");
}

/// A resource quantity as text: integers unquoted or quoted compare equal.
std::optional<std::string> QuantityText(const JsonValue* v) {
  if (!v) return std::nullopt;
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsUint64()) return std::to_string(v->GetUint64());
  if (v->IsDouble()) {
    double d = v->GetDouble();
    if (std::floor(d) == d && std::fabs(d) < 9e15) return std::to_string(static_cast<int64_t>(d));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", d);
    return std::string(buf);
  }
  if (!v->IsString()) return std::nullopt;
  std::string text(v->GetString(), v->GetStringLength());
  if (auto n = ParseWave(text)) return std::to_string(*n);
  return text;
}

void CheckGpuRequests(const RuleInput& s, FindingSink& sink) {
  if (s.conventions.gpu_resources.empty()) return;
  for (const ContainerRef& c : FindContainers(s.obj)) {
    for (const std::string& gpu : s.conventions.gpu_resources) {
      auto request = QuantityText(Member(Member(c.resources, "requests"), gpu));
      auto limit = QuantityText(Member(Member(c.resources, "limits"), gpu));
      if (!request || (limit && *limit == *request)) continue;
      std::string where =
          "container " + Quote(c.name) + " (" + c.path + ") requests " + gpu + " " + *request;
      if (!limit) {
        sink.Add(kRuleGpuRequestLimit, s.obj,
                 where +
                     " without a limit; Kubernetes requires GPU requests to equal limits (set "
                     "limits[\"" +
                     gpu + "\"] to " + *request + ")");
      } else {
        sink.Add(kRuleGpuRequestLimit, s.obj,
                 where + " but limits it to " + *limit +
                     "; Kubernetes requires GPU requests to equal limits (set both to the same "
                     "count)");
      }
    }
  }
}

bool IsInferenceService(const Object& obj) {
  return obj.group() == "serving.kserve.io" && obj.kind() == "InferenceService";
}

bool IsNonEmptyString(const JsonValue* v) { return v && v->IsString() && v->GetStringLength() > 0; }

/// A predictor names its model through a storage URI or storage spec on `model` or on a
/// framework block (sklearn, pytorch, ...), or brings its own containers.
bool PredictorNamesModel(const JsonValue& predictor) {
  const JsonValue* containers = Member(&predictor, "containers");
  if (containers && containers->IsArray() && !containers->Empty()) return true;
  for (auto it = predictor.MemberBegin(); it != predictor.MemberEnd(); ++it) {
    if (!it->value.IsObject()) continue;
    const JsonValue* storage = Member(&it->value, "storage");
    if (IsNonEmptyString(Member(&it->value, "storageUri")) || (storage && storage->IsObject())) {
      return true;
    }
  }
  return false;
}

void CheckInferenceServiceModel(const RuleInput& s, FindingSink& sink) {
  if (!IsInferenceService(s.obj)) return;
  const JsonValue* predictor = Find(s.obj.json(), "spec.predictor");
  if (predictor && predictor->IsObject() && PredictorNamesModel(*predictor)) return;
  sink.Add(kRuleInferenceServiceModel, s.obj,
           "spec.predictor names no model, so KServe has nothing to serve; set "
           "spec.predictor.model.storageUri (e.g. \"s3://models/ranker/3\"), a storageUri on a "
           "framework block, or containers");
}

/// Each source of an Application with the field path that names it.
std::vector<std::pair<std::string, const JsonValue*>> ApplicationSources(const Object& obj) {
  std::vector<std::pair<std::string, const JsonValue*>> out;
  const JsonValue* source = Find(obj.json(), "spec.source");
  if (source && source->IsObject()) out.emplace_back("spec.source", source);
  const JsonValue* sources = Find(obj.json(), "spec.sources");
  if (sources && sources->IsArray()) {
    for (rapidjson::SizeType i = 0; i < sources->Size(); ++i) {
      if ((*sources)[i].IsObject()) {
        out.emplace_back("spec.sources[" + std::to_string(i) + "]", &(*sources)[i]);
      }
    }
  }
  return out;
}

/// Why a repository path leaves the repository, "" when it stays inside ("a/../b" stays).
std::string PathEscape(std::string_view path) {
  if (!path.empty() && (path[0] == '/' || path[0] == '\\')) return "is absolute";
  int depth = 0;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = std::min(path.find_first_of("/\\", start), path.size());
    std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (--depth < 0) return "climbs out of the repository with \"..\"";
    } else if (!segment.empty() && segment != ".") {
      ++depth;
    }
    start = end + 1;
  }
  return "";
}

void CheckApplicationPaths(const RuleInput& s, FindingSink& sink) {
  if (!IsApplicationObject(s.obj)) return;
  for (const auto& [field, source] : ApplicationSources(s.obj)) {
    const JsonValue* path = Member(source, "path");
    if (!path || !path->IsString()) continue;
    std::string_view text(path->GetString(), path->GetStringLength());
    std::string escape = PathEscape(text);
    if (escape.empty()) continue;
    sink.Add(kRuleApplicationPath, s.obj,
             field + ".path " + Quote(text) + " " + escape +
                 ", so it could read files outside what was reviewed; write a path relative to "
                 "the repository root");
  }
}

void CheckApplicationDestination(const RuleInput& s, FindingSink& sink) {
  if (!IsApplicationObject(s.obj)) return;
  if (IsNonEmptyString(Find(s.obj.json(), "spec.destination.namespace"))) return;
  sink.Add(kRuleApplicationDestination, s.obj,
           "spec.destination.namespace is not set, so objects without their own namespace have "
           "no defined home; set it (with CreateNamespace=true to have it created)");
}

// The per-object rules, in the catalogue's order.
constexpr std::pair<std::string_view, ObjectRule> kObjectRules[] = {
    {kRuleWaveInvalid, CheckWaves},
    {kRuleLabelRoleUnknown, CheckRoleLabel},
    {kRuleServingReadinessProbe, CheckReadinessProbes},
    {kRuleTrainingBackoffLimit, CheckBackoffLimit},
    {kRuleTrainingDeadline, CheckDeadline},
    {kRulePipelineSla, CheckPipelineSla},
    {kRuleGpuRequestLimit, CheckGpuRequests},
    {kRuleInferenceServiceModel, CheckInferenceServiceModel},
    {kRuleApplicationPath, CheckApplicationPaths},
    {kRuleApplicationDestination, CheckApplicationDestination},
};

void CheckServingAfterPipelines(const std::vector<Object>& objects,
                                const std::vector<Classified>& classes, FindingSink& sink) {
  // The pipeline every model server has to wait for is the one in the latest wave.
  const size_t none = objects.size();
  size_t last_pipeline = none;
  for (size_t i = 0; i < objects.size(); ++i) {
    if (classes[i].role != kRoleFeaturePipeline) continue;
    if (last_pipeline == none || classes[i].wave > classes[last_pipeline].wave) last_pipeline = i;
  }
  if (last_pipeline == none) return;
  const Classified& pipeline = classes[last_pipeline];
  for (size_t i = 0; i < objects.size(); ++i) {
    if (classes[i].role != kRoleModelServing || classes[i].wave >= pipeline.wave) continue;
    std::string wave = std::to_string(pipeline.wave);
    sink.Add(kRuleServingBeforePipeline, objects[i],
             "model-serving object in wave " + std::to_string(classes[i].wave) +
                 " syncs before feature-pipeline " + Subject(objects[last_pipeline]) + " in wave " +
                 wave +
                 "; a model server must not start before the pipelines that feed it (move it "
                 "to wave " +
                 wave + " or later, or the pipeline earlier)");
  }
}

}  // namespace

std::vector<Finding> CheckObject(const Object& obj, const Classified& classified,
                                 const Conventions& conventions) {
  std::vector<Finding> findings;
  FindingSink sink(conventions, &findings);
  RuleInput input{obj, classified, conventions};
  for (const auto& [rule, check] : kObjectRules) {
    if (sink.Enabled(rule)) check(input, sink);
  }
  return findings;
}

std::vector<Finding> CheckApp(const std::vector<Object>& objects,
                              const std::vector<Classified>& classes,
                              const Conventions& conventions) {
  std::vector<Finding> findings;
  FindingSink sink(conventions, &findings);
  if (classes.size() == objects.size() && sink.Enabled(kRuleServingBeforePipeline)) {
    CheckServingAfterPipelines(objects, classes, sink);
  }
  return findings;
}

std::vector<Finding> Lint(const std::vector<Object>& objects,
                          const std::vector<Classified>& classes, const Conventions& conventions) {
  std::vector<Finding> findings;
  for (size_t i = 0; i < objects.size() && i < classes.size(); ++i) {
    std::vector<Finding> more = CheckObject(objects[i], classes[i], conventions);
    findings.insert(findings.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  std::vector<Finding> app = CheckApp(objects, classes, conventions);
  findings.insert(findings.end(), std::make_move_iterator(app.begin()),
                  std::make_move_iterator(app.end()));
  return findings;
}

std::vector<Finding> Lint(const std::vector<Object>& objects, const Conventions& conventions) {
  return Lint(objects, Classify(objects, conventions), conventions);
}

}  // namespace mlgitops
