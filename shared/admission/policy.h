// The admission webhook's decision: an AdmissionReview body in, the HTTP answer out. /validate
// runs the `lint` rules (policy/rules.h) on the object; /mutate adds what conventions default.
#pragma once

#include <functional>
#include <string_view>

#include "admission/admission.h"
#include "admission/webhook_config.h"
#include "app/application.h"

namespace mlgitops {

/// Warnings longer than this are cut (the apiserver may truncate or drop longer ones).
inline constexpr size_t kMaxAdmissionWarningLength = 120;

/// Whether an Application's AppProject permits it (project_store.h's ProjectForApplication):
/// OK, or the refusal (InvalidArgument) or why the project could not be read.
using ApplicationProjectCheck = std::function<Status(const Application& app)>;

/// Decides one review. Bodies that are not an AdmissionReview get 400 and a short reason;
/// everything else 200 with an AdmissionReview of the request's apiVersion. With `projects`,
/// /validate also denies an Application (mlgitops.io or argoproj.io) its project does not
/// permit, and one whose project cannot be read (rule application-project). Thread-safe (reads
/// only `config`; `projects` must be thread-safe), never throws.
AdmissionOutcome HandleAdmission(AdmissionEndpoint endpoint, std::string_view body,
                                 const WebhookConfig& config,
                                 const ApplicationProjectCheck& projects = nullptr);

}  // namespace mlgitops
