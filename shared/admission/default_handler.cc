// The handler mlgitops-webhook runs: the policy (admission/policy.h) with the rule config read
// from --config (the defaults without one). A config that does not load stops the start, and a
// bad reload keeps the handler that was serving.
#include <memory>

#include "admission/policy.h"
#include "admission/server.h"
#include "admission/webhook_config.h"

namespace mlgitops {

Result<AdmissionHandlerFn> DefaultAdmissionHandler(const std::string& config_path) {
  return ProjectCheckingHandlerFactory(nullptr)(config_path);
}

AdmissionHandlerFactory ProjectCheckingHandlerFactory(ApplicationProjectCheck projects) {
  return [projects](const std::string& config_path) -> Result<AdmissionHandlerFn> {
    auto config = LoadWebhookConfig(config_path);
    if (!config.ok()) return config.status();
    auto shared = std::make_shared<const WebhookConfig>(std::move(*config));
    return AdmissionHandlerFn(
        [shared, projects](AdmissionEndpoint endpoint, std::string_view body) {
          return HandleAdmission(endpoint, body, *shared, projects);
        });
  };
}

}  // namespace mlgitops
