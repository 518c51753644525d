// Findings: what a policy rule says about an object, shared by `lint`, `plan` and the webhook.
// Rule ids are part of the interface: configuration, JSON output and denials name them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"

namespace mlgitops {

enum class Severity { kDeny, kWarn };

std::string_view SeverityName(Severity severity);  // "deny" / "warn"

struct Finding {
  std::string rule;
  Severity severity = Severity::kWarn;
  ObjectRef object;
  std::string origin;  // file and document the object came from, "" when unknown
  std::string message;
};

// The rule ids.
inline constexpr std::string_view kRuleWaveInvalid = "wave-invalid";
inline constexpr std::string_view kRuleLabelRoleUnknown = "label-role-unknown";
inline constexpr std::string_view kRuleServingReadinessProbe = "serving-readiness-probe";
inline constexpr std::string_view kRuleTrainingBackoffLimit = "training-backoff-limit";
inline constexpr std::string_view kRuleTrainingDeadline = "training-deadline";
inline constexpr std::string_view kRulePipelineSla = "pipeline-sla";
inline constexpr std::string_view kRuleGpuRequestLimit = "gpu-request-limit";
inline constexpr std::string_view kRuleInferenceServiceModel = "inferenceservice-model";
inline constexpr std::string_view kRuleApplicationPath = "application-path";
inline constexpr std::string_view kRuleApplicationDestination = "application-destination";
inline constexpr std::string_view kRuleServingBeforePipeline = "serving-before-pipeline";

struct RuleInfo {
  std::string_view id;
  Severity default_severity;
  std::string_view summary;
};

/// Every rule, in the order findings are reported.
const std::vector<RuleInfo>& AllRules();
/// nullptr when `id` names no rule.
const RuleInfo* FindRule(std::string_view id);

/// Counts of deny findings: a non-zero count fails `lint` and denies admission.
size_t CountDenials(const std::vector<Finding>& findings);

/// The findings as a JSON array of {rule, severity, kind, namespace, name, origin, message}.
JsonValue FindingsToJsonValue(const std::vector<Finding>& findings, JsonAllocator& allocator);
std::string FindingsToJson(const std::vector<Finding>& findings, bool pretty = false);

}  // namespace mlgitops
