// Webhook configurations as kubesim reads them: MutatingWebhookConfiguration and
// ValidatingWebhookConfiguration objects turned into webhooks, and the rules that pick requests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "object/object.h"
#include "object/status.h"

namespace mlgitops::kubesim {

/// One entry of a webhook's `rules` (admissionregistration.k8s.io/v1 RuleWithOperations).
struct WebhookRule {
  std::vector<std::string> operations;  // CREATE, UPDATE, DELETE, CONNECT or *
  std::vector<std::string> api_groups;
  std::vector<std::string> api_versions;
  std::vector<std::string> resources;  // "pods", "pods/status", "*", "*/*", "*/scale"
  std::string scope = "*";             // *, Cluster, Namespaced
};

/// Where the webhook is reached: a URL or a Service (exactly one), and the CA to trust.
struct WebhookClientConfig {
  std::string url;
  std::string service_namespace;
  std::string service_name;
  std::string service_path;
  int service_port = 443;
  std::string ca_bundle_base64;  // as stored: base64 of PEM; "" means the system roots
};

struct Webhook {
  std::string configuration;  // name of the configuration object listing it
  std::string name;
  bool mutating = false;
  WebhookClientConfig client;
  std::vector<WebhookRule> rules;
  std::string failure_policy = "Fail";      // Fail or Ignore
  std::string match_policy = "Equivalent";  // Exact or Equivalent
  std::string side_effects;                 // None, NoneOnDryRun, Some, Unknown ("" when unset)
  int timeout_seconds = 10;                 // clamped to 1-30
  bool reinvoke_if_needed = false;          // reinvocationPolicy: IfNeeded (mutating only)
  std::vector<std::string> review_versions;
  std::string namespace_selector;  // selector text ("" selects everything)
  std::string object_selector;
  std::string selector_error;  // why a selector could not be read ("" when fine)
  /// matchConditions: (name, CEL expression), all of which must be true (admission_match.h).
  std::vector<std::pair<std::string, std::string>> match_conditions;

  bool fails_open() const { return failure_policy == "Ignore"; }
  /// Side effects a dry run may trigger: such webhooks refuse dry-run requests.
  bool safe_on_dry_run() const { return side_effects == "None" || side_effects == "NoneOnDryRun"; }
};

/// The request attributes a rule is matched against.
struct RuleTarget {
  std::string operation;  // CREATE, UPDATE, DELETE
  std::string group;
  std::string version;
  std::string resource;  // plural
  std::string subresource;
  bool cluster_scoped = false;  // true for cluster-scoped kinds, Namespaces included
};

/// The webhooks a configuration object lists, in its order, with API defaults filled in.
std::vector<Webhook> ReadWebhooks(const JsonValue& configuration, bool mutating);

/// A metav1.LabelSelector (matchLabels, matchExpressions) as selector text, e.g.
/// "team=ml,env in (prod,staging),!legacy"; null or {} gives "" (selects everything).
Result<std::string> LabelSelectorText(const JsonValue* selector);

/// Whether `rule` covers `target` (operations, groups, versions, resource/subresource, scope).
bool RuleMatches(const WebhookRule& rule, const RuleTarget& target);

}  // namespace mlgitops::kubesim
