// Webhook matchConditions: CEL expressions over `request`, `object` and `oldObject`, checked when
// a configuration is written (refused when outside kubesim's CEL subset) and evaluated before
// each call, as kube-apiserver's matchconditions matcher does.
#pragma once

#include <string>
#include <vector>

#include "kubesim/admission_config.h"
#include "kubesim/api_errors.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// Validation of every webhook's matchConditions in a Mutating/ValidatingWebhookConfiguration:
/// names required and unique, at most 64, expressions that compile (`authorizer` and `params`
/// are refused: kubesim cannot evaluate them).
std::vector<StatusCause> ValidateMatchConditions(const JsonValue& configuration);

struct MatchDecision {
  bool call = true;   // every condition was true
  std::string error;  // evaluation failed under failurePolicy Fail: the request is refused
};

/// Decides whether `hook` is called for the AdmissionReview JSON `review` (its `request` is the
/// `request` variable, `request.object`/`request.oldObject` the others). A false condition skips
/// the webhook; errors without a false condition skip it under Ignore and fail it under Fail.
MatchDecision EvaluateMatchConditions(const Webhook& hook, const std::string& review);

}  // namespace mlgitops::kubesim
