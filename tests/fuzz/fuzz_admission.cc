// libFuzzer target: arbitrary bytes as an AdmissionReview body to both endpoints. Any crash,
// sanitizer report or answer that is neither 200 nor 400 is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "admission/policy.h"

namespace {

const mlgitops::WebhookConfig& FuzzConfig() {
  static const mlgitops::WebhookConfig config = [] {
    mlgitops::WebhookConfig c;
    // Labels exercise the Namespace and Application mutations too.
    c.namespace_labels = {{"team", "ml"}};
    c.managed_namespace_labels = {{"team", "ml"}};
    return c;
  }();
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (auto endpoint :
       {mlgitops::AdmissionEndpoint::kMutate, mlgitops::AdmissionEndpoint::kValidate}) {
    mlgitops::AdmissionOutcome outcome = mlgitops::HandleAdmission(endpoint, body, FuzzConfig());
    if (outcome.http_status != 200 && outcome.http_status != 400) std::abort();
    if (outcome.body.empty()) std::abort();
  }
  return 0;
}
