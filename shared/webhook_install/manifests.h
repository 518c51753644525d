// The webhook's Kubernetes objects for one installation: the embedded manifests/webhook/base
// files with the namespace, image, failure policy and CA bundle filled in, plus its Secrets.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"
#include "object/status.h"
#include "webhook_install/certs.h"

namespace mlgitops {

inline constexpr std::string_view kWebhookDefaultNamespace = "mlgitops-webhook";
inline constexpr std::string_view kWebhookServiceName = "mlgitops-webhook";
inline constexpr std::string_view kWebhookTlsSecret = "mlgitops-webhook-tls";
/// The CA's key stays in its own Secret, which no pod mounts.
inline constexpr std::string_view kWebhookCaSecret = "mlgitops-webhook-ca";
inline constexpr std::string_view kWebhookConfigMap = "mlgitops-webhook-config";
inline constexpr std::string_view kMutatingConfigName = "mlgitops-mutate";
inline constexpr std::string_view kValidatingConfigName = "mlgitops-validate";
/// On Namespaces install created, so uninstall deletes only those.
inline constexpr std::string_view kInstalledByAnnotation = "mlgitops.io/installed-by";
inline constexpr std::string_view kInstalledByValue = "kubectl-mlgitops-webhook-install";

/// One file of manifests/webhook/base, as embedded by manifests/webhook/embed.sh.
struct EmbeddedManifest {
  const char* file;
  const char* text;
};
const std::vector<EmbeddedManifest>& EmbeddedWebhookManifests();

struct WebhookValues {
  std::string namespace_ = std::string(kWebhookDefaultNamespace);
  std::string image;  // "" keeps the manifests' image
  /// Both webhooks' failurePolicy ("Fail" or "Ignore"); unset keeps validate Fail, mutate
  /// Ignore.
  std::optional<std::string> failure_policy;
  std::string ca_bundle_pem;  // "" leaves caBundle out
  /// Whether the Namespace object is install's to create (and uninstall's to delete).
  bool own_namespace = true;
};

/// The default image: this plugin's version of the webhook.
std::string DefaultWebhookImage();
/// Checks the namespace name and the failure policy.
Status CheckWebhookValues(const WebhookValues& values);

/// The manifests' objects in apply order, with `values` filled in (no Secrets).
Result<std::vector<Object>> RenderWebhookObjects(const WebhookValues& values);
/// A kubernetes.io/tls Secret holding `pair` (tls.crt, tls.key) and, when set, ca.crt.
Object TlsSecret(std::string_view name, std::string_view namespace_, const PemKeyPair& pair,
                 std::string_view ca_pem);

}  // namespace mlgitops
