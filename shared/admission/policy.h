// The admission webhook's decision: an AdmissionReview body in, the HTTP answer out. /validate
// runs the `lint` rules (policy/rules.h) on the object; /mutate adds what conventions default.
#pragma once

#include <string_view>

#include "admission/admission.h"
#include "admission/webhook_config.h"

namespace mlgitops {

/// Warnings longer than this are cut (the apiserver may truncate or drop longer ones).
inline constexpr size_t kMaxAdmissionWarningLength = 120;

/// Decides one review. Bodies that are not an AdmissionReview get 400 and a short reason;
/// everything else 200 with an AdmissionReview of the request's apiVersion. Thread-safe (reads
/// only `config`), never throws.
AdmissionOutcome HandleAdmission(AdmissionEndpoint endpoint, std::string_view body,
                                 const WebhookConfig& config);

}  // namespace mlgitops
