// The admission webhook's configuration: the conventions `lint --config` reads (rule modes, roles,
// waves) plus a `webhook:` section with exemptions and the labels its mutations add.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "object/status.h"
#include "policy/conventions.h"

namespace mlgitops {

/// The namespace the webhook runs in when the config does not say.
inline constexpr std::string_view kDefaultWebhookNamespace = "mlgitops";
/// Applications opt out of CreateNamespace=true with this annotation set to "false".
inline constexpr std::string_view kCreateNamespaceAnnotation = "mlgitops.io/create-namespace";

/// A conventions file (policy/conventions.h) with an optional `webhook:` section:
///
///   webhook:
///     namespace: mlgitops                  # the webhook's own namespace, always exempt
///     exemptNamespaces: [kube-system, kube-public]   # replaces this list
///     exemptLabel: mlgitops.io/admission=skip        # objects labelled so are not reviewed,
///     exemptLabelNamespaces: [sandbox]               #   but only in these namespaces
///     namespaceLabels: {team: ml}          # added to Namespaces that lack them
///     managedNamespaceLabels: {team: ml}   # into Applications' managedNamespaceMetadata
///     createNamespace: true                # Applications get CreateNamespace=true
struct WebhookConfig {
  Conventions conventions = DefaultConventions();
  std::vector<std::string> exempt_namespaces = {"kube-system", "kube-public",
                                                std::string(kDefaultWebhookNamespace)};
  /// Objects whose label `exempt_label` equals `exempt_label_value` are not reviewed, when they
  /// are in one of `exempt_label_namespaces` (a Namespace counts as being in itself). Anyone who
  /// may write an object may label it, so the label is honoured only where the platform lets
  /// authors opt out; by default nowhere.
  std::string exempt_label = "mlgitops.io/admission";
  std::string exempt_label_value = "skip";
  std::vector<std::string> exempt_label_namespaces;
  std::map<std::string, std::string> namespace_labels;
  std::map<std::string, std::string> managed_namespace_labels;
  bool create_namespace = true;

  bool IsExemptNamespace(std::string_view ns) const;
  /// Whether the exempt label, set on an object in namespace `ns`, exempts it.
  bool HonoursExemptLabelIn(std::string_view ns) const;
};

/// Parses a config document laid over the defaults; errors say "<origin>: <field>: ...".
Result<WebhookConfig> ParseWebhookConfig(std::string_view yaml, const std::string& origin);
/// Reads and parses a config file; "" gives the defaults.
Result<WebhookConfig> LoadWebhookConfig(const std::string& path);

/// Whether `key` is a valid Kubernetes label key ([prefix/]name) and `value` a valid label value.
bool IsValidLabelKey(std::string_view key);
bool IsValidLabelValue(std::string_view value);

}  // namespace mlgitops
