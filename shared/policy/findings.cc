// The rule catalogue and the JSON form of findings.
#include "policy/findings.h"

namespace mlgitops {

namespace {

JsonValue JsonString(std::string_view s, JsonAllocator& a) {
  return JsonValue(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

}  // namespace

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kDeny ? "deny" : "warn";
}

const std::vector<RuleInfo>& AllRules() {
  static const std::vector<RuleInfo> rules = {
      {kRuleWaveInvalid, Severity::kDeny, "sync-wave and hook-weight annotations are integers"},
      {kRuleLabelRoleUnknown, Severity::kWarn, "the mlgitops.io/role label names a known role"},
      {kRuleServingReadinessProbe, Severity::kDeny,
       "model-serving Deployments/StatefulSets declare readiness probes"},
      {kRuleTrainingBackoffLimit, Severity::kWarn, "training jobs bound their retries"},
      {kRuleTrainingDeadline, Severity::kWarn, "training jobs bound their run time"},
      {kRulePipelineSla, Severity::kWarn, "scheduled pipelines declare an mlgitops.io/sla"},
      {kRuleGpuRequestLimit, Severity::kDeny, "GPU requests equal GPU limits"},
      {kRuleInferenceServiceModel, Severity::kDeny,
       "InferenceServices name their model (a storage URI or a model spec)"},
      {kRuleApplicationPath, Severity::kDeny,
       "Application source paths stay inside the repository"},
      {kRuleApplicationDestination, Severity::kDeny, "Applications set a destination namespace"},
      {kRuleServingBeforePipeline, Severity::kDeny,
       "model servers sync no earlier than the feature pipelines of the same app"},
  };
  return rules;
}

const RuleInfo* FindRule(std::string_view id) {
  for (const RuleInfo& rule : AllRules()) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

size_t CountDenials(const std::vector<Finding>& findings) {
  size_t n = 0;
  for (const Finding& f : findings) n += f.severity == Severity::kDeny ? 1 : 0;
  return n;
}

JsonValue FindingsToJsonValue(const std::vector<Finding>& findings, JsonAllocator& a) {
  JsonValue array(rapidjson::kArrayType);
  array.Reserve(static_cast<rapidjson::SizeType>(findings.size()), a);
  for (const Finding& f : findings) {
    JsonValue item(rapidjson::kObjectType);
    item.AddMember("rule", JsonString(f.rule, a), a);
    item.AddMember("severity", JsonString(SeverityName(f.severity), a), a);
    item.AddMember("kind", JsonString(f.object.kind, a), a);
    item.AddMember("namespace", JsonString(f.object.namespace_, a), a);
    item.AddMember("name", JsonString(f.object.name, a), a);
    item.AddMember("origin", JsonString(f.origin, a), a);
    item.AddMember("message", JsonString(f.message, a), a);
    array.PushBack(item, a);
  }
  return array;
}

std::string FindingsToJson(const std::vector<Finding>& findings, bool pretty) {
  JsonAllocator allocator;
  return ToJson(FindingsToJsonValue(findings, allocator), pretty);
}

}  // namespace mlgitops
